import { closeSync, fdatasync, fdatasyncSync, mkdirSync, openSync, realpathSync } from 'node:fs';
import { dirname } from 'node:path';
import { promisify } from 'node:util';
import Database from 'better-sqlite3';
import { judgeExpectation } from '../../core/expectations.js';
import { BudgetedRecords, eventRangeEnd, type ReadBudget } from '../../core/pages.js';
import type { CommitOutcome, IdRange, NewChangeset, Statistics, StoredChangeset, StreamHead } from '../../core/types.js';
import { EMPTY_HEAD, OPEN_END } from '../../core/types.js';
import type { EventStoreEngine, StreamRead } from '../port.js';
import { CheckpointWaiters } from '../waiters.js';
import { SCHEMA, SCHEMA_VERSION } from './schema.js';
import { CONSUMERS_SCHEMA, SqliteConsumers } from './consumers.js';
import type { ConsumerExpectation, ConsumerPosition, ConsumerSaveOutcome } from '../../core/consumers.js';
import { lagOf, NOTHING_UNINDEXED, type IndexingLag } from '../../core/lag.js';

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
}

interface ChangesetRow {
  checkpoint: number;
  stream_id: string;
  changeset_id: number;
  first_event_id: number;
  last_event_id: number;
  events: string;
  metadata: string;
}

interface PendingCommit {
  readonly changeset: NewChangeset;
  readonly resolve: (outcome: CommitOutcome) => void;
  readonly reject: (error: unknown) => void;
}

const COLUMNS = 'checkpoint, stream_id, changeset_id, first_event_id, last_event_id, events, metadata';

function toStored(row: ChangesetRow): StoredChangeset {
  return {
    streamId: row.stream_id,
    changesetId: row.changeset_id,
    firstEventId: row.first_event_id,
    lastEventId: row.last_event_id,
    events: row.events,
    metadata: row.metadata,
    checkpoint: row.checkpoint,
  };
}

function boundOf(value: number): number {
  return Number.isFinite(value) ? value : OPEN_END;
}

const fdatasyncAsync = promisify(fdatasync);

/**
 * The embedded engine.
 *
 * Durability (group commit): SQLite runs with synchronous=NORMAL, so a COMMIT only writes the
 * write-ahead log, and the engine itself flushes the log file with fdatasync on libuv's thread
 * pool (a lone commit is flushed in place). Meanwhile the event loop keeps taking requests, and the
 * commits that arrive are queued; when the flush completes, its commits are acknowledged and the
 * queue is committed in one transaction and flushed in turn. The log is append-only and replayed in
 * order after a crash, so a flush makes every transaction written before it durable. The engine
 * runs the checkpoints itself (see checkpointWhenDue); SQLite syncs the log before each and when it
 * starts reusing the log file.
 *
 * Reads see only what is durable: changesets at or above `durableBefore` are already in the table
 * (a later commit to the same stream is judged against them) but are hidden from readers and
 * followers until their flush completes, so nobody reads a changeset that a power loss could take
 * back.
 */
export class SqliteEngine implements EventStoreEngine {
  private readonly db: Database.Database;
  private readonly groupCommit: boolean;
  private readonly waiters = new CheckpointWaiters();
  private queue: PendingCommit[] = [];
  private transactionScheduled = false;
  private rowsSinceCheckpoint = 0;
  private readonly checkpointEveryRows: number;

  private closed = false;
  private closing: Promise<void> | undefined;
  /** The checkpoint the next commit gets; read inside each write transaction. */
  private nextCheckpoint: number;
  /** Changesets below this checkpoint are on disk and readable. */
  private durableBefore: number;
  /** The log file, flushed by the engine when it acknowledges commits (group commit, FULL). */
  private readonly logFile:
    | { readonly fd: number; readonly flush: (fd: number) => Promise<void>; readonly flushSync: ((fd: number) => void) | undefined }
    | undefined;
  /** The flush in progress; commits queue behind it. */
  private flushing: Promise<void> | undefined;
  /** Set when a flush failed: what is on disk is unknown, so no commit is taken until a restart. */
  private failure: Error | undefined;

  private readonly statements;
  private readonly consumers: SqliteConsumers;
  private readonly commitTransaction: (batch: readonly PendingCommit[]) => (CommitOutcome | Error)[];

