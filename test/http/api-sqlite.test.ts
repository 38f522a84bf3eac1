import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startEmbeddedStore } from '../../src/dev/embedded.js';
import { httpContract } from './api-suite.js';

httpContract('ees dev (sqlite)', async () => {
  const dataDir = mkdtempSync(join(tmpdir(), 'ees-http-'));
  const store = await startEmbeddedStore({ dataDir, host: '127.0.0.1', port: 0 });
  return {
    url: store.url,
    close: async () => {
      await store.close();
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
});
