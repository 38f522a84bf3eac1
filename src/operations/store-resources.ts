import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBStreamsClient } from '@aws-sdk/client-dynamodb-streams';
import { EesError } from '../core/errors.js';
import { tableNames, type TableNames } from '../engines/dynamodb/schema.js';
import { localDynamoDbClient } from '../engines/dynamodb/tables.js';
import { readProfilesFile } from '../client/target.js';

/**
 * What the operator commands (`ees repair`, `ees dlq`) work on directly, beside the HTTP API:
 * the tables and the dead-letter queues, from flags or from the outputs of the deployed stack.
 */
export interface StoreResources {
  readonly tables: TableNames;
  readonly region: string;
  /** A loopback DynamoDB (Local) instead of AWS's. */
  readonly dynamodbEndpoint?: string | undefined;
  readonly deadLetterQueues: { readonly indexer?: string | undefined; readonly publisher?: string | undefined };
  /** The publisher's topics (a publisher redrive publishes to them). */
  readonly topics: { readonly changesets?: string | undefined; readonly events?: string | undefined };
  /** Where they came from, for messages. */
  readonly source: string;
}

export interface ResourceInputs {
  readonly stack?: string | undefined;
  readonly profile?: string | undefined;
  readonly region?: string | undefined;
  readonly eventsTable?: string | undefined;
  readonly metaTable?: string | undefined;
  readonly tablePrefix?: string | undefined;
  readonly dynamodbEndpoint?: string | undefined;
  readonly indexerQueue?: string | undefined;
  readonly publisherQueue?: string | undefined;
  readonly changesetsTopic?: string | undefined;
  readonly eventsTopic?: string | undefined;
  readonly env: NodeJS.ProcessEnv;
  readonly configDir: string;
  /** The outputs of a stack (DescribeStacks); tests pass their own. */
  readonly stackOutputs?: (stackName: string, region: string) => Promise<Record<string, string>>;
}

async function describeStackOutputs(stackName: string, region: string): Promise<Record<string, string>> {
  const { CloudFormationClient, DescribeStacksCommand } = await import('@aws-sdk/client-cloudformation');
  const client = new CloudFormationClient({ region });
  try {
    const { Stacks } = await client.send(new DescribeStacksCommand({ StackName: stackName }));
    return Object.fromEntries((Stacks?.[0]?.Outputs ?? []).map((output) => [output.OutputKey ?? '', output.OutputValue ?? '']));
  } catch (error) {
    if ((error as { name?: string }).name === 'ValidationError') throw new EesError('INVALID_USAGE', `There is no stack ${stackName} in ${region}.`, { cause: error });
    throw error;
  } finally {
    client.destroy();
  }
}

/**
 * Flags first (--events-table and --meta-table, or --table-prefix as `ees dev` names them), then
 * the stack named by --stack or by the profile `ees deploy` saved (--profile, EES_PROFILE, the
 * default profile): its outputs name the tables and the queues.
 */
export async function resolveStoreResources(inputs: ResourceInputs): Promise<StoreResources> {
  let region = inputs.region ?? (inputs.env['AWS_REGION'] || inputs.env['AWS_DEFAULT_REGION'] || undefined);
  const queues = { indexer: inputs.indexerQueue, publisher: inputs.publisherQueue };
  const topics = { changesets: inputs.changesetsTopic, events: inputs.eventsTopic };
  const fromFlags = inputs.tablePrefix !== undefined ? tableNames(inputs.tablePrefix) : inputs.eventsTable !== undefined && inputs.metaTable !== undefined ? { events: inputs.eventsTable, meta: inputs.metaTable } : undefined;
  if (inputs.eventsTable !== undefined && inputs.metaTable === undefined) throw new EesError('INVALID_USAGE', '--events-table needs --meta-table too.');
  if (fromFlags !== undefined) return { tables: fromFlags, region: region ?? 'us-east-1', dynamodbEndpoint: inputs.dynamodbEndpoint, deadLetterQueues: queues, topics, source: 'flags' };

  let stackName = inputs.stack;
  let source = `stack ${stackName ?? ''}`;
  if (stackName === undefined) {
    const file = await readProfilesFile(inputs.configDir);
    const profileName = inputs.profile ?? (inputs.env['EES_PROFILE'] || undefined) ?? file.default;
    const profile = profileName === undefined ? undefined : file.profiles[profileName];
    if (profileName !== undefined && profile === undefined) throw new EesError('INVALID_USAGE', `There is no profile "${profileName}".`);
    stackName = profile?.stack;
    region ??= profile?.region;
    source = `stack ${stackName ?? ''} (profile ${profileName ?? ''})`;
  }
  if (stackName === undefined) {
    throw new EesError('INVALID_USAGE', 'Which store? Pass --stack NAME or --profile NAME (a profile `ees deploy` saved), or --events-table and --meta-table (or --table-prefix).');
  }
  if (region === undefined) throw new EesError('INVALID_USAGE', `The stack ${stackName} needs a region: pass --region or set AWS_REGION.`);
  const outputs = await (inputs.stackOutputs ?? describeStackOutputs)(stackName, region);
  const events = outputs['EventsTableName'];
  const meta = outputs['MetaTableName'];
  if (events === undefined || meta === undefined) throw new EesError('INVALID_USAGE', `The stack ${stackName} in ${region} has no table outputs: is it an ees stack?`);
  return {
    tables: { events, meta },
    region,
    dynamodbEndpoint: inputs.dynamodbEndpoint,
    deadLetterQueues: { indexer: queues.indexer ?? outputs['IndexerDeadLetterQueueUrl'], publisher: queues.publisher ?? outputs['PublisherDeadLetterQueueUrl'] },
    topics: { changesets: topics.changesets ?? outputs['ChangesetsTopicArn'], events: topics.events ?? outputs['EventsTopicArn'] },
    source,
  };
}

/** The DynamoDB client for the resources: DynamoDB Local at a loopback endpoint, else AWS. */
export function dynamoDbClientFor(resources: StoreResources): DynamoDBClient {
  return resources.dynamodbEndpoint === undefined ? new DynamoDBClient({ region: resources.region }) : localDynamoDbClient(resources.dynamodbEndpoint);
}

/** The client of the events table's stream (DynamoDB Local serves it at its own endpoint). */
export function streamsClientFor(resources: StoreResources): DynamoDBStreamsClient {
  return resources.dynamodbEndpoint === undefined
    ? new DynamoDBStreamsClient({ region: resources.region })
    : new DynamoDBStreamsClient({ region: 'us-east-1', endpoint: resources.dynamodbEndpoint, credentials: { accessKeyId: 'local', secretAccessKey: 'local' } });
}
