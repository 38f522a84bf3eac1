import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import type { TableNames } from '../engines/dynamodb/schema.js';

/** What a Lambda function reads from its environment, set by the stack. */
export function tablesFromEnvironment(env: Readonly<Record<string, string | undefined>> = process.env): TableNames {
  const events = env['EES_EVENTS_TABLE'];
  const meta = env['EES_META_TABLE'];
  if (events === undefined || meta === undefined) throw new Error('EES_EVENTS_TABLE and EES_META_TABLE must be set.');
  return { events, meta };
}

/** One client per container, created on first use (keeps cold starts short). */
let client: DynamoDBClient | undefined;
export function sharedDynamoDbClient(): DynamoDBClient {
  client ??= new DynamoDBClient({ ...(process.env['EES_DYNAMODB_ENDPOINT'] === undefined ? {} : { endpoint: process.env['EES_DYNAMODB_ENDPOINT'] }) });
  return client;
}