  constructor(options: SqliteEngineOptions) {
    if (options.path !== ':memory:') mkdirSync(dirname(options.path), { recursive: true });
    this.db = new Database(options.path);
    this.groupCommit = options.groupCommit ?? true;
    this.checkpointEveryRows = options.checkpointEveryRows ?? 2_000;
    const synchronous = options.synchronous ?? 'FULL';
    // ':memory:' and '' (a temporary database) have no log file to flush.
    const onDisk = options.path !== ':memory:' && options.path !== '';
    const engineFlushes = this.groupCommit && synchronous === 'FULL' && onDisk;
    try {
      this.db.pragma('journal_mode = WAL');
      this.db.pragma(`synchronous = ${engineFlushes ? 'NORMAL' : synchronous}`);
      this.db.pragma('busy_timeout = 5000');
      this.migrate();
      if (engineFlushes) {
        // SQLite names the log after the database's real path (symbolic links resolved). The log
        // exists from the migration's write on and stays the same file while this connection is
        // open: SQLite removes it only when the last connection closes. Opened for writing only
        // because some systems flush no file opened read-only; the engine never writes to it.
        const fd = openSync(`${realpathSync(options.path)}-wal`, 'r+');
        try {
          // A process that crashed before flushing may have left commits only in the page cache.
          (options.flushFileAtOpening ?? fdatasyncSync)(fd);
          this.db.pragma('wal_autocheckpoint = 0');
        } catch (error) {
          closeSync(fd);
          throw error;
        }
        this.logFile =
          options.flushFile === undefined ? { fd, flush: fdatasyncAsync, flushSync: fdatasyncSync } : { fd, flush: options.flushFile, flushSync: undefined };
      }
    } catch (error) {
      this.db.close();
      throw error;
    }

    const db = this.db;
    this.statements = {
      head: db.prepare<[string, number], { changeset_id: number; last_event_id: number }>(
        'SELECT changeset_id, last_event_id FROM changesets WHERE stream_id = ? AND checkpoint < ? ORDER BY changeset_id DESC LIMIT 1',
      ),
      lastEventOf: db
        .prepare<[string, number], number>('SELECT last_event_id FROM changesets WHERE stream_id = ? AND changeset_id = ?')
        .pluck(),
      nextCheckpoint: db.prepare<[], { next: number }>('SELECT COALESCE(MAX(checkpoint) + 1, 0) AS next FROM changesets'),
      insert: db.prepare(
        `INSERT INTO changesets (${COLUMNS}, committed_at) VALUES (@checkpoint, @streamId, @changesetId, @firstEventId, @lastEventId, @events, @metadata, @committedAt)`,
      ),
      byChangeset: db.prepare<[string, number, number, number], ChangesetRow>(
        `SELECT ${COLUMNS} FROM changesets WHERE stream_id = ? AND changeset_id BETWEEN ? AND ? AND checkpoint < ? ORDER BY changeset_id`,
      ),
      global: db.prepare<[number, number, number], ChangesetRow>(
        `SELECT ${COLUMNS} FROM changesets WHERE checkpoint >= ? AND checkpoint < ? ORDER BY checkpoint LIMIT ?`,
      ),
      statistics: db.prepare<[], Statistics>(
        'SELECT total_streams, total_changesets, total_events, max_stream_length, statistics_version FROM statistics WHERE id = 1',
      ),
      saveStatistics: db.prepare(
        `UPDATE statistics SET total_streams = @total_streams, total_changesets = @total_changesets, total_events = @total_events,
           max_stream_length = @max_stream_length, statistics_version = @statistics_version
         WHERE id = 1 AND statistics_version = @previousVersion`,
      ),
    };
    this.nextCheckpoint = this.statements.nextCheckpoint.get()!.next;
    this.durableBefore = this.nextCheckpoint;
    this.consumers = new SqliteConsumers(db, () => this.flushConsumerWrite());

    // One IMMEDIATE transaction per batch. A commit writes one row with one statement; a constraint
    // failure undoes only that statement, so such a commit fails alone and the others still land.
    // The UNIQUE (stream_id, changeset_id) key failing means another writer took that changeset id
    // after the check: the commit is behind, as a failed conditional put is on DynamoDB.
    // Any other error (disk full, I/O) may have rolled the whole transaction back: it is rethrown, so
    // the batch fails as a whole and nothing of it is written.
    this.commitTransaction = db.transaction((batch: readonly PendingCommit[]) => {
      this.nextCheckpoint = this.statements.nextCheckpoint.get()!.next;
      const committedAt = new Date().toISOString();
      return batch.map(({ changeset }): CommitOutcome | Error => {
        try {
          return this.commitInTransaction(changeset, committedAt);
        } catch (error) {
          const code = (error as { code?: unknown }).code;
          if (!db.inTransaction || typeof code !== 'string' || !code.startsWith('SQLITE_CONSTRAINT')) throw error;
          if (code === 'SQLITE_CONSTRAINT_UNIQUE') return { status: 'behind', head: this.headOf(changeset.streamId, OPEN_END) };
          return error instanceof Error ? error : new Error(String(error));
        }
      });
    }).immediate;
  }

