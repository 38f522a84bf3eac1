import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import Database from 'better-sqlite3';
import type { ReadBudget } from '../../core/pages.js';
import type { FilteredBatch, GlobalFilter } from '../../core/global-filter.js';
import type { CommitOutcome, IdRange, NewChangeset, Statistics, StoredChangeset, StreamSummary } from '../../core/types.js';
import type { ConsumerExpectation, ConsumerPosition, ConsumerSaveOutcome } from '../../core/consumers.js';
import { lagOf, NOTHING_UNINDEXED, type IndexingLag } from '../../core/lag.js';
import type { EventStoreEngine, StreamRead } from '../port.js';
import { CheckpointWaiters } from '../waiters.js';
import { WalCheckpointer } from './checkpointing.js';
import { commitTransaction } from './commits.js';
import { SqliteConsumers } from './consumers.js';
import { GroupCommitLog } from './group-commit-log.js';
import { LogFile } from './log-file.js';
import { migrate } from './migration.js';
import { SqliteReads } from './reads.js';
import { prepareStatements, type Statements } from './statements.js';

export interface SqliteEngineOptions {
  /** A file path, or ':memory:'. */
  readonly path: string;
  /**
   * FULL (the default): a commit is acknowledged once it is on disk and survives a power loss.
   * NORMAL: once the operating system has it; it survives a crash of the process, not of the machine.
   */
  readonly synchronous?: 'FULL' | 'NORMAL';
  /**
   * Commits that arrive while the log is being flushed share the next transaction and the next
   * flush (group commit). Off, every commit gets a transaction and an fsync of its own, inside
   * SQLite: the baseline for benchmarks.
   */
  readonly groupCommit?: boolean;
  /**
   * Flushes the write-ahead log file to disk: fs.fdatasync (fdatasyncSync for a lone commit). A
   * test may pass a failing or slow one, used for every flush, to stand in for a disk that cannot
   * be made to fail here.
   */
  readonly flushFile?: (fd: number) => Promise<void>;
  /** The flush of the log at opening (fs.fdatasyncSync); a test may pass a failing one. */
  readonly flushFileAtOpening?: (fd: number) => void;
  /** With group commit and FULL, how many commits the log takes between checkpoints (2,000). */
  readonly checkpointEveryRows?: number;
  /** The clock commit times come from; a test may set it back. */
  readonly clock?: () => Date;
}

/**
 * The embedded engine.
 *
 * Durability (group commit): SQLite runs with synchronous=NORMAL, so a COMMIT only writes the
 * write-ahead log, and the engine flushes the log file itself (GroupCommitLog over LogFile), off
 * the event loop, acknowledging commits after. The log is append-only and replayed in order after a
 * crash, so a flush makes every transaction written before it durable. The engine runs the
 * checkpoints itself (WalCheckpointer); SQLite syncs the log before each and when it starts reusing
 * the log file.
 *
 * Reads see only what is durable: changesets at or above `durableBefore` are already in the table
 * (a later commit to the same stream is judged against them) but are hidden from readers and
 * followers until their flush completes, so nobody reads a changeset that a power loss could take
 * back.
 */
export class SqliteEngine implements EventStoreEngine {
  private readonly db: Database.Database;
  private readonly waiters = new CheckpointWaiters();
  /** Changesets below this checkpoint are on disk and readable. */
  private durableBefore: number;
  /** The log file, flushed by the engine when it acknowledges commits (group commit, FULL). */
  private readonly logFile: LogFile | undefined;
  private readonly statements: Statements;
  private readonly reads: SqliteReads;
  private readonly consumers: SqliteConsumers;
  private readonly log: GroupCommitLog<NewChangeset, CommitOutcome>;
  private closing: Promise<void> | undefined;

