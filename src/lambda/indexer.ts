import type { DynamoDBStreamEvent } from 'aws-lambda';
import { globalIndexer } from './container.js';

/** The `indexer` Lambda, on the events table's stream: a failure makes Lambda retry the batch. */
export async function handler(event: DynamoDBStreamEvent): Promise<void> {
  await globalIndexer().handle(event);
}
