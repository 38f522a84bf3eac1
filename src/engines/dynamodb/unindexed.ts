import { QueryCommand, type DynamoDBClient } from '@aws-sdk/client-dynamodb';
import type { IndexingLag } from '../../core/lag.js';
import { num, readNumber, readString, type Item } from './items.js';
import { EVENTS_INDEXES, UNINDEXED_SHARDS, type TableNames } from './schema.js';

/** The attribute a commit marks its changeset with, and the indexer removes (schema.ts). */
export const UNINDEXED_SHARD = 'unindexed_shard';

/** The shard of a changeset's mark: FNV-1a over its key, so commits spread evenly over the shards. */
export function unindexedShardOf(streamId: string, changesetId: number): number {
  let hash = 0x811c9dc5;
  for (const char of `${changesetId}\u0000${streamId}`) {
    hash ^= char.codePointAt(0)!;
    hash = Math.imul(hash, 0x01000193) >>> 0;
  }
  return hash % UNINDEXED_SHARDS;
}

/** A changeset the unindexed index lists: its key and when it was committed. */
export interface UnindexedEntry {
  readonly streamId: string;
  readonly changesetId: number;
  readonly committedAt: string;
}

/** The entries one look at a shard returns, and how many a lag reading counts per shard. */
export const LAG_COUNT_PER_SHARD = 1000;

const entryOf = (item: Item): UnindexedEntry => ({
  streamId: readString(item, 'stream_id')!,
  changesetId: readNumber(item, 'changeset_id')!,
  committedAt: readString(item, 'timestamp')!,
});

/** One page of a shard's entries, oldest first (the index is eventually consistent). */
async function shardPage(client: DynamoDBClient, tables: TableNames, shard: number, limit: number, startKey?: Item): Promise<{ entries: UnindexedEntry[]; next: Item | undefined }> {
  const result = await client.send(
    new QueryCommand({
      TableName: tables.events,
      IndexName: EVENTS_INDEXES.unindexed,
      KeyConditionExpression: '#shard = :shard',
      ExpressionAttributeNames: { '#shard': UNINDEXED_SHARD },
      ExpressionAttributeValues: { ':shard': num(shard) },
      ScanIndexForward: true,
      Limit: limit,
      ...(startKey === undefined ? {} : { ExclusiveStartKey: startKey }),
    }),
  );
  return { entries: (result.Items ?? []).map(entryOf), next: result.LastEvaluatedKey };
}

/**
 * Committed changesets without a checkpoint, counted from the unindexed index: one query per shard
 * (16), each reading at most LAG_COUNT_PER_SHARD keys-only entries. Its cost follows the backlog,
 * not the table: 8 read request units when nothing waits.
 */
export async function readUnindexedLag(client: DynamoDBClient, tables: TableNames, now = Date.now()): Promise<Pick<IndexingLag, 'unindexed_changesets' | 'unindexed_count_capped' | 'oldest_unindexed_at' | 'oldest_unindexed_age_ms'>> {
  const pages = await Promise.all(Array.from({ length: UNINDEXED_SHARDS }, (_, shard) => shardPage(client, tables, shard, LAG_COUNT_PER_SHARD)));
  let oldest: string | null = null;
  for (const page of pages) {
    const first = page.entries[0]?.committedAt;
    if (first !== undefined && (oldest === null || first < oldest)) oldest = first;
  }
  return {
    unindexed_changesets: pages.reduce((sum, page) => sum + page.entries.length, 0),
    unindexed_count_capped: pages.some((page) => page.next !== undefined),
    oldest_unindexed_at: oldest,
    oldest_unindexed_age_ms: oldest === null ? null : Math.max(0, now - Date.parse(oldest)),
  };
}

/**
 * Every entry of the unindexed index, in batches of up to `batchSize` (each batch's entries oldest
 * first): the shards are read page by page and merged by commit time.
 */
export async function* unindexedBatches(client: DynamoDBClient, tables: TableNames, batchSize: number): AsyncGenerator<UnindexedEntry[]> {
  const cursors = Array.from({ length: UNINDEXED_SHARDS }, () => ({ next: undefined as Item | undefined, done: false }));
  while (cursors.some((cursor) => !cursor.done)) {
    const batch: UnindexedEntry[] = [];
    const perShard = Math.max(1, Math.ceil(batchSize / UNINDEXED_SHARDS));
    await Promise.all(
      cursors.map(async (cursor, shard) => {
        if (cursor.done) return;
        const page = await shardPage(client, tables, shard, perShard, cursor.next);
        batch.push(...page.entries);
        cursor.next = page.next;
        cursor.done = page.next === undefined;
      }),
    );
    batch.sort((a, b) => (a.committedAt < b.committedAt ? -1 : a.committedAt > b.committedAt ? 1 : 0));
    if (batch.length > 0) yield batch;
  }
}
