import type { Context, DynamoDBStreamEvent } from 'aws-lambda';
import { globalIndexer } from './container.js';
import { count, METRIC_NAMES, milliseconds, observed } from './observability.js';

/** The checkpoints this invocation assigned, told by the indexer as it goes (one invocation at a time per container). */
let assigned: { first: number; last: number } | undefined;
const indexer = () =>
  globalIndexer({
    onIndexed: (next, newlyAssigned) => {
      assigned = { first: assigned?.first ?? next - newlyAssigned, last: next - 1 };
    },
  });

/** The `indexer` Lambda, on the events table's stream: a failure makes Lambda retry the batch. */
export async function handler(event: DynamoDBStreamEvent, context?: Context): Promise<void> {
  await observed(context, async ({ logger, metrics }) => {
    assigned = undefined;
    const streamIds = [...new Set(event.Records.map((record) => record.dynamodb?.Keys?.['stream_id']?.S).filter((id) => id !== undefined))];
    const batch = { records: event.Records.length, streams: streamIds.length, stream_ids: streamIds.slice(0, 10) };
    try {
      const result = await indexer().handle(event);
      count(metrics, METRIC_NAMES.changesetsIndexed, result.assigned);
      const created = event.Records.map((record) => record.dynamodb?.ApproximateCreationDateTime).filter((time) => time !== undefined);
      // The oldest record's wait: what a reader of the global order waited at most in this batch.
      if (result.assigned > 0 && created.length > 0) milliseconds(metrics, METRIC_NAMES.indexingLatency, Math.max(0, Date.now() - Math.min(...created) * 1000));
      logger.info('Indexed', { ...batch, assigned: result.assigned, ...(assigned === undefined ? {} : { checkpoints: assigned }) });
    } catch (error) {
      logger.error('Indexing failed: Lambda retries the batch', { ...batch, ...(assigned === undefined ? {} : { checkpoints: assigned }), error: error as Error });
      throw error;
    }
  });
}
