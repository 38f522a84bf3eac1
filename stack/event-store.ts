import { Duration, RemovalPolicy, CfnOutput, Stack } from 'aws-cdk-lib';
import * as apigateway from 'aws-cdk-lib/aws-apigateway';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import * as events from 'aws-cdk-lib/aws-events';
import * as targets from 'aws-cdk-lib/aws-events-targets';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import { DynamoEventSource, SqsDlq } from 'aws-cdk-lib/aws-lambda-event-sources';
import * as logs from 'aws-cdk-lib/aws-logs';
import * as sns from 'aws-cdk-lib/aws-sns';
import * as sqs from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';
import { join } from 'node:path';
import { EVENTS_TABLE, META_TABLE, type KeyDefinition, type TableDefinition } from '../src/engines/dynamodb/schema.js';
import type { LambdaName } from './bundle.js';

export interface EventStoreProps {
  /** Folder holding the prebuilt bundles, one subfolder per function (dist/lambda). */
  readonly lambdaCodeDirectory: string;
  /** Open the API to anyone who has the URL (no IAM authorization). */
  readonly public?: boolean;
  /** Requests per second API Gateway lets through, and the burst above it. */
  readonly throttling?: { readonly rateLimit: number; readonly burstLimit: number };
}

/** Names of the stack outputs the CLI reads (profiles, `--stack`). */
export const OUTPUTS = {
  apiEndpoint: 'ApiEndpoint',
  changesetsTopicArn: 'ChangesetsTopicArn',
  eventsTopicArn: 'EventsTopicArn',
  eventsTableName: 'EventsTableName',
  metaTableName: 'MetaTableName',
  auth: 'Auth',
} as const;

const attribute = (key: KeyDefinition): dynamodb.Attribute => ({
  name: key.name,
  type: key.type === 'S' ? dynamodb.AttributeType.STRING : dynamodb.AttributeType.NUMBER,
});

/** A table from the shared definition that `ees dev` uses too, so the two never drift. */
function tableFrom(scope: Construct, id: string, definition: TableDefinition): dynamodb.Table {
  const table = new dynamodb.Table(scope, id, {
    partitionKey: attribute(definition.partitionKey),
    ...(definition.sortKey === undefined ? {} : { sortKey: attribute(definition.sortKey) }),
    billingMode: dynamodb.BillingMode.PAY_PER_REQUEST,
    pointInTimeRecoverySpecification: { pointInTimeRecoveryEnabled: true },
    // The data outlives the stack: `ees destroy` keeps it unless asked otherwise.
    removalPolicy: RemovalPolicy.RETAIN,
    encryption: dynamodb.TableEncryption.AWS_MANAGED,
    ...(definition.stream === undefined ? {} : { stream: dynamodb.StreamViewType.NEW_IMAGE }),
  });
  for (const index of definition.localIndexes) {
    table.addLocalSecondaryIndex({ indexName: index.indexName, sortKey: attribute(index.sortKey), projectionType: dynamodb.ProjectionType.KEYS_ONLY });
  }
  for (const index of definition.globalIndexes) {
    table.addGlobalSecondaryIndex({
      indexName: index.indexName,
      partitionKey: attribute(index.partitionKey),
      sortKey: attribute(index.sortKey),
      projectionType: dynamodb.ProjectionType.KEYS_ONLY,
    });
  }
  return table;
}

/**
 * The serverless event store: API Gateway → Lambda → DynamoDB with streams, the global indexer,
 * the SNS publisher, dead-letter queues, the statistics projector and alarms. A construct with no
 * side effects: it only declares resources.
 */
export class EventStore extends Construct {
  readonly api: apigateway.RestApi;
  readonly eventsTable: dynamodb.Table;
  readonly metaTable: dynamodb.Table;
  readonly changesetsTopic: sns.Topic;
  readonly eventsTopic: sns.Topic;
  readonly functions: Record<LambdaName, lambda.Function>;
  readonly deadLetterQueues: { readonly indexer: sqs.Queue; readonly publisher: sqs.Queue };