  private migrate(): void {
    const version = this.db.pragma('user_version', { simple: true }) as number;
    if (version > SCHEMA_VERSION) {
      throw new Error(`This data was written by a newer ees (schema ${version}); this one reads schema ${SCHEMA_VERSION}.`);
    }
    this.db.exec(SCHEMA);
    this.db.exec(CONSUMERS_SCHEMA);
    this.db.pragma(`user_version = ${SCHEMA_VERSION}`);
  }

  /** The stream's head among changesets below `before`: all of them for commits, the durable ones for reads. */
  private headOf(streamId: string, before: number): StreamHead {
    const row = this.statements.head.get(streamId, before);
    return row === undefined ? EMPTY_HEAD : { lastChangesetId: row.changeset_id, lastEventId: row.last_event_id };
  }

  private commitInTransaction(changeset: NewChangeset, committedAt: string): CommitOutcome {
    const head = this.headOf(changeset.streamId, OPEN_END);
    const verdict = judgeExpectation(changeset.expectation, head);
    if (verdict !== 'accept') return { status: verdict, head };
    const checkpoint = this.nextCheckpoint;
    const changesetId = head.lastChangesetId + 1;
    // The UNIQUE (stream_id, changeset_id) key refuses a second writer even if a check were missed.
    this.statements.insert.run({
      checkpoint,
      streamId: changeset.streamId,
      changesetId,
      firstEventId: head.lastEventId + 1,
      lastEventId: head.lastEventId + changeset.eventCount,
      events: changeset.events,
      metadata: changeset.metadata,
      committedAt,
    });
    this.nextCheckpoint = checkpoint + 1;
    return { status: 'committed', changesetId, checkpoint };
  }

  commit(changeset: NewChangeset): Promise<CommitOutcome> {
    if (this.closed) return Promise.reject(new Error('The event store is closed.'));
    if (this.failure !== undefined) return Promise.reject(this.failure);
    return new Promise((resolve, reject) => {
      this.queue.push({ changeset, resolve, reject });
      if (this.groupCommit) this.scheduleTransaction();
      else this.writeQueued();
    });
  }

  /**
   * Commits that arrive before the next turn of the event loop, or while the log is being flushed,
   * share one transaction. No commit is written while a flush runs: writing to a file that is being
   * flushed makes the flush wait for the new pages too (several times slower here).
   */
  private scheduleTransaction(): void {
    if (this.transactionScheduled || this.flushing !== undefined || this.queue.length === 0) return;
    this.transactionScheduled = true;
    setImmediate(() => {
      this.transactionScheduled = false;
      if (this.flushing === undefined) this.writeQueued();
    });
  }

  /** Writes the queued commits in one transaction, then has them flushed and acknowledged. */
  private writeQueued(): void {
    const batch = this.queue;
    this.queue = [];
    if (batch.length === 0) return;
    let outcomes: (CommitOutcome | Error)[];
    try {
      outcomes = this.commitTransaction(batch);
    } catch (error) {
      // The transaction rolled back as a whole: nothing of this batch was written.
      this.nextCheckpoint = this.statements.nextCheckpoint.get()!.next;
      for (const pending of batch) pending.reject(error);
      return;
    }
    const writtenBefore = this.nextCheckpoint;
    if (this.logFile === undefined) {
      this.acknowledge(batch, outcomes, writtenBefore);
      return;
    }
    // Every outcome waits for the flush, conflicts too: a conflict may have been judged against a
    // changeset that is not on disk yet.
    const logFile = this.logFile;
    if (batch.length === 1 && logFile.flushSync !== undefined) {
      // A lone commit: nothing else is waiting to be parsed, so flushing here costs the event loop
      // less than a round trip through the thread pool.
      try {
        logFile.flushSync(logFile.fd);
      } catch (error) {
        this.failFlush(batch, error);
        return;
      }
      this.acknowledge(batch, outcomes, writtenBefore);
    } else {
      // A flush that throws instead of rejecting fails its batch all the same.
      this.flushing = new Promise<void>((resolve) => resolve(logFile.flush(logFile.fd))).then(
        () => {
          this.flushing = undefined;
          this.acknowledge(batch, outcomes, writtenBefore);
          this.scheduleTransaction();
        },
        (error: unknown) => {
          this.flushing = undefined;
          this.failFlush(batch, error);
        },
      );
    }
    this.checkpointWhenDue(batch.length);
  }

