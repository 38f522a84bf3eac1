import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { connect } from '../../src/client/index.js';
import { openEmbeddedStore } from '../../src/embedded/index.js';
import { startDevProcess, type DevProcess } from '../support/processes.js';
import { describeClientSuite } from './client-suite.js';

describeClientSuite('embedded, in memory', () => ({ open: () => openEmbeddedStore() }));

describeClientSuite('embedded, on disk', () => {
  const dataDir = mkdtempSync(join(tmpdir(), 'ees-embedded-'));
  return { open: () => openEmbeddedStore({ dataDir }), close: async () => rmSync(dataDir, { recursive: true, force: true }) };
});

describeClientSuite('connect() to ees dev', () => {
  const dataDir = mkdtempSync(join(tmpdir(), 'ees-client-'));
  let server: DevProcess | undefined;
  return {
    open: async () => {
      server = await startDevProcess(['--port', '0', '--data-dir', dataDir]);
      return connect({ endpoint: server.url });
    },
    close: async () => {
      await server?.stop();
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
});
