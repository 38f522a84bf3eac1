import {
  DynamoDBClient,
  GetItemCommand,
  PutItemCommand,
  QueryCommand,
  type QueryCommandInput,
} from '@aws-sdk/client-dynamodb';
import { judgeExpectation, type Verdict } from '../../core/expectations.js';
import { BudgetedRecords, eventRangeEnd, type ReadBudget } from '../../core/pages.js';
import { FilteredScan, matchesStream, type FilteredBatch, type GlobalFilter } from '../../core/global-filter.js';
import { replayOf } from '../../core/idempotency.js';
import type { CommitOutcome, IdRange, NewChangeset, Statistics, StoredChangeset, StreamHead, StreamSummary } from '../../core/types.js';
import { EMPTY_HEAD, EMPTY_STATISTICS, OPEN_END } from '../../core/types.js';
import type { EventStoreEngine, StreamRead } from '../port.js';
import { CheckpointWaiters } from '../waiters.js';
import type { ConsumerExpectation, ConsumerPosition, ConsumerSaveOutcome } from '../../core/consumers.js';
import { DynamoDbConsumers } from './consumers.js';
import { batchGetAll } from './batch-get.js';
import { checkpointOf, isConditionalCheckFailure, keyIdOf, num, pagePosition, readNumber, readString, str, toStoredChangeset, type Item } from './items.js';
import { listStreamIds, mapLimited, streamBucketOf, summaryOf } from './stream-listing.js';
import { EVENTS_INDEXES, META_ITEMS, PAGE_SIZE, type TableNames } from './schema.js';
import { readUnindexedLag, UNINDEXED_SHARD, unindexedShardOf } from './unindexed.js';
import { lagOf, type IndexingLag } from '../../core/lag.js';

/** How far commit times may go back along the global order: API Gateway ends a request after 29 s. */
export const COMMIT_TIME_SKEW_MS = 30_000;

/** The events table key of an item or index entry. */
const keyOf = (entry: Item): Item => ({ stream_id: entry['stream_id']!, changeset_id: entry['changeset_id']! });

export interface DynamoDbEngineOptions {
  readonly client: DynamoDBClient;
  readonly tables: TableNames;
  /**
   * How often a long poll looks for its checkpoint when nothing wakes it. In `ees dev` the
   * indexer wakes waiters at once (`notifyIndexed`); in Lambda nothing can, so it polls.
   */
  readonly pollIntervalMs?: number;
  /**
   * Answer a global read with "nothing yet" from a look at the same checkpoint at most this old,
   * without a request. The api Lambda sets it: a follower's next long poll starts right after its
   * last one ended with a read, so without it each poll reads the index twice in a row. Default 0.
   */
  readonly reuseEmptyLookMs?: number;
  /** How a long poll tells time and waits between looks; tests pass a manual clock. */
  readonly clock?: PollClock;
}

export interface PollClock {
  now(): number;
  /** Resolves after `ms`; the default clock resolves early when the indexer reports progress or `signal` aborts. */
  pause(ms: number, checkpoint: number, signal?: AbortSignal): Promise<void>;
}

/** The production engine: the seed's data model on DynamoDB, conditional puts as the backstop. */
export class DynamoDbEngine implements EventStoreEngine {
  private readonly client: DynamoDBClient;
  private readonly tables: TableNames;
  private readonly waiters = new CheckpointWaiters();
  private readonly pollIntervalMs: number;
  private readonly clock: PollClock;
  /** The latest look at the global index that found a checkpoint absent: long polls for it time their next look from there. */
  private lastEmptyLook: { readonly checkpoint: number; readonly at: number } | undefined;
  private closed = false;
  private readonly consumers: DynamoDbConsumers;

  constructor(private readonly options: DynamoDbEngineOptions) {
    this.client = options.client;
    this.tables = options.tables;
    this.pollIntervalMs = options.pollIntervalMs ?? 500;
    this.clock = options.clock ?? { now: () => Date.now(), pause: (ms, checkpoint, signal) => this.waiters.wait(checkpoint, ms, signal) };
    this.consumers = new DynamoDbConsumers(options.client, options.tables.meta);
  }

