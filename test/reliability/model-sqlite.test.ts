import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SqliteEngine } from '../../src/engines/sqlite/engine.js';
import { modelConformance } from './model-suite.js';

modelConformance(
  'sqlite',
  async () => {
    const directory = mkdtempSync(join(tmpdir(), 'ees-model-'));
    const engine = new SqliteEngine({ path: join(directory, 'ees.sqlite') });
    return {
      engine,
      settle: async () => {},
      dispose: async () => {
        await engine.close();
        rmSync(directory, { recursive: true, force: true });
      },
    };
  },
  { numRuns: 25 },
);
