import type { Context, DynamoDBBatchResponse, DynamoDBStreamEvent } from 'aws-lambda';
import { snsPublisher } from './container.js';
import { count, METRIC_NAMES, observability, observed } from './observability.js';

const publisher = () => {
  const { logger, metrics } = observability();
  return snsPublisher({
    logError: (message, details) => logger.error(message, details ?? {}),
    onPublishFailures: (messages) => count(metrics, METRIC_NAMES.publishFailures, messages),
  });
};

/** The `publisher` Lambda, on the events table's stream: see src/publisher/publisher.ts. */
export async function handler(event: DynamoDBStreamEvent, context?: Context): Promise<DynamoDBBatchResponse> {
  return observed(context, async ({ logger }) => {
    const response = await publisher()(event, context);
    const streamIds = [...new Set(event.Records.map((record) => record.dynamodb?.Keys?.['stream_id']?.S).filter((id) => id !== undefined))];
    const retryFrom = response.batchItemFailures[0]?.itemIdentifier;
    logger.info('Published', { records: event.Records.length, streams: streamIds.length, stream_ids: streamIds.slice(0, 10), ...(retryFrom === undefined ? {} : { retry_from: retryFrom }) });
    return response;
  });
}
