import { DynamoDBClient, GetItemCommand, QueryCommand, TransactWriteItemsCommand, UpdateItemCommand } from '@aws-sdk/client-dynamodb';
import type { DynamoDBStreamEvent } from 'aws-lambda';
import { LruMap } from '../../core/lru-map.js';
import { batchGetAll } from './batch-get.js';
import { changesetKeyId, isConditionalCheckFailure, keyIdOf, num, pagePosition, readNumber, readString, str, type Item } from './items.js';
import { META_ITEMS, type TableNames } from './schema.js';
import { UNINDEXED_SHARD } from './unindexed.js';

export interface ChangesetKey {
  readonly streamId: string;
  readonly changesetId: number;
}

interface Assignment extends ChangesetKey {
  readonly checkpoint: number;
}

interface Counter {
  readonly exists: boolean;
  readonly next: number;
  /** The last batch's assignments: re-applied first, so a crash after the counter update heals. */
  readonly pending: readonly Assignment[];
}

export interface IndexerOptions {
  readonly client: DynamoDBClient;
  readonly tables: TableNames;
  /** Told the next checkpoint after each batch that assigned some, and how many it assigned (wakes long polls in dev; logs the range in Lambda). */
  readonly onIndexed?: (nextCheckpoint: number, assigned: number) => void;
  /** Item-write transactions (of up to 100 items) in flight at once. */
  readonly concurrency?: number;
  /** Attempts at the conditional counter update when other indexers keep winning it. */
  readonly maxAttempts?: number;
  /** Streams whose indexed prefix this process remembers, the most recently used (10,000: a few MB at most, with 512-byte stream ids). */
  readonly knownStreamsMax?: number;
}

/** Room for the recorded assignment in the counter item, well under DynamoDB's 400 KB. */
const PENDING_MAX_BYTES = 300_000;

/** The longest prefix whose recorded assignment takes at most `maxBytes`. */
function prefixWithin(keys: readonly ChangesetKey[], maxBytes: number): readonly ChangesetKey[] {
  let bytes = 2;
  for (let index = 0; index < keys.length; index++) {
    // ["<stream id>",<changeset id>,<checkpoint>], with room for escapes and separators.
    bytes += Buffer.byteLength(JSON.stringify(keys[index]!.streamId)) + 40;
    if (bytes > maxBytes) return keys.slice(0, Math.max(1, index));
  }
  return keys;
}

/** DynamoDB's limit of actions in one transaction. */
const TRANSACTION_LIMIT = 100;

const keyOf = (key: ChangesetKey): string => changesetKeyId(key.streamId, key.changesetId);

/** The new changesets of a DynamoDB stream batch, in the batch's order (Lambda's event shape). */
export function changesetKeysOf(event: DynamoDBStreamEvent): ChangesetKey[] {
  const keys: ChangesetKey[] = [];
  for (const record of event.Records) {
    if (record.eventName !== 'INSERT') continue;
    const streamId = record.dynamodb?.Keys?.['stream_id']?.S;
    const changesetId = record.dynamodb?.Keys?.['changeset_id']?.N;
    if (streamId !== undefined && changesetId !== undefined) keys.push({ streamId, changesetId: Number(changesetId) });
  }
  return keys;
}

async function inParallel<T>(items: readonly T[], concurrency: number, work: (item: T) => Promise<void>): Promise<void> {
  let next = 0;
  await Promise.all(
    Array.from({ length: Math.min(concurrency, items.length) }, async () => {
      while (next < items.length) await work(items[next++]!);
    }),
  );
}

/**
 * The global indexer: gives the new changesets of a batch dense checkpoints with one conditional
 * counter update per batch. The counter item records the batch's assignments before any item is
 * written, so an indexer that dies half-way is repaired by the next one; changesets already indexed
 * are skipped, and a stream's unindexed predecessors are indexed first, so per-stream order holds.
 */
