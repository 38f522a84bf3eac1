import type { TableNames } from '../engines/dynamodb/schema.js';

type Environment = Readonly<Record<string, string | undefined>>;

/** The tables every function works on, set by the stack. */
export function tablesFromEnvironment(env: Environment = process.env): TableNames {
  const events = env['EES_EVENTS_TABLE'];
  const meta = env['EES_META_TABLE'];
  if (events === undefined || meta === undefined) throw new Error('EES_EVENTS_TABLE and EES_META_TABLE must be set.');
  return { events, meta };
}

/** The publisher's settings, set by the stack. */
export function publisherEnvironment(env: Environment = process.env): { changesetsTopicArn: string; eventsTopicArn: string; metaTable: string } {
  const changesetsTopicArn = env['EES_CHANGESETS_TOPIC_ARN'];
  const eventsTopicArn = env['EES_EVENTS_TOPIC_ARN'];
  const metaTable = env['EES_META_TABLE'];
  if (!changesetsTopicArn || !eventsTopicArn || !metaTable) throw new Error('EES_CHANGESETS_TOPIC_ARN, EES_EVENTS_TOPIC_ARN and EES_META_TABLE must be set.');
  return { changesetsTopicArn, eventsTopicArn, metaTable };
}

/** An endpoint override for an SDK client (DynamoDB Local, a loopback SNS in tests), when set. */
export function endpointFromEnvironment(service: 'DYNAMODB' | 'SNS', env: Environment = process.env): { endpoint?: string } {
  const endpoint = env[`EES_${service}_ENDPOINT`];
  return endpoint === undefined ? {} : { endpoint };
}
