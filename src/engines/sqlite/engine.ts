import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import Database from 'better-sqlite3';
import { judgeExpectation } from '../../core/expectations.js';
import type { ReadBudget } from '../../core/pages.js';
import type { CommitOutcome, IdRange, NewChangeset, Statistics, StoredChangeset, StreamHead } from '../../core/types.js';
import { EMPTY_HEAD } from '../../core/types.js';
import type { EventStoreEngine, StreamRead } from '../port.js';
import { CheckpointWaiters } from '../waiters.js';
import { SCHEMA, SCHEMA_VERSION } from './schema.js';

export interface SqliteEngineOptions {
  /** A file path, or ':memory:'. */
  readonly path: string;
  /** FULL (the default) makes every acknowledged commit survive a power loss. */
  readonly synchronous?: 'FULL' | 'NORMAL';
  /**
   * Commits that arrive while a transaction is being written share the next one (group commit).
   * Off, every commit gets a transaction of its own: the baseline for benchmarks.
   */
  readonly groupCommit?: boolean;
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
// SQLite integers are 64-bit; an open range end is bound as the largest exact JS integer.
const OPEN_END = Number.MAX_SAFE_INTEGER;

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

export class SqliteEngine implements EventStoreEngine {
  private readonly db: Database.Database;
  private readonly groupCommit: boolean;
  private readonly waiters = new CheckpointWaiters();
  private queue: PendingCommit[] = [];
  private flushScheduled = false;
  private closed = false;
  /** The checkpoint the next commit gets; read inside each write transaction. */
  private nextCheckpoint: number;

  private readonly statements;
  private readonly commitTransaction: (batch: readonly PendingCommit[]) => (CommitOutcome | Error)[];