export class GlobalIndexer {
  private readonly client: DynamoDBClient;
  private readonly tables: TableNames;
  /**
   * Per stream, a changeset id up to which everything is indexed, learnt only from assignment
   * batches this process applied completely (each holds all the unindexed predecessors of its
   * changesets). Indexing is permanent, so it never goes stale. What a read shows is not used: a
   * crashed indexer can leave changeset n indexed and n-1 not, until the repair. Bounded, since a
   * warm container meets ever more streams: a forgotten stream only costs a read again.
   */
  private readonly knownIndexed: LruMap<string, number>;

  constructor(private readonly options: IndexerOptions) {
    this.client = options.client;
    this.tables = options.tables;
    this.knownIndexed = new LruMap(options.knownStreamsMax ?? 10_000);
  }

  /** Lambda's handler body: index a DynamoDB stream batch. Throws to make Lambda retry it. */
  async handle(event: DynamoDBStreamEvent): Promise<{ assigned: number }> {
    return this.index(changesetKeysOf(event));
  }

  async index(keys: readonly ChangesetKey[]): Promise<{ assigned: number }> {
    const maxAttempts = this.options.maxAttempts ?? 30;
    let assigned = 0;
    for (let attempt = 1; ; attempt++) {
      const counter = await this.readCounter();
      await this.repair(counter.pending);
      const unindexed = await this.unindexedInOrder(keys);
      if (unindexed.length === 0) return { assigned };
      // The recorded assignment must fit in the counter item (400 KB): a prefix at a time, which
      // keeps per-stream order since predecessors come first.
      const fitting = prefixWithin(unindexed, PENDING_MAX_BYTES);
      const assignments = fitting.map((key, index) => ({ ...key, checkpoint: counter.next + index }));
      if (await this.advanceCounter(counter, assignments)) {
        await this.apply(assignments);
        this.options.onIndexed?.(counter.next + assignments.length, assignments.length);
        assigned += assignments.length;
        if (fitting.length === unindexed.length) return { assigned };
        attempt = 0;
        continue;
      }
      if (attempt >= maxAttempts) throw new Error(`The global counter stayed contended after ${attempt} attempts.`);
      // Another indexer won the counter: back off a little, with jitter, and look again.
      await new Promise((resolve) => setTimeout(resolve, Math.random() * Math.min(200, 5 * 2 ** attempt)));
    }
  }

  /**
   * What `index(keys)` would assign now, in its order, without writing: the keys' unindexed ones
   * and their unindexed predecessors, plus the counter's recorded assignments not yet applied.
   */
  async plan(keys: readonly ChangesetKey[]): Promise<{ next: number; pending: readonly ChangesetKey[]; unindexed: readonly ChangesetKey[] }> {
    const counter = await this.readCounter();
    const state = counter.pending.length === 0 ? new Map<string, boolean>() : await this.indexState(counter.pending);
    return { next: counter.next, pending: counter.pending.filter((assignment) => state.get(keyOf(assignment)) === false), unindexed: await this.unindexedInOrder(keys) };
  }

  private async readCounter(): Promise<Counter> {
    const result = await this.client.send(new GetItemCommand({ TableName: this.tables.meta, Key: { id: str(META_ITEMS.counter) }, ConsistentRead: true }));
    const item = result.Item;
    if (item === undefined) return { exists: false, next: 0, pending: [] };
    const pending = JSON.parse(readString(item, 'pending') ?? '[]') as [string, number, number][];
    return {
      exists: true,
      next: readNumber(item, 'next_checkpoint') ?? 0,
      pending: pending.map(([streamId, changesetId, checkpoint]) => ({ streamId, changesetId, checkpoint })),
    };
  }

