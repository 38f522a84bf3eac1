import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SqliteEngine } from '../../src/engines/sqlite/engine.js';
import type { EngineHarness } from '../conformance/engine-suite.js';

/** A SQLite engine on a fresh file, for the suites that run against every engine. */
export async function sqliteHarness(): Promise<EngineHarness> {
  const directory = mkdtempSync(join(tmpdir(), 'ees-sqlite-'));
  const engine = new SqliteEngine({ path: join(directory, 'ees.sqlite') });
  return {
    engine,
    settle: async () => {},
    dispose: async () => {
      await engine.close();
      rmSync(directory, { recursive: true, force: true });
    },
  };
}