  /**
   * The stream's head: the entry with the highest last event id in the keys-only last-event index
   * (one small read, whatever the changesets' size). An eventually consistent head may lag behind
   * the stream, but never shows a changeset that is not stored: changesets are never deleted and
   * never change their ids.
   */
  private async head(streamId: string, consistentRead = true): Promise<StreamHead> {
    const result = await this.client.send(
      new QueryCommand({
        TableName: this.tables.events,
        IndexName: EVENTS_INDEXES.lastEvent,
        KeyConditionExpression: 'stream_id = :s',
        ExpressionAttributeValues: { ':s': str(streamId) },
        // No ProjectionExpression: the index holds only keys, and naming attributes makes
        // DynamoDB Local bill a fetch from the table as well.
        ScanIndexForward: false,
        Limit: 1,
        ConsistentRead: consistentRead,
      }),
    );
    const item = result.Items?.[0];
    return item === undefined ? EMPTY_HEAD : { lastChangesetId: readNumber(item, 'changeset_id')!, lastEventId: readNumber(item, 'last_event_id')! };
  }

  /**
   * The head a commit is judged against. A lagging head is safe to accept on, because the
   * conditional put refuses a changeset id that is taken, and to refuse as behind, because what it
   * shows is stored; only "ahead" may be the lag's doing, so that verdict is read again strongly.
   */
  private async judgedHead(changeset: NewChangeset): Promise<{ head: StreamHead; verdict: Verdict }> {
    const lagging = await this.head(changeset.streamId, false);
    const verdict = judgeExpectation(changeset.expectation, lagging);
    if (verdict !== 'ahead') return { head: lagging, verdict };
    const head = await this.head(changeset.streamId);
    return { head, verdict: judgeExpectation(changeset.expectation, head) };
  }

  async commit(changeset: NewChangeset): Promise<CommitOutcome> {
    if (this.closed) throw new Error('The event store is closed.');
    // A commit that opens a stream needs no read: its put's condition is the whole check.
    const { head, verdict } = changeset.expectation.value === 0 ? { head: EMPTY_HEAD, verdict: 'accept' as const } : await this.judgedHead(changeset);
    if (verdict === 'behind') return this.behind(changeset, head);
    if (verdict !== 'accept') return { status: verdict, head };
    const changesetId = head.lastChangesetId + 1;
    try {
      await this.client.send(
        new PutItemCommand({
          TableName: this.tables.events,
          Item: {
            stream_id: str(changeset.streamId),
            changeset_id: num(changesetId),
            events: str(changeset.events),
            metadata: str(changeset.metadata),
            timestamp: str(new Date().toISOString()),
            first_event_id: num(head.lastEventId + 1),
            last_event_id: num(head.lastEventId + changeset.eventCount),
            // Lists it in the unindexed index until the indexer gives it a checkpoint (unindexed.ts).
            [UNINDEXED_SHARD]: num(unindexedShardOf(changeset.streamId, changesetId)),
            ...(changeset.commitId === undefined ? {} : { commit_id: str(changeset.commitId) }),
            // A stream's first changeset enters the sparse stream list index: no request of its own.
            ...(changesetId === 1 ? { stream_bucket: num(streamBucketOf(changeset.streamId)) } : {}),
          },
          // The backstop: of racing writers with the same expectation, one put lands.
          ConditionExpression: 'attribute_not_exists(changeset_id)',
        }),
      );
    } catch (error) {
      if (isConditionalCheckFailure(error)) return this.behind(changeset, await this.head(changeset.streamId));
      throw error;
    }
    return { status: 'committed', changesetId, checkpoint: null };
  }

