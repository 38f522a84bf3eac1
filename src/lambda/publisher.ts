import type { Context, DynamoDBBatchResponse, DynamoDBStreamEvent } from 'aws-lambda';
import { snsPublisher } from './container.js';

/** The `publisher` Lambda, on the events table's stream: see src/publisher/publisher.ts. */
export async function handler(event: DynamoDBStreamEvent, context?: Context): Promise<DynamoDBBatchResponse> {
  return snsPublisher()(event, context);
}
