import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { SqliteEngine } from '../../src/engines/sqlite/engine.js';
import type { EngineHarness } from '../conformance/engine-suite.js';

const sqlText = (value: string | number): string => (typeof value === 'number' ? String(value) : `'${value.replaceAll("'", "''")}'`);

/** A SQLite engine on a fresh file, for the suites that run against every engine. */
export async function sqliteHarness(): Promise<EngineHarness> {
  const directory = mkdtempSync(join(tmpdir(), 'ees-sqlite-'));
  const path = join(directory, 'ees.sqlite');
  const engine = new SqliteEngine({ path });
  const others: SqliteEngine[] = [];
  return {
    engine,
    settle: async () => {},
    // Another connection installs a trigger that stores the other writer's changeset inside the
    // engine's own INSERT, after the engine read the head: only the UNIQUE key can catch it.
    storeBehindTheCheck: async (streamId, changesetId) => {
      const other = new Database(path);
      other.exec(`CREATE TRIGGER race_${changesetId}_${Date.now()} BEFORE INSERT ON changesets
        WHEN NEW.stream_id = ${sqlText(streamId)} AND NEW.changeset_id = ${sqlText(changesetId)}
        BEGIN
          INSERT INTO changesets (checkpoint, stream_id, changeset_id, first_event_id, last_event_id, events, metadata, committed_at)
          VALUES (NEW.checkpoint + 1000000, NEW.stream_id, NEW.changeset_id, NEW.first_event_id, NEW.first_event_id, '["other writer"]', '{}', NEW.committed_at);
        END`);
      other.close();
    },
    storageForChild: { kind: 'sqlite', path },
    openAnother: async () => {
      const another = new SqliteEngine({ path });
      others.push(another);
      return another;
    },
    dispose: async () => {
      for (const another of others) await another.close();
      await engine.close();
      rmSync(directory, { recursive: true, force: true });
    },
  };
}
