import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startDevProcess } from '../support/processes.js';
import { describeEmmettSuite } from './emmett-suite.js';

describeEmmettSuite('ees dev on SQLite', async () => {
  const dataDir = mkdtempSync(join(tmpdir(), 'ees-emmett-'));
  const dev = await startDevProcess(['--port', '0', '--data-dir', dataDir]);
  return {
    url: dev.url,
    stop: async () => {
      await dev.stop();
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
});
