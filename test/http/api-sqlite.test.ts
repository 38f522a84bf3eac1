import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startEmbeddedStore } from '../../src/dev/embedded.js';
import { httpContract, type RunningApi } from './api-suite.js';

async function start(token?: string): Promise<RunningApi> {
  const dataDir = mkdtempSync(join(tmpdir(), 'ees-http-'));
  const store = await startEmbeddedStore({ dataDir, host: '127.0.0.1', port: 0, ...(token === undefined ? {} : { token }) });
  return {
    url: store.url,
    close: async () => {
      await store.close();
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
}

httpContract('ees dev (sqlite)', () => start(), { startWithToken: start });