  /** The pages of a query's items, one after another, until the caller stops pulling. */
  private async *pages(input: QueryCommandInput): AsyncGenerator<Item[]> {
    let startKey: Item | undefined;
    do {
      const result = await this.client.send(new QueryCommand({ ...input, ...(startKey === undefined ? {} : { ExclusiveStartKey: startKey }) }));
      yield result.Items ?? [];
      startKey = result.LastEvaluatedKey;
    } while (startKey !== undefined);
  }

  /**
   * A behind commit: the original of a retry (one consistent read of the changeset right after the
   * expectation, only for commits with a commit id), or a conflict.
   */
  private async behind(changeset: NewChangeset, head: StreamHead): Promise<CommitOutcome> {
    if (changeset.commitId === undefined) return { status: 'behind', head };
    const { expectation, streamId } = changeset;
    const afterId = expectation.kind === 'changeset' ? expectation.value + 1 : await this.changesetHoldingEvent(streamId, expectation.value + 1);
    const item =
      afterId === undefined
        ? undefined
        : (await this.client.send(new GetItemCommand({ TableName: this.tables.events, Key: { stream_id: str(streamId), changeset_id: num(afterId) }, ConsistentRead: true }))).Item;
    const replay = replayOf(
      changeset,
      item === undefined
        ? undefined
        : {
            changesetId: readNumber(item, 'changeset_id')!,
            firstEventId: readNumber(item, 'first_event_id')!,
            events: readString(item, 'events')!,
            metadata: readString(item, 'metadata')!,
            commitId: readString(item, 'commit_id'),
          },
    );
    return replay ?? { status: 'behind', head };
  }

  /** Items of a query, page after page, until the caller stops pulling. */
  private async *items(input: QueryCommandInput): AsyncGenerator<Item> {
    for await (const page of this.pages(input)) yield* page;
  }

  /** The first changeset of a stream holding an event at or after `eventId` (its last event index). */
  private async changesetHoldingEvent(streamId: string, eventId: number): Promise<number | undefined> {
    const result = await this.client.send(
      new QueryCommand({
        TableName: this.tables.events,
        IndexName: EVENTS_INDEXES.lastEvent,
        KeyConditionExpression: 'stream_id = :s AND last_event_id >= :from',
        ExpressionAttributeValues: { ':s': str(streamId), ':from': num(eventId) },
        ConsistentRead: true,
        Limit: 1,
      }),
    );
    const item = result.Items?.[0];
    return item === undefined ? undefined : readNumber(item, 'changeset_id');
  }

  // The head is read after the records, so it is never older than a changeset they hold: a page
  // and its head are a consistent pair although they come from two queries.
  async readStream(streamId: string, by: 'changeset' | 'event', range: IdRange, budget: ReadBudget): Promise<StreamRead> {
    const to = Number.isFinite(range.to) ? range.to : OPEN_END;
    const from = by === 'changeset' ? range.from : await this.changesetHoldingEvent(streamId, range.from);
    if (from === undefined) return { head: await this.head(streamId), records: [], exhausted: true };
    const kept = new BudgetedRecords(budget, by === 'event' ? eventRangeEnd(range) : undefined);
    for await (const page of this.pages({
      TableName: this.tables.events,
      KeyConditionExpression: 'stream_id = :s AND changeset_id BETWEEN :from AND :to',
      ExpressionAttributeValues: { ':s': str(streamId), ':from': num(from), ':to': num(by === 'changeset' ? to : OPEN_END) },
      ConsistentRead: true,
      Limit: budget.maxRecords + 1,
    })) {
      if (!kept.takeFrom(page, toStoredChangeset)) break;
    }
    return { head: await this.head(streamId), ...kept.batch() };
  }

  /** Items by key, consistently read, in the order of `keys`. */
  private async itemsByKey(keys: readonly Item[]): Promise<Item[]> {
    const found = new Map<string, Item>();
    for (let start = 0; start < keys.length; start += 100) {
      const responses = await batchGetAll(this.client, { [this.tables.events]: { Keys: keys.slice(start, start + 100), ConsistentRead: true } });
      for (const item of responses[this.tables.events] ?? []) found.set(keyIdOf(item), item);
    }
    return keys.map((key) => found.get(keyIdOf(key))).filter((item): item is Item => item !== undefined);
  }

