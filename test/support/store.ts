import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startEmbeddedStore, type RunningStore } from '../../src/dev/embedded.js';

/** An embedded event store on a free port and a fresh data dir, for one test file. */
export async function startTestStore(): Promise<RunningStore & { dispose: () => Promise<void> }> {
  const dataDir = mkdtempSync(join(tmpdir(), 'ees-test-'));
  const store = await startEmbeddedStore({ dataDir, host: '127.0.0.1', port: 0, logError: () => {} });
  return {
    ...store,
    dispose: async () => {
      await store.close();
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
}
