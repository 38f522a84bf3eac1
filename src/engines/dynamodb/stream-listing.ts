import { createHash } from 'node:crypto';
import type { DynamoDBClient, QueryCommandInput } from '@aws-sdk/client-dynamodb';
import { QueryCommand } from '@aws-sdk/client-dynamodb';
import type { StreamHead, StreamSummary } from '../../core/types.js';
import { readString, str, num, type Item } from './items.js';
import { EVENTS_INDEXES, STREAM_LIST_BUCKETS } from './schema.js';

/** The stream list bucket of a stream: stable, spread evenly. */
export function streamBucketOf(streamId: string): number {
  return createHash('sha256').update(streamId).digest().readUInt32BE(0) % STREAM_LIST_BUCKETS;
}

const byUtf8 = (a: string, b: string): number => Buffer.compare(Buffer.from(a), Buffer.from(b));

/**
 * Lists streams from the sparse stream list index: one query per bucket (up to `limit` + 1 keys
 * each, so a page costs STREAM_LIST_BUCKETS queries), merged in the order of the ids' UTF-8 bytes,
 * which is DynamoDB's order of string sort keys. Each listed stream's head then costs one query of
 * the last event index and its share of a BatchGet for the commit time (`summaries`).
 */
export async function listStreamIds(
  client: DynamoDBClient,
  table: string,
  prefix: string,
  after: string | undefined,
  limit: number,
): Promise<{ ids: string[]; more: boolean }> {
  const start = after !== undefined && byUtf8(after, prefix) >= 0 ? after : undefined;
  const perBucket = await Promise.all(
    Array.from({ length: STREAM_LIST_BUCKETS }, async (_, bucket) => {
      const input: QueryCommandInput = {
        TableName: table,
        IndexName: EVENTS_INDEXES.streamList,
        KeyConditionExpression: start === undefined ? 'stream_bucket = :b AND begins_with(stream_id, :p)' : 'stream_bucket = :b AND stream_id > :after',
        ExpressionAttributeValues: start === undefined ? { ':b': num(bucket), ':p': str(prefix) } : { ':b': num(bucket), ':after': str(start) },
        Limit: limit + 1,
      };
      const ids: string[] = [];
      let startKey: Item | undefined;
      do {
        const result = await client.send(new QueryCommand({ ...input, ...(startKey === undefined ? {} : { ExclusiveStartKey: startKey }) }));
        for (const item of result.Items ?? []) {
          const id = readString(item, 'stream_id')!;
          // Past the prefix: sorted, so nothing further matches.
          if (!id.startsWith(prefix)) return ids;
          ids.push(id);
        }
        startKey = result.LastEvaluatedKey;
      } while (startKey !== undefined && ids.length <= limit);
      return ids;
    }),
  );
  const merged = perBucket.flat().sort(byUtf8);
  return { ids: merged.slice(0, limit), more: merged.length > limit };
}

/** Runs `task` over `items`, at most `parallel` at a time, keeping their order. */
export async function mapLimited<T, R>(items: readonly T[], parallel: number, task: (item: T) => Promise<R>): Promise<R[]> {
  const results: R[] = new Array<R>(items.length);
  let next = 0;
  await Promise.all(
    Array.from({ length: Math.min(parallel, items.length) }, async () => {
      while (next < items.length) {
        const index = next++;
        results[index] = await task(items[index]!);
      }
    }),
  );
  return results;
}

export function summaryOf(streamId: string, head: StreamHead, committedAt: string | undefined): StreamSummary {
  return { streamId, lastChangesetId: head.lastChangesetId, lastEventId: head.lastEventId, committedAt: committedAt ?? '' };
}