  /**
   * At most `max` entries of the global index from `checkpoint` on, page after page: a page is only
   * followed by the next when it ended on its last item (the index is eventually consistent, and
   * callers stop at the first gap).
   */
  private async globalIndexEntries(checkpoint: number, max: number): Promise<Item[]> {
    const entries: Item[] = [];
    let { page, pageItem } = pagePosition(checkpoint);
    while (entries.length < max) {
      let last = -1;
      for await (const entry of this.items({
        TableName: this.tables.events,
        IndexName: EVENTS_INDEXES.globalOrder,
        KeyConditionExpression: 'page = :p AND page_item >= :i',
        ExpressionAttributeValues: { ':p': num(page), ':i': num(pageItem) },
        Limit: Math.min(max - entries.length, PAGE_SIZE),
      })) {
        entries.push(entry);
        last = readNumber(entry, 'page_item')!;
        if (entries.length >= max) return entries;
      }
      if (last !== PAGE_SIZE - 1) break;
      page++;
      pageItem = 0;
    }
    return entries;
  }

  async readGlobal(checkpoint: number, budget: ReadBudget): Promise<readonly StoredChangeset[]> {
    // The global index is eventually consistent and holds keys only: list the checkpoints it shows,
    // page by page (a page is only followed by the next when it ended on its last item), then read
    // the items. The caller stops at the first gap.
    const lookedAt = this.clock.now();
    const previous = this.lastEmptyLook;
    if (previous?.checkpoint === checkpoint && lookedAt - previous.at < (this.options.reuseEmptyLookMs ?? 0)) return [];
    const keys = (await this.globalIndexEntries(checkpoint, budget.maxRecords)).map(keyOf);
    if (keys.length === 0) this.lastEmptyLook = { checkpoint, at: lookedAt };
    const kept = new BudgetedRecords(budget);
    // Read in slices, so that a byte budget reached early does not fetch the rest.
    for (let start = 0; start < keys.length; start += 100) {
      if (!kept.takeFrom(await this.itemsByKey(keys.slice(start, start + 100)), toStoredChangeset)) break;
    }
    return kept.records;
  }

  /**
   * Filtered: the keys of the checkpoints examined come from the global index (which holds the stream
   * id), so a stream prefix rules changesets out without reading them; only candidates are read, in
   * BatchGets of 100. One request examines at most FILTER_EXAMINE_MAX checkpoints: at most 2 index
   * queries and 10 BatchGets.
   */
  async readGlobalFiltered(checkpoint: number, filter: GlobalFilter, budget: ReadBudget): Promise<FilteredBatch> {
    const scan = new FilteredScan(checkpoint, filter, budget);
    const keys = (await this.globalIndexEntries(checkpoint, scan.remaining)).map((entry) => ({
      checkpoint: checkpointOf(entry),
      key: keyOf(entry),
      candidate: matchesStream(filter, readString(entry, 'stream_id')!),
    }));
    const candidates = await this.itemsByKey(keys.filter((entry) => entry.candidate).map((entry) => entry.key));
    const read = new Map(candidates.map((item) => [keyIdOf(item), toStoredChangeset(item)]));
    for (const entry of keys) if (!scan.examine(entry.checkpoint, entry.candidate ? read.get(keyIdOf(entry.key)) : undefined)) break;
    return scan.result();
  }

  /** The query for the global index's entry of `checkpoint`. */
  private globalIndexEntryAt(checkpoint: number): QueryCommandInput {
    const { page, pageItem } = pagePosition(checkpoint);
    return {
      TableName: this.tables.events,
      IndexName: EVENTS_INDEXES.globalOrder,
      KeyConditionExpression: 'page = :p AND page_item = :i',
      ExpressionAttributeValues: { ':p': num(page), ':i': num(pageItem) },
    };
  }