  constructor(options: SqliteEngineOptions) {
    if (options.path !== ':memory:') mkdirSync(dirname(options.path), { recursive: true });
    this.db = new Database(options.path);
    this.groupCommit = options.groupCommit ?? true;
    this.db.pragma('journal_mode = WAL');
    this.db.pragma(`synchronous = ${options.synchronous ?? 'FULL'}`);
    this.db.pragma('busy_timeout = 5000');
    this.migrate();

    const db = this.db;
    this.statements = {
      head: db.prepare<[string], { changeset_id: number; last_event_id: number }>(
        'SELECT changeset_id, last_event_id FROM changesets WHERE stream_id = ? ORDER BY changeset_id DESC LIMIT 1',
      ),
      nextCheckpoint: db.prepare<[], { next: number }>('SELECT COALESCE(MAX(checkpoint) + 1, 0) AS next FROM changesets'),
      insert: db.prepare(
        `INSERT INTO changesets (${COLUMNS}, committed_at) VALUES (@checkpoint, @streamId, @changesetId, @firstEventId, @lastEventId, @events, @metadata, @committedAt)`,
      ),
      byChangeset: db.prepare<[string, number, number], ChangesetRow>(
        `SELECT ${COLUMNS} FROM changesets WHERE stream_id = ? AND changeset_id BETWEEN ? AND ? ORDER BY changeset_id`,
      ),
      byEvent: db.prepare<[string, number], ChangesetRow>(
        `SELECT ${COLUMNS} FROM changesets WHERE stream_id = ? AND last_event_id >= ? ORDER BY last_event_id`,
      ),
      global: db.prepare<[number, number], ChangesetRow>(`SELECT ${COLUMNS} FROM changesets WHERE checkpoint >= ? ORDER BY checkpoint LIMIT ?`),
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

    // One IMMEDIATE transaction per batch. A commit writes one row with one statement; a constraint
    // failure undoes only that statement, so such a commit fails alone and the others still land.
    // Any other error (disk full, I/O) may have rolled the whole transaction back: it is rethrown, so
    // the batch fails as a whole and nothing of it is written.
    this.commitTransaction = db.transaction((batch: readonly PendingCommit[]) => {
      this.nextCheckpoint = this.statements.nextCheckpoint.get()!.next;
      const committedAt = new Date().toISOString();
      return batch.map(({ changeset }) => {
        try {
          return this.commitInTransaction(changeset, committedAt);
        } catch (error) {
          const code = (error as { code?: unknown }).code;
          if (!db.inTransaction || typeof code !== 'string' || !code.startsWith('SQLITE_CONSTRAINT')) throw error;
          return error instanceof Error ? error : new Error(String(error));
        }
      });
    }).immediate as unknown as (batch: readonly PendingCommit[]) => (CommitOutcome | Error)[];
  }

  private migrate(): void {
    const version = this.db.pragma('user_version', { simple: true }) as number;
    if (version > SCHEMA_VERSION) {
      throw new Error(`This data was written by a newer ees (schema ${version}); this one reads schema ${SCHEMA_VERSION}.`);
    }
    this.db.exec(SCHEMA);
    this.db.pragma(`user_version = ${SCHEMA_VERSION}`);
  }

  private headOf(streamId: string): StreamHead {
    const row = this.statements.head.get(streamId);
    return row === undefined ? EMPTY_HEAD : { lastChangesetId: row.changeset_id, lastEventId: row.last_event_id };
  }

  private commitInTransaction(changeset: NewChangeset, committedAt: string): CommitOutcome {
    const head = this.headOf(changeset.streamId);
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
    return new Promise((resolve, reject) => {
      this.queue.push({ changeset, resolve, reject });
      if (!this.groupCommit) {
        this.flush();
      } else if (!this.flushScheduled) {
        // Commits that arrive before the next turn of the event loop share one transaction.
        this.flushScheduled = true;
        setImmediate(() => this.flush());
      }
    });
  }

  private flush(): void {
    this.flushScheduled = false;
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
    batch.forEach((pending, index) => {
      const outcome = outcomes[index]!;
      if (outcome instanceof Error) pending.reject(outcome);
      else pending.resolve(outcome);
    });
    this.waiters.notify(this.nextCheckpoint);
  }

  async readStream(streamId: string, by: 'changeset' | 'event', range: IdRange, budget: ReadBudget): Promise<StreamRead> {
    const head = this.headOf(streamId);
    const rows =
      by === 'changeset'
        ? this.statements.byChangeset.iterate(streamId, range.from, boundOf(range.to))
        : this.statements.byEvent.iterate(streamId, range.from);
    const records: StoredChangeset[] = [];
    let chars = 0;
    let exhausted = true;
    for (const row of rows) {
      if (by === 'event' && row.first_event_id > range.to) break;
      if (records.length === budget.maxRecords || chars >= budget.maxBytes) {
        exhausted = false;
        break;
      }
      records.push(toStored(row));
      chars += row.events.length + row.metadata.length;
    }
    return { head, records, exhausted };
  }

  async readGlobal(checkpoint: number, budget: ReadBudget): Promise<readonly StoredChangeset[]> {
    const records: StoredChangeset[] = [];
    let chars = 0;
    for (const row of this.statements.global.iterate(checkpoint, budget.maxRecords)) {
      records.push(toStored(row));
      chars += row.events.length + row.metadata.length;
      if (chars >= budget.maxBytes) break;
    }
    return records;
  }

  waitForCheckpoint(checkpoint: number, timeoutMs: number, signal?: AbortSignal): Promise<void> {
    if (this.closed || checkpoint < this.nextCheckpoint) return Promise.resolve();
    return this.waiters.wait(checkpoint, timeoutMs, signal);
  }

  async readStatistics(): Promise<Statistics> {
    return { ...this.statements.statistics.get()! };
  }

  async saveStatistics(statistics: Statistics, previousVersion: number): Promise<boolean> {
    return this.statements.saveStatistics.run({ ...statistics, previousVersion }).changes === 1;
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.flush();
    this.closed = true;
    this.waiters.releaseAll();
    this.db.close();
  }
}
