import type { ConsumerExpectation, ConsumerPosition, ConsumerSaveOutcome } from '../core/consumers.js';
import type { ReadBudget, RecordBatch } from '../core/pages.js';
import type { IndexingLag } from '../core/lag.js';
import type { CommitOutcome, IdRange, NewChangeset, Statistics, StoredChangeset, StreamHead } from '../core/types.js';

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
