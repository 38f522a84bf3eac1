import type { DynamoDBStreamEvent } from 'aws-lambda';
import { GlobalIndexer } from '../engines/dynamodb/indexer.js';
import { sharedDynamoDbClient, tablesFromEnvironment } from './environment.js';

let indexer: GlobalIndexer | undefined;

/** The `indexer` Lambda, on the events table's stream: a failure makes Lambda retry the batch. */
export async function handler(event: DynamoDBStreamEvent): Promise<void> {
  indexer ??= new GlobalIndexer({ client: sharedDynamoDbClient(), tables: tablesFromEnvironment() });
  await indexer.handle(event);
}