  constructor(options: SqliteEngineOptions) {
    if (options.path !== ':memory:') mkdirSync(dirname(options.path), { recursive: true });
    this.db = new Database(options.path);
    const groupCommit = options.groupCommit ?? true;
    const synchronous = options.synchronous ?? 'FULL';
    // ':memory:' and '' (a temporary database) have no log file to flush.
    const onDisk = options.path !== ':memory:' && options.path !== '';
    const engineFlushes = groupCommit && synchronous === 'FULL' && onDisk;
    try {
      this.db.pragma('journal_mode = WAL');
      this.db.pragma(`synchronous = ${engineFlushes ? 'NORMAL' : synchronous}`);
      this.db.pragma('busy_timeout = 5000');
      migrate(this.db);
      if (engineFlushes) {
        this.logFile = LogFile.open(options.path, { flush: options.flushFile, flushAtOpening: options.flushFileAtOpening });
        try {
          this.db.pragma('wal_autocheckpoint = 0');
        } catch (error) {
          this.logFile.close();
          throw error;
        }
      }
    } catch (error) {
      this.db.close();
      throw error;
    }

    this.statements = prepareStatements(this.db);
    this.reads = new SqliteReads(this.statements);
    this.durableBefore = this.statements.nextCheckpoint.get()!.next;
    this.consumers = new SqliteConsumers(this.db, () => this.logFile?.flushNow());
    const commitBatch = commitTransaction(this.db, this.statements, this.reads, options.clock ?? (() => new Date()));
    const checkpointer = new WalCheckpointer(this.db, options.checkpointEveryRows ?? 2_000);
    this.log = new GroupCommitLog<NewChangeset, CommitOutcome>({
      grouped: groupCommit,
      log: this.logFile,
      write: (batch) => {
        const { outcomes, writtenBefore } = commitBatch(batch);
        // Every outcome waits for the flush, conflicts too: a conflict may have been judged
        // against a changeset that is not on disk yet.
        return {
          outcomes,
          onDurable: () => {
            this.durableBefore = writtenBefore;
            this.waiters.notify(writtenBefore);
          },
        };
      },
      afterWrite: (rows) => checkpointer.afterWrite(rows),
    });
  }

  commit(changeset: NewChangeset): Promise<CommitOutcome> {
    return this.log.submit(changeset);
  }

  async readStream(streamId: string, by: 'changeset' | 'event', range: IdRange, budget: ReadBudget): Promise<StreamRead> {
    return this.reads.readStream(streamId, by, range, budget, this.durableBefore);
  }

  async readGlobal(checkpoint: number, budget: ReadBudget): Promise<readonly StoredChangeset[]> {
    return this.reads.readGlobal(checkpoint, budget, this.durableBefore);
  }

  async readGlobalFiltered(checkpoint: number, filter: GlobalFilter, budget: ReadBudget): Promise<FilteredBatch> {
    return this.reads.readGlobalFiltered(checkpoint, filter, budget, this.durableBefore);
  }

  async checkpointAtTime(time: string): Promise<number> {
    return this.reads.checkpointAtTime(time, this.durableBefore);
  }

  async readStreamSummary(streamId: string): Promise<StreamSummary | undefined> {
    return this.reads.summaryOf(streamId, this.durableBefore);
  }

  async listStreams(prefix: string, after: string | undefined, limit: number): Promise<{ streams: StreamSummary[]; more: boolean }> {
    return this.reads.listStreams(prefix, after, limit, this.durableBefore);
  }

  waitForCheckpoint(checkpoint: number, timeoutMs: number, signal?: AbortSignal): Promise<void> {
    if (this.log.closed || checkpoint < this.durableBefore) return Promise.resolve();
    return this.waiters.wait(checkpoint, timeoutMs, signal);
  }

  /** Nothing waits for a checkpoint here: a commit takes its checkpoint in its own transaction. */
  async readLag(): Promise<IndexingLag> {
    return lagOf(NOTHING_UNINDEXED, await this.readHead(), (await this.readStatistics()).statistics_version);
  }

  async readStatistics(): Promise<Statistics> {
    return { ...this.statements.statistics.get()! };
  }

  async saveStatistics(statistics: Statistics, previousVersion: number): Promise<boolean> {
    return this.statements.saveStatistics.run({ ...statistics, previousVersion }).changes === 1;
  }

  close(): Promise<void> {
    this.closing ??= this.finishAndClose();
    return this.closing;
  }

  private async finishAndClose(): Promise<void> {
    await this.log.close();
    this.waiters.releaseAll();
    this.db.close();
  }

  private usable(): void {
    if (this.log.closed) throw new Error('The event store is closed.');
    if (this.log.failure !== undefined) throw this.log.failure;
  }

  async readHead(): Promise<number> {
    return this.durableBefore;
  }

  async readConsumer(name: string): Promise<number | undefined> {
    return this.consumers.read(name);
  }

  async listConsumers(): Promise<readonly ConsumerPosition[]> {
    return this.consumers.list();
  }

  async saveConsumer(name: string, position: number, expectation: ConsumerExpectation): Promise<ConsumerSaveOutcome> {
    this.usable();
    return this.consumers.save(name, position, expectation);
  }

  async deleteConsumer(name: string): Promise<boolean> {
    this.usable();
    return this.consumers.delete(name);
  }
}