  /** The commit time of the changeset at `checkpoint`; undefined while it is not visible. */
  private async committedAtOf(checkpoint: number): Promise<string | undefined> {
    const result = await this.client.send(new QueryCommand(this.globalIndexEntryAt(checkpoint)));
    const key = result.Items?.[0];
    if (key === undefined) return undefined;
    const item = await this.client.send(
      new GetItemCommand({ TableName: this.tables.events, Key: { stream_id: key['stream_id']!, changeset_id: key['changeset_id']! }, ProjectionExpression: '#t', ExpressionAttributeNames: { '#t': 'timestamp' } }),
    );
    return item.Item === undefined ? undefined : readString(item.Item, 'timestamp');
  }

  /**
   * A binary search over the global order, two requests per step (about 2·log₂ n). Commit times are
   * taken by the api Lambda before the indexer orders the changesets, so neighbours may disagree by
   * the clocks' skew and indexing order: the search lands where one changeset committed before
   * `time` is followed by one at or after it (docs/api.md).
   */
  /**
   * Commit times are the api function's clock before its put, and checkpoints come later, in stream
   * order: along the global order times can go back by as long as a commit request may take. A binary
   * search for the time itself can then step past a changeset committed at or after it (it needs
   * times that only rise), so it searches for COMMIT_TIME_SKEW_MS earlier: no later checkpoint has
   * a time that much before an earlier one's, so it never lands past such a changeset. Readers may
   * get up to that much of what came before.
   */
  async checkpointAtTime(asked: string): Promise<number> {
    const time = new Date(Date.parse(asked) - COMMIT_TIME_SKEW_MS).toISOString();
    let low = 0;
    let high = await this.readHead();
    while (low < high) {
      const middle = Math.floor((low + high) / 2);
      const committedAt = await this.committedAtOf(middle);
      if (committedAt === undefined || committedAt >= time) high = middle;
      else low = middle + 1;
    }
    return low;
  }

  async readStreamSummary(streamId: string): Promise<StreamSummary | undefined> {
    const head = await this.head(streamId);
    if (head.lastChangesetId === 0) return undefined;
    const item = await this.client.send(
      new GetItemCommand({ TableName: this.tables.events, Key: { stream_id: str(streamId), changeset_id: num(head.lastChangesetId) }, ProjectionExpression: '#t', ExpressionAttributeNames: { '#t': 'timestamp' }, ConsistentRead: true }),
    );
    return summaryOf(streamId, head, item.Item === undefined ? undefined : readString(item.Item, 'timestamp'));
  }

  /** STREAM_LIST_BUCKETS index queries, then one head query per stream (16 at a time) and a BatchGet per 100 for the commit times. */
  async listStreams(prefix: string, after: string | undefined, limit: number): Promise<{ streams: StreamSummary[]; more: boolean }> {
    const { ids, more } = await listStreamIds(this.client, this.tables.events, prefix, after, limit);
    const heads = await mapLimited(ids, 16, (id) => this.head(id));
    const lastItems = await this.itemsByKey(ids.map((id, index) => ({ stream_id: str(id), changeset_id: num(heads[index]!.lastChangesetId) })));
    const times = new Map(lastItems.map((item) => [readString(item, 'stream_id')!, readString(item, 'timestamp')]));
    return { streams: ids.map((id, index) => summaryOf(id, heads[index]!, times.get(id))), more };
  }

  /** Wakes long polls once the indexer has assigned checkpoints up to `nextCheckpoint`. */
  notifyIndexed(nextCheckpoint: number): void {
    this.lastEmptyLook = undefined;
    this.waiters.notify(nextCheckpoint);
  }

