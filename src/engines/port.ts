import type { ConsumerExpectation, ConsumerPosition, ConsumerSaveOutcome } from '../core/consumers.js';
import type { ReadBudget, RecordBatch } from '../core/pages.js';
import type { IndexingLag } from '../core/lag.js';
import type { FilteredBatch, GlobalFilter } from '../core/global-filter.js';
import type { CommitOutcome, IdRange, NewChangeset, Statistics, StoredChangeset, StreamHead, StreamSummary } from '../core/types.js';

export interface StreamRead extends RecordBatch {
  readonly head: StreamHead;
}

/**
 * The storage port every engine implements. The rules live in src/core; an engine only stores,
 * reads and enforces the storage constraint that makes racing commits safe.
 */
export interface EventStoreEngine {
  /**
   * Commits one changeset if its expectation matches the stream's head. Exactly one of several
   * racing commits with the same expectation is committed; the others come back `behind`.
   */
  commit(changeset: NewChangeset): Promise<CommitOutcome>;

  /**
   * A stream's changesets whose changeset ids (`by: 'changeset'`) or event ids (`by: 'event'`)
   * meet `range`, oldest first, within `budget`; and the stream's head.
   */
  readStream(streamId: string, by: 'changeset' | 'event', range: IdRange, budget: ReadBudget): Promise<StreamRead>;

  /** Changesets from `checkpoint` on, in global order, within `budget`. May hold gaps. */
  readGlobal(checkpoint: number, budget: ReadBudget): Promise<readonly StoredChangeset[]>;

  /** The changesets matching `filter` among the checkpoints a FilteredScan examines from `checkpoint`. */
  readGlobalFiltered(checkpoint: number, filter: GlobalFilter, budget: ReadBudget): Promise<FilteredBatch>;

  /**
   * The first checkpoint (readable now) whose changeset was committed at or after `time` (ISO 8601
   * UTC); the head when there is none.
   */
  checkpointAtTime(time: string): Promise<number>;

  /** A stream's head with its last commit time, read without its changesets; undefined for no stream. */
  readStreamSummary(streamId: string): Promise<StreamSummary | undefined>;

  /**
   * Streams whose ids start with `prefix`, after `after` (exclusive), in the order of their ids'
   * UTF-8 bytes, at most `limit`; `more` when others follow.
   */
  listStreams(prefix: string, after: string | undefined, limit: number): Promise<{ readonly streams: readonly StreamSummary[]; readonly more: boolean }>;

  /**
   * Resolves once a changeset at `checkpoint` or later may be readable, after `timeoutMs`, or
   * when `signal` aborts, whichever comes first. Never rejects.
   */
  waitForCheckpoint(checkpoint: number, timeoutMs: number, signal?: AbortSignal): Promise<void>;

  readStatistics(): Promise<Statistics>;

  /**
   * Saves projected statistics if the stored ones are still at `previousVersion`; returns false
   * when another projector saved first, so nothing is counted twice.
   */
  saveStatistics(statistics: Statistics, previousVersion: number): Promise<boolean>;

  /** Finishes pending commits and releases the storage. */
  close(): Promise<void>;

  /** The next checkpoint of the global order that readers will see (the head). */
  readHead(): Promise<number>;

  /** How far the global order trails the commits, and the statistics the global order. */
  readLag(): Promise<IndexingLag>;

  /** A consumer's stored position, or undefined when there is no such consumer. */
  readConsumer(name: string): Promise<number | undefined>;

  /** Every consumer, by name. */
  listConsumers(): Promise<readonly ConsumerPosition[]>;

  /**
   * Stores `position` for the consumer if its stored position meets `expectation` (compare and
   * set: of racing saves with the same expectation, one lands), durably.
   */
  saveConsumer(name: string, position: number, expectation: ConsumerExpectation): Promise<ConsumerSaveOutcome>;

  /** Removes a consumer; false when there was none. */
  deleteConsumer(name: string): Promise<boolean>;
}
