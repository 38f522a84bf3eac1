import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { apiClient } from '../support/http.js';
import { runCli, startDevProcess } from '../support/processes.js';

describe('ees dev as a process', () => {
  const dataDir = mkdtempSync(join(tmpdir(), 'ees-devproc-'));
  afterAll(() => rmSync(dataDir, { recursive: true, force: true }));

  it('prints the URL of a free port, serves the API on loopback, and exits 0 on SIGTERM', async () => {
    const dev = await startDevProcess(['--port', '0', '--data-dir', dataDir]);
    expect(dev.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    const api = apiClient(dev.url);
    expect((await api.post('/streams/proc', { events: [1] })).status).toBe(200);
    // A long poll in flight is answered, not cut, when the server stops.
    const polling = api.get('/changesets?checkpoint=1&wait=20');
    await new Promise((resolve) => setTimeout(resolve, 200));
    const started = Date.now();
    expect(await dev.stop('SIGTERM')).toBe(0);
    expect((await polling).json).toMatchObject({ changesets: [], next_checkpoint: 1 });
    expect(Date.now() - started).toBeLessThan(5_000);
  });

  it('exits 0 on SIGINT and keeps the data for the next run', async () => {
    const dev = await startDevProcess(['--port', '0', '--data-dir', dataDir]);
    expect((await apiClient(dev.url).get('/streams/proc/changesets')).json.changesets).toHaveLength(1);
    expect(await dev.stop('SIGINT')).toBe(0);
  });

  it('refuses bad flags with one line on stderr and exit code 2', async () => {
    const result = await runCli(['dev', '--port', '70000']);
    expect(result.code).toBe(2);
    expect(result.stderr.trim().split('\n')).toHaveLength(1);
    expect(result.stderr).toMatch(/^ees: .*70000/);
    expect(result.stderr).not.toMatch(/at .*\.js/);
  });

  it('says so in one line when the port is taken', async () => {
    const dev = await startDevProcess(['--port', '0', '--data-dir', dataDir]);
    try {
      const port = new URL(dev.url).port;
      const result = await runCli(['dev', '--port', port, '--data-dir', dataDir]);
      expect(result.code).toBe(1);
      expect(result.stderr).toMatch(/^ees: .*EADDRINUSE/);
      expect(result.stderr.trim().split('\n')).toHaveLength(1);
    } finally {
      await dev.stop();
    }
  });
});