  /** The one conditional write per batch: false when another indexer moved the counter first. */
  private async advanceCounter(counter: Counter, assignments: readonly Assignment[]): Promise<boolean> {
    try {
      await this.client.send(
        new UpdateItemCommand({
          TableName: this.tables.meta,
          Key: { id: str(META_ITEMS.counter) },
          UpdateExpression: 'SET next_checkpoint = :next, pending = :pending',
          ConditionExpression: counter.exists ? 'next_checkpoint = :expected' : 'attribute_not_exists(id)',
          ExpressionAttributeValues: {
            ':next': num(counter.next + assignments.length),
            ':pending': str(JSON.stringify(assignments.map((a) => [a.streamId, a.changesetId, a.checkpoint]))),
            ...(counter.exists ? { ':expected': num(counter.next) } : {}),
          },
        }),
      );
      return true;
    } catch (error) {
      if (isConditionalCheckFailure(error)) return false;
      throw error;
    }
  }

  /**
   * Writes assignments onto their items, up to 100 in one transaction (one round trip, and a
   * chunk lands whole or not at all). Idempotent; refuses to move an assigned checkpoint.
   */
  private async apply(assignments: readonly Assignment[]): Promise<void> {
    const chunks: Assignment[][] = [];
    for (let start = 0; start < assignments.length; start += TRANSACTION_LIMIT) chunks.push(assignments.slice(start, start + TRANSACTION_LIMIT));
    await inParallel(chunks, this.options.concurrency ?? 1, async (chunk) => {
      for (let attempt = 1; ; attempt++) {
        try {
          await this.client.send(
            new TransactWriteItemsCommand({
              TransactItems: chunk.map((assignment) => {
                const { page, pageItem } = pagePosition(assignment.checkpoint);
                return {
                  Update: {
                    TableName: this.tables.events,
                    Key: { stream_id: str(assignment.streamId), changeset_id: num(assignment.changesetId) },
                    // The checkpoint and the end of the unindexed mark land together (unindexed.ts).
                    UpdateExpression: `SET page = :p, page_item = :i REMOVE ${UNINDEXED_SHARD}`,
                    ConditionExpression: 'attribute_exists(changeset_id) AND (attribute_not_exists(page) OR (page = :p AND page_item = :i))',
                    ExpressionAttributeValues: { ':p': num(page), ':i': num(pageItem) },
                  },
                };
              }),
            }),
          );
          return;
        } catch (error) {
          const reasons = (error as { CancellationReasons?: { Code?: string }[] }).CancellationReasons ?? [];
          const refused = reasons.findIndex((reason) => reason.Code === 'ConditionalCheckFailed');
          if (refused !== -1) {
            const assignment = chunk[refused]!;
            throw new Error(`Changeset ${assignment.changesetId} of "${assignment.streamId}" is missing or indexed at another checkpoint than ${assignment.checkpoint}.`, { cause: error });
          }
          // A transaction conflict (another writer on the same items) is worth another try.
          if (!reasons.some((reason) => reason.Code === 'TransactionConflict') || attempt >= 5) throw error;
          await new Promise((resolve) => setTimeout(resolve, 20 * attempt));
        }
      }
    });
    for (const assignment of assignments) this.remember(assignment.streamId, assignment.changesetId);
  }

  /**
   * Applies the assignments the counter recorded last, in case their indexer died before writing
   * them all. Usually they are this process's own, known done; otherwise one batch read tells.
   */
  private async repair(pending: readonly Assignment[]): Promise<void> {
    const unknown = pending.filter((assignment) => !this.knownToBeIndexed(assignment.streamId, assignment.changesetId));
    if (unknown.length === 0) return;
    const state = await this.indexState(unknown);
    await this.apply(unknown.filter((assignment) => state.get(keyOf(assignment)) === false));
    for (const assignment of unknown) this.remember(assignment.streamId, assignment.changesetId);
  }

  private remember(streamId: string, changesetId: number): void {
    if ((this.knownIndexed.get(streamId) ?? 0) < changesetId) this.knownIndexed.set(streamId, changesetId);
  }

  /** Whether the changeset is known indexed without a read. */
  private knownToBeIndexed(streamId: string, changesetId: number): boolean {
    return changesetId <= (this.knownIndexed.get(streamId) ?? 0);
  }