  /**
   * Copies the log into the database file every `checkpointEveryRows` commits. SQLite would do
   * it inside a COMMIT every 1,000 log pages; done here instead, right after a flush has started,
   * it runs while the event loop would otherwise wait for the disk, and the larger log lets it
   * copy a page written by many commits once.
   */
  private checkpointWhenDue(rows: number): void {
    this.rowsSinceCheckpoint += rows;
    if (this.rowsSinceCheckpoint < this.checkpointEveryRows) return;
    this.rowsSinceCheckpoint = 0;
    try {
      this.db.pragma('wal_checkpoint(PASSIVE)');
    } catch {
      // Nothing is lost: the commits stay in the log, and the next checkpoint tries again.
    }
  }

  /** What reached the disk is unknown: the batch and everything queued fail, and so will all later commits. */
  private failFlush(batch: readonly PendingCommit[], error: unknown): void {
    this.failure = new Error(
      `The event store could not flush its log to disk: the commits it was flushing may or may not be stored, and it takes no more commits until it is restarted. ${String(error)}`,
      { cause: error },
    );
    for (const pending of [...batch, ...this.queue]) pending.reject(this.failure);
    this.queue = [];
  }

  private acknowledge(batch: readonly PendingCommit[], outcomes: readonly (CommitOutcome | Error)[], durableBefore: number): void {
    this.durableBefore = durableBefore;
    batch.forEach((pending, index) => {
      const outcome = outcomes[index]!;
      if (outcome instanceof Error) pending.reject(outcome);
      else pending.resolve(outcome);
    });
    this.waiters.notify(durableBefore);
  }

  async readStream(streamId: string, by: 'changeset' | 'event', range: IdRange, budget: ReadBudget): Promise<StreamRead> {
    const head = this.headOf(streamId, this.durableBefore);
    const [from, to] = by === 'changeset' ? [range.from, boundOf(range.to)] : [this.firstChangesetWithEventFrom(streamId, range.from, head), OPEN_END];
    const rows = this.statements.byChangeset.iterate(streamId, from, to, this.durableBefore);
    const kept = new BudgetedRecords(budget, by === 'event' ? eventRangeEnd(range) : undefined);
    kept.takeFrom(rows, toStored);
    return { head, ...kept.batch() };
  }

  /**
   * The first changeset whose last event id is at least `eventId`, by binary search: within a
   * stream, changeset ids are dense and last event ids rise with them. Each changeset holds at
   * least one event, so it is at most changeset `eventId`. Past the head when there is none.
   */
  private firstChangesetWithEventFrom(streamId: string, eventId: number, head: StreamHead): number {
    if (head.lastEventId < eventId) return head.lastChangesetId + 1;
    let low = 1;
    let high = Math.min(head.lastChangesetId, Math.max(1, eventId));
    while (low < high) {
      const middle = Math.floor((low + high) / 2);
      if (this.statements.lastEventOf.get(streamId, middle)! >= eventId) high = middle;
      else low = middle + 1;
    }
    return low;
  }

  async readGlobal(checkpoint: number, budget: ReadBudget): Promise<readonly StoredChangeset[]> {
    const kept = new BudgetedRecords(budget);
    kept.takeFrom(this.statements.global.iterate(checkpoint, this.durableBefore, budget.maxRecords), toStored);
    return kept.records;
  }

  waitForCheckpoint(checkpoint: number, timeoutMs: number, signal?: AbortSignal): Promise<void> {
    if (this.closed || checkpoint < this.durableBefore) return Promise.resolve();
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
    this.closed = true;
    // Finish what was accepted: the flush in progress, then whatever queued behind it.
    while (this.flushing !== undefined || this.queue.length > 0) {
      if (this.flushing !== undefined) await this.flushing;
      else this.writeQueued();
    }
    this.waiters.releaseAll();
    if (this.logFile !== undefined) closeSync(this.logFile.fd);
    this.db.close();
  }

  /**
   * A consumer write is its own small transaction, flushed at once like a lone commit: with the
   * engine flushing the log itself (synchronous=NORMAL), SQLite would not.
   */
  private flushConsumerWrite(): void {
    if (this.logFile === undefined) return;
    if (this.logFile.flushSync !== undefined) this.logFile.flushSync(this.logFile.fd);
    else fdatasyncSync(this.logFile.fd);
  }

  private usable(): void {
    if (this.closed) throw new Error('The event store is closed.');
    if (this.failure !== undefined) throw this.failure;
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
