/**
 * The embedded engine's schema. `checkpoint` is the rowid, so the global order is the table's own
 * order and appends to it touch one page; (stream_id, changeset_id) is UNIQUE, the storage
 * backstop for racing commits and the one index a commit has to update.
 *
 * Schema 1 also indexed (stream_id, last_event_id). Every index costs each commit a page write in
 * the write-ahead log (a different page per stream), which made it a third of the commit's cost;
 * event-range reads now find their first changeset by a binary search on the unique index instead.
 */
export const SCHEMA_VERSION = 2;

export const SCHEMA = `
CREATE TABLE IF NOT EXISTS changesets (
  checkpoint     INTEGER PRIMARY KEY,
  stream_id      TEXT    NOT NULL,
  changeset_id   INTEGER NOT NULL,
  first_event_id INTEGER NOT NULL,
  last_event_id  INTEGER NOT NULL,
  events         TEXT    NOT NULL,
  metadata       TEXT    NOT NULL,
  committed_at   TEXT    NOT NULL,
  UNIQUE (stream_id, changeset_id)
);
DROP INDEX IF EXISTS changesets_by_last_event;
CREATE TABLE IF NOT EXISTS statistics (
  id                 INTEGER PRIMARY KEY CHECK (id = 1),
  total_streams      INTEGER NOT NULL,
  total_changesets   INTEGER NOT NULL,
  total_events       INTEGER NOT NULL,
  max_stream_length  INTEGER NOT NULL,
  statistics_version INTEGER NOT NULL
);
INSERT OR IGNORE INTO statistics VALUES (1, 0, 0, 0, 0, 0);
`;
