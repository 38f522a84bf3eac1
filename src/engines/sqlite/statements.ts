import type Database from 'better-sqlite3';
import type { Statistics, StoredChangeset } from '../../core/types.js';

/** A changesets row as reads select it. */
export interface ChangesetRow {
  checkpoint: number;
  stream_id: string;
  changeset_id: number;
  first_event_id: number;
  last_event_id: number;
  events: string;
  metadata: string;
  committed_at: string;
}

const COLUMNS = 'checkpoint, stream_id, changeset_id, first_event_id, last_event_id, events, metadata, committed_at';

export function toStored(row: ChangesetRow): StoredChangeset {
  return {
    streamId: row.stream_id,
    changesetId: row.changeset_id,
    firstEventId: row.first_event_id,
    lastEventId: row.last_event_id,
    events: row.events,
    metadata: row.metadata,
    checkpoint: row.checkpoint,
    committedAt: row.committed_at,
  };
}

type Statement<P extends unknown[], R> = Database.Statement<P, R>;
type Head = { changeset_id: number; last_event_id: number; committed_at: string };
type StoredRow = { changeset_id: number; first_event_id: number; events: string; metadata: string; commit_id: string | null };

/** Every SQL statement of the engine (named, so that the library's type declarations can name it). */
export interface Statements {
  readonly head: Statement<[string, number], Head>;
  readonly stored: Statement<[string, number], StoredRow>;
  readonly lastCommittedAt: Statement<[], string>;
  readonly committedAtOf: Statement<[number], string>;
  readonly streamFrom: Statement<[string, number], string>;
  readonly streamAfter: Statement<[string, number], string>;
  readonly lastEventOf: Statement<[string, number], number>;
  readonly nextCheckpoint: Statement<[], { next: number }>;
  readonly insert: Statement<unknown[], unknown>;
  readonly byChangeset: Statement<[string, number, number, number], ChangesetRow>;
  readonly global: Statement<[number, number, number], ChangesetRow>;
  readonly statistics: Statement<[], Statistics>;
  readonly saveStatistics: Statement<unknown[], unknown>;
}

/** Every SQL statement of the engine, prepared once per connection. */
export function prepareStatements(db: Database.Database): Statements {
  return {
    head: db.prepare<[string, number], { changeset_id: number; last_event_id: number; committed_at: string }>(
      'SELECT changeset_id, last_event_id, committed_at FROM changesets WHERE stream_id = ? AND checkpoint < ? ORDER BY changeset_id DESC LIMIT 1',
    ),
    /** A changeset with its commit id, to tell a retry from another writer's commit. */
    stored: db.prepare<[string, number], { changeset_id: number; first_event_id: number; events: string; metadata: string; commit_id: string | null }>(
      'SELECT changeset_id, first_event_id, events, metadata, commit_id FROM changesets WHERE stream_id = ? AND changeset_id = ?',
    ),
    lastCommittedAt: db.prepare<[], string>('SELECT committed_at FROM changesets ORDER BY checkpoint DESC LIMIT 1').pluck(),
    committedAtOf: db.prepare<[number], string>('SELECT committed_at FROM changesets WHERE checkpoint = ?').pluck(),
    // Stream ids in the order of the UNIQUE (stream_id, changeset_id) index: one seek per stream.
    streamFrom: db.prepare<[string, number], string>('SELECT stream_id FROM changesets WHERE stream_id >= ? AND checkpoint < ? ORDER BY stream_id LIMIT 1').pluck(),
    streamAfter: db.prepare<[string, number], string>('SELECT stream_id FROM changesets WHERE stream_id > ? AND checkpoint < ? ORDER BY stream_id LIMIT 1').pluck(),
    lastEventOf: db.prepare<[string, number], number>('SELECT last_event_id FROM changesets WHERE stream_id = ? AND changeset_id = ?').pluck(),
    nextCheckpoint: db.prepare<[], { next: number }>('SELECT COALESCE(MAX(checkpoint) + 1, 0) AS next FROM changesets'),
    insert: db.prepare(
      `INSERT INTO changesets (${COLUMNS}, commit_id) VALUES (@checkpoint, @streamId, @changesetId, @firstEventId, @lastEventId, @events, @metadata, @committedAt, @commitId)`,
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
}

