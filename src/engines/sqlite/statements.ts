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
}

const COLUMNS = 'checkpoint, stream_id, changeset_id, first_event_id, last_event_id, events, metadata';

export function toStored(row: ChangesetRow): StoredChangeset {
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

/** Every SQL statement of the engine, prepared once per connection. */
export function prepareStatements(db: Database.Database) {
  return {
    head: db.prepare<[string, number], { changeset_id: number; last_event_id: number }>(
      'SELECT changeset_id, last_event_id FROM changesets WHERE stream_id = ? AND checkpoint < ? ORDER BY changeset_id DESC LIMIT 1',
    ),
    lastEventOf: db.prepare<[string, number], number>('SELECT last_event_id FROM changesets WHERE stream_id = ? AND changeset_id = ?').pluck(),
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
}

export type Statements = ReturnType<typeof prepareStatements>;