  constructor(scope: Construct, id: string, props: EventStoreProps) {
    super(scope, id);
    const stackName = Stack.of(this).stackName;

    this.eventsTable = tableFrom(this, 'EventsTable', EVENTS_TABLE);
    this.metaTable = tableFrom(this, 'MetaTable', META_TABLE);
    const tableEnvironment = { EES_EVENTS_TABLE: this.eventsTable.tableName, EES_META_TABLE: this.metaTable.tableName };

    const snsKey = kms.Alias.fromAliasName(this, 'SnsKey', 'alias/aws/sns');
    // High-throughput FIFO: the topic-wide quota (3,000 messages/s) becomes a per-message-group one,
    // so one busy stream does not slow the others; deduplication is then per group, and our
    // deduplication ids are unique per message anyway.
    const fifoThroughputScope = sns.FifoThroughputScope.MESSAGE_GROUP;
    this.changesetsTopic = new sns.Topic(this, 'ChangesetsTopic', { fifo: true, fifoThroughputScope, topicName: `${stackName}-changesets.fifo`, masterKey: snsKey });
    this.eventsTopic = new sns.Topic(this, 'EventsTopic', { fifo: true, fifoThroughputScope, topicName: `${stackName}-events.fifo`, masterKey: snsKey });

    const fn = (name: LambdaName, options: { timeout: Duration; memorySize: number; environment: Record<string, string>; description: string }) =>
      new lambda.Function(this, `${name[0]!.toUpperCase()}${name.slice(1)}Function`, {
        runtime: lambda.Runtime.NODEJS_22_X,
        architecture: lambda.Architecture.ARM_64,
        handler: 'index.handler',
        code: lambda.Code.fromAsset(join(props.lambdaCodeDirectory, name)),
        timeout: options.timeout,
        memorySize: options.memorySize,
        description: options.description,
        environment: { ...options.environment, NODE_OPTIONS: '--enable-source-maps' },
        logGroup: new logs.LogGroup(this, `${name}Logs`, { retention: logs.RetentionDays.ONE_MONTH, removalPolicy: RemovalPolicy.DESTROY }),
      });

    this.functions = {
      api: fn('api', { timeout: Duration.seconds(29), memorySize: 1024, environment: tableEnvironment, description: 'ees: the HTTP API' }),
      indexer: fn('indexer', { timeout: Duration.minutes(1), memorySize: 512, environment: tableEnvironment, description: 'ees: assigns global checkpoints' }),
      publisher: fn('publisher', {
        timeout: Duration.minutes(1),
        memorySize: 512,
        environment: { EES_CHANGESETS_TOPIC_ARN: this.changesetsTopic.topicArn, EES_EVENTS_TOPIC_ARN: this.eventsTopic.topicArn, EES_META_TABLE: this.metaTable.tableName },
        description: 'ees: publishes changesets and events to SNS',
      }),
      projector: fn('projector', { timeout: Duration.minutes(5), memorySize: 512, environment: tableEnvironment, description: 'ees: projects the statistics' }),
    };

    // Least privilege: each function gets the data-plane actions it uses, on these resources only.
    this.eventsTable.grantReadWriteData(this.functions.api);
    this.metaTable.grantReadData(this.functions.api);
    this.eventsTable.grantReadWriteData(this.functions.indexer);
    this.metaTable.grantReadWriteData(this.functions.indexer);
    this.eventsTable.grantReadData(this.functions.projector);
    this.metaTable.grantReadWriteData(this.functions.projector);
    this.changesetsTopic.grantPublish(this.functions.publisher);
    this.eventsTopic.grantPublish(this.functions.publisher);
    // The publisher's progress items (publisher/<stream id>): read one, move it forward.
    this.metaTable.grant(this.functions.publisher, 'dynamodb:GetItem', 'dynamodb:UpdateItem');

    const deadLetterQueue = (name: string) =>
      new sqs.Queue(this, `${name}DeadLetterQueue`, { retentionPeriod: Duration.days(14), encryption: sqs.QueueEncryption.SQS_MANAGED, enforceSSL: true });
    this.deadLetterQueues = { indexer: deadLetterQueue('Indexer'), publisher: deadLetterQueue('Publisher') };

    this.functions.indexer.addEventSource(
      new DynamoEventSource(this.eventsTable, {
        startingPosition: lambda.StartingPosition.TRIM_HORIZON,
        batchSize: 1000,
        maxBatchingWindow: Duration.seconds(1),
        bisectBatchOnError: true,
        // A changeset the indexer gives up on never gets a checkpoint (unless a later commit to its
        // stream pulls it in as a predecessor), so it keeps trying for the stream's whole 24 hours:
        // stalling the global order beats losing a changeset from it. The queue gets what expired.
        retryAttempts: 10_000,
        onFailure: new SqsDlq(this.deadLetterQueues.indexer),
      }),
    );
    this.functions.publisher.addEventSource(
      new DynamoEventSource(this.eventsTable, {
        startingPosition: lambda.StartingPosition.TRIM_HORIZON,
        batchSize: 100,
        bisectBatchOnError: true,
        // An invocation that runs out of time reports where it stopped, and that counts as a retry:
        // the largest changeset (about 200,000 events) took 27 invocations at 50 ms a call (docs/benchmarks.md).
        retryAttempts: 100,
        reportBatchItemFailures: true,
        // One batch at a time per shard keeps each stream's order on the FIFO topics.
        parallelizationFactor: 1,
        onFailure: new SqsDlq(this.deadLetterQueues.publisher),
      }),
    );
    new events.Rule(this, 'ProjectorSchedule', {
      schedule: events.Schedule.rate(Duration.minutes(1)),
      targets: [new targets.LambdaFunction(this.functions.projector, { retryAttempts: 2 })],
    });

    const accessLogs = new logs.LogGroup(this, 'ApiAccessLogs', { retention: logs.RetentionDays.ONE_MONTH, removalPolicy: RemovalPolicy.DESTROY });
    const throttling = props.throttling ?? { rateLimit: 1000, burstLimit: 2000 };
    this.api = new apigateway.RestApi(this, 'Api', {
      restApiName: `${stackName}-api`,
      description: 'Elastic Event Store HTTP API',
      deployOptions: {
        stageName: 'prod',
        accessLogDestination: new apigateway.LogGroupLogDestination(accessLogs),
        accessLogFormat: apigateway.AccessLogFormat.jsonWithStandardFields(),
        throttlingRateLimit: throttling.rateLimit,
        throttlingBurstLimit: throttling.burstLimit,
      },
      cloudWatchRole: true,
      defaultMethodOptions: { authorizationType: props.public === true ? apigateway.AuthorizationType.NONE : apigateway.AuthorizationType.IAM },
      defaultIntegration: new apigateway.LambdaIntegration(this.functions.api, { proxy: true }),
    });
    // RestApi adds an output of its own; ApiEndpoint below is the one the CLI reads.
    this.api.node.tryRemoveChild('Endpoint');
    // The six routes of the API; ANY beside each lets the handler answer 405 for other methods,
    // and a catch-all lets it answer 404 INVALID_ENDPOINT instead of API Gateway's own 403.
    const root = this.api.root;
    const version = root.addResource('version');
    const changesets = root.addResource('changesets');
    const streams = root.addResource('streams');
    const stream = streams.addResource('{stream_id}');
    const streamChangesets = stream.addResource('changesets');
    const streamEvents = stream.addResource('events');
    for (const [resource, method] of [
      [version, 'GET'],
      [changesets, 'GET'],
      [streams, 'GET'],
      [stream, 'POST'],
      [streamChangesets, 'GET'],
      [streamEvents, 'GET'],
    ] as const) {
      resource.addMethod(method);
      resource.addMethod('ANY');
    }
    root.addProxy({ anyMethod: true });

    for (const [name, queue, what] of [
      ['Indexer', this.deadLetterQueues.indexer, 'Changesets the indexer gave up on after 24 hours of retries: they are missing from the global order until they are indexed by hand (or a later commit to their stream pulls them in).'],
      ['Publisher', this.deadLetterQueues.publisher, 'Changesets that were not published to SNS.'],
    ] as const) {
      new cloudwatch.Alarm(this, `${name}DeadLettersAlarm`, {
        alarmDescription: what,
        metric: queue.metricApproximateNumberOfMessagesVisible({ period: Duration.minutes(1) }),
        threshold: 1,
        evaluationPeriods: 1,
        comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
      });
    }
    new cloudwatch.Alarm(this, 'IndexerIteratorAgeAlarm', {
      alarmDescription: 'The indexer is falling behind the events table stream.',
      metric: this.functions.indexer.metric('IteratorAge', { statistic: 'Maximum', period: Duration.minutes(1) }),
      threshold: 60_000,
      evaluationPeriods: 5,
      comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_THRESHOLD,
    });

    new CfnOutput(this, OUTPUTS.apiEndpoint, { key: OUTPUTS.apiEndpoint, value: this.api.url, description: 'API Gateway endpoint URL' });
    new CfnOutput(this, OUTPUTS.changesetsTopicArn, { key: OUTPUTS.changesetsTopicArn, value: this.changesetsTopic.topicArn });
    new CfnOutput(this, OUTPUTS.eventsTopicArn, { key: OUTPUTS.eventsTopicArn, value: this.eventsTopic.topicArn });
    new CfnOutput(this, OUTPUTS.eventsTableName, { key: OUTPUTS.eventsTableName, value: this.eventsTable.tableName });
    new CfnOutput(this, OUTPUTS.metaTableName, { key: OUTPUTS.metaTableName, value: this.metaTable.tableName });
    new CfnOutput(this, OUTPUTS.auth, { key: OUTPUTS.auth, value: props.public === true ? 'none' : 'iam' });
  }
}