  private async isVisible(checkpoint: number): Promise<boolean> {
    const lookedAt = this.clock.now();
    const result = await this.client.send(new QueryCommand({ ...this.globalIndexEntryAt(checkpoint), Select: 'COUNT' }));
    const visible = (result.Count ?? 0) > 0;
    if (!visible) this.lastEmptyLook = { checkpoint, at: lookedAt };
    return visible;
  }

  /**
   * Looks at the global index once per poll interval, timed from the last look that found the
   * checkpoint absent (usually the caller's own read just before), so an idle follower costs one
   * read per interval and sees a changeset at most one interval after it is indexed. No look at the
   * time limit: the caller reads the global order then anyway. A wake-up from the indexer (ees dev)
   * makes it look at once.
   */
  async waitForCheckpoint(checkpoint: number, timeoutMs: number, signal?: AbortSignal): Promise<void> {
    const deadline = this.clock.now() + timeoutMs;
    const previous = this.lastEmptyLook;
    let nextLook = previous?.checkpoint === checkpoint ? previous.at + this.pollIntervalMs : this.clock.now();
    while (!this.closed && signal?.aborted !== true) {
      const now = this.clock.now();
      if (now >= deadline) return;
      if (now >= nextLook) {
        if (await this.isVisible(checkpoint)) return;
        nextLook = now + this.pollIntervalMs;
        continue;
      }
      const until = Math.min(deadline, nextLook);
      await this.clock.pause(until - now, checkpoint, signal);
      if (this.clock.now() < until) nextLook = this.clock.now();
    }
  }

  async readStatistics(): Promise<Statistics> {
    const result = await this.client.send(
      new GetItemCommand({ TableName: this.tables.meta, Key: { id: str(META_ITEMS.statistics) }, ConsistentRead: true }),
    );
    const item = result.Item;
    if (item === undefined) return EMPTY_STATISTICS;
    return {
      total_streams: readNumber(item, 'total_streams') ?? 0,
      total_changesets: readNumber(item, 'total_changesets') ?? 0,
      total_events: readNumber(item, 'total_events') ?? 0,
      max_stream_length: readNumber(item, 'max_stream_length') ?? 0,
      statistics_version: readNumber(item, 'statistics_version') ?? 0,
    };
  }

  async saveStatistics(statistics: Statistics, previousVersion: number): Promise<boolean> {
    try {
      await this.client.send(
        new PutItemCommand({
          TableName: this.tables.meta,
          Item: {
            id: str(META_ITEMS.statistics),
            total_streams: num(statistics.total_streams),
            total_changesets: num(statistics.total_changesets),
            total_events: num(statistics.total_events),
            max_stream_length: num(statistics.max_stream_length),
            statistics_version: num(statistics.statistics_version),
          },
          ConditionExpression: previousVersion === 0 ? 'attribute_not_exists(id) OR statistics_version = :previous' : 'statistics_version = :previous',
          ExpressionAttributeValues: { ':previous': num(previousVersion) },
        }),
      );
      return true;
    } catch (error) {
      if (isConditionalCheckFailure(error)) return false;
      throw error;
    }
  }

  async close(): Promise<void> {
    this.closed = true;
    this.waiters.releaseAll();
  }

  readHead(): Promise<number> {
    return this.consumers.readHead();
  }

  /** 16 index queries and two item reads: docs/operating.md, "Lag". */
  async readLag(): Promise<IndexingLag> {
    const [unindexed, head, statistics] = await Promise.all([readUnindexedLag(this.client, this.tables), this.readHead(), this.readStatistics()]);
    return lagOf(unindexed, head, statistics.statistics_version);
  }

  readConsumer(name: string): Promise<number | undefined> {
    return this.consumers.read(name);
  }

  listConsumers(): Promise<readonly ConsumerPosition[]> {
    return this.consumers.list();
  }

  saveConsumer(name: string, position: number, expectation: ConsumerExpectation): Promise<ConsumerSaveOutcome> {
    return this.consumers.save(name, position, expectation);
  }

  deleteConsumer(name: string): Promise<boolean> {
    return this.consumers.delete(name);
  }
}