  /**
   * The changesets to index: the batch's unindexed ones plus any unindexed predecessors, each
   * stream in ascending order, streams in the order the batch first names them. Read after the
   * counter, with consistent reads, so that nothing counted here is indexed by anyone else before
   * the conditional counter update.
   */
  private async unindexedInOrder(keys: readonly ChangesetKey[]): Promise<ChangesetKey[]> {
    const candidates = new Map<string, ChangesetKey>();
    for (const key of keys) if (!this.knownToBeIndexed(key.streamId, key.changesetId)) candidates.set(keyOf(key), key);
    if (candidates.size === 0) return [];

    const state = await this.indexState([...candidates.values()]);
    const unindexedOf = new Map<string, number[]>();
    for (const key of candidates.values()) {
      if (state.get(keyOf(key)) === false) (unindexedOf.get(key.streamId) ?? unindexedOf.set(key.streamId, []).get(key.streamId)!).push(key.changesetId);
    }
    const perStream = new Map<string, number[]>();
    await inParallel([...unindexedOf.entries()], 16, async ([streamId, ids]) => {
      ids.sort((a, b) => a - b);
      const contiguous = ids.every((id, index) => id === ids[0]! + index);
      // Known predecessors and no hole in the batch: nothing else of the stream needs indexing now.
      perStream.set(streamId, contiguous && this.knownToBeIndexed(streamId, ids[0]! - 1) ? ids : await this.unindexedUpTo(streamId, ids.at(-1)!));
    });

    const ordered: ChangesetKey[] = [];
    for (const key of keys) {
      const pending = perStream.get(key.streamId);
      if (pending === undefined) continue;
      // Everything of the stream up to this changeset goes now, predecessors first.
      while (pending.length > 0 && pending[0]! <= key.changesetId) ordered.push({ streamId: key.streamId, changesetId: pending.shift()! });
    }
    return ordered;
  }

  /** Indexed (true), unindexed (false) or missing (absent) for each key: consistent batch reads. */
  private async indexState(keys: readonly ChangesetKey[]): Promise<Map<string, boolean>> {
    const state = new Map<string, boolean>();
    for (let start = 0; start < keys.length; start += 100) {
      const responses = await batchGetAll(this.client, {
        [this.tables.events]: {
          Keys: keys.slice(start, start + 100).map((key) => ({ stream_id: str(key.streamId), changeset_id: num(key.changesetId) })),
          ConsistentRead: true,
          ProjectionExpression: 'stream_id, changeset_id, #page',
          ExpressionAttributeNames: { '#page': 'page' },
        },
      });
      for (const item of responses[this.tables.events] ?? []) state.set(keyIdOf(item), item['page'] !== undefined);
    }
    return state;
  }

  /** A stream's unindexed changesets up to `top`, ascending: walks back to the last indexed one. */
  private async unindexedUpTo(streamId: string, top: number): Promise<number[]> {
    const unindexed: number[] = [];
    let startKey: Item | undefined;
    let changesetId = top;
    outer: do {
      if (this.knownToBeIndexed(streamId, changesetId)) break;
      const result = await this.client.send(
        new QueryCommand({
          TableName: this.tables.events,
          KeyConditionExpression: 'stream_id = :s AND changeset_id <= :top',
          ExpressionAttributeValues: { ':s': str(streamId), ':top': num(top) },
          ExpressionAttributeNames: { '#page': 'page' },
          ProjectionExpression: 'changeset_id, #page',
          ScanIndexForward: false,
          ConsistentRead: true,
          Limit: 100,
          ...(startKey === undefined ? {} : { ExclusiveStartKey: startKey }),
        }),
      );
      for (const item of result.Items ?? []) {
        changesetId = readNumber(item, 'changeset_id')!;
        if (item['page'] !== undefined || this.knownToBeIndexed(streamId, changesetId)) break outer;
        unindexed.push(changesetId);
      }
      startKey = result.LastEvaluatedKey;
    } while (startKey !== undefined);
    return unindexed.reverse();
  }
}
