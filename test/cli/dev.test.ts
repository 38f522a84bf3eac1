import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { apiClient } from '../support/http.js';
import { exchange, rawGet } from '../support/raw-socket.js';
import { BIN, runCli, startDevProcess } from '../support/processes.js';

describe('ees dev as a process', () => {
  const dataDir = mkdtempSync(join(tmpdir(), 'ees-devproc-'));
  afterAll(() => rmSync(dataDir, { recursive: true, force: true }));

  it('prints the URL of a free port, serves the API on loopback, and exits 0 on SIGTERM', async () => {
    const dev = await startDevProcess(['--port', '0', '--data-dir', dataDir]);
    expect(dev.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    const api = apiClient(dev.url);
    expect((await api.post('/streams/proc', { events: [1] })).status).toBe(200);
    // A long poll in flight is answered, not cut, when the server stops. It is pipelined behind a
    // quick request in the same write: once that one is answered the server holds the poll, and
    // only then is it stopped. The deadline is half the poll's wait: shutdown, not the wait, ends it.
    const host = new URL(dev.url).host;
    let stopped: Promise<number | null> | undefined;
    const answers = await exchange(dev.url, [rawGet('/version', host) + rawGet('/changesets?checkpoint=1&wait=20', host)], {
      stopAfter: 2,
      deadlineMs: 10_000,
      onResponse: () => void (stopped ??= dev.stop('SIGTERM')),
    });
    expect(answers.responses.map((response) => response.status)).toEqual([200, 200]);
    expect(answers.responses[1]!.json).toMatchObject({ changesets: [], next_checkpoint: 1 });
    expect(await stopped).toBe(0);
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

  it('says so in one line, exit code 2, when the port is taken', async () => {
    const dev = await startDevProcess(['--port', '0', '--data-dir', dataDir]);
    const otherDir = mkdtempSync(join(tmpdir(), 'ees-devproc-port-'));
    try {
      const port = new URL(dev.url).port;
      const result = await runCli(['dev', '--port', port, '--data-dir', otherDir]);
      expect(result.code).toBe(2);
      expect(result.stderr).toMatch(new RegExp(`^ees: Port ${port} on 127\\.0\\.0\\.1 is in use`));
      expect(result.stderr.trim().split('\n')).toHaveLength(1);
    } finally {
      await dev.stop();
      rmSync(otherDir, { recursive: true, force: true });
    }
  });

  it('refuses a second ees dev on the same data folder, naming the first, until the first is gone (kill -9 too)', async () => {
    const shared = mkdtempSync(join(tmpdir(), 'ees-devproc-lock-'));
    try {
      const first = await startDevProcess(['--port', '0', '--data-dir', shared]);
      const second = await runCli(['dev', '--port', '0', '--data-dir', shared]);
      expect(second.code).toBe(2);
      expect(second.stderr.trim().split('\n')).toHaveLength(1);
      expect(second.stderr).toMatch(new RegExp(`^ees: The data folder .* is in use by another ees dev \\(process ${first.child.pid}\\)`));
      expect(await first.stop('SIGKILL')).toBe(null);
      const third = await startDevProcess(['--port', '0', '--data-dir', shared]);
      expect((await apiClient(third.url).post('/streams/after-kill', { events: [1] })).status).toBe(200);
      expect(await third.stop()).toBe(0);
    } finally {
      rmSync(shared, { recursive: true, force: true });
    }
  });

  it('fails at once, exit code 2, for a data folder it cannot create', async () => {
    for (const folder of ['/proc/nope', '/proc/nope/deeper', '/dev/null/ees']) {
      const result = await runCli(['dev', '--port', '0', '--data-dir', folder]);
      expect(result.code, folder).toBe(2);
      expect(result.stderr.trim().split('\n'), folder).toHaveLength(1);
      expect(result.stderr, folder).toMatch(/^ees: Cannot create the data folder /);
    }
  });

  it('says in one line, exit code 5, that a --dynamodb-endpoint does not answer', async () => {
    const closed = await new Promise<number>((resolve) => {
      const server = createServer().listen(0, '127.0.0.1', () => {
        const { port } = server.address() as AddressInfo;
        server.close(() => resolve(port));
      });
    });
    const result = await runCli(['dev', '--engine', 'dynamodb', '--port', '0', '--dynamodb-endpoint', `http://127.0.0.1:${closed}`]);
    expect(result.code).toBe(5);
    expect(result.stderr.trim().split('\n')).toHaveLength(1);
    expect(result.stderr).toMatch(new RegExp(`^ees: DynamoDB at http://127\\.0\\.0\\.1:${closed} does not answer \\(ECONNREFUSED\\)`));
  });

  it('stops the DynamoDB Local it is starting when SIGTERM comes during start-up', async () => {
    // A stand-in for java that never gets ready, as a JVM still starting: ees dev must not orphan it.
    const bin = mkdtempSync(join(tmpdir(), 'ees-fake-java-'));
    const pidFile = join(bin, 'java.pid');
    writeFileSync(join(bin, 'java'), `#!/bin/sh\n[ "$1" = "-version" ] && exit 0\necho $$ > "${pidFile}"\nexec sleep 600\n`, { mode: 0o755 });
    try {
      const child = spawn(process.execPath, [BIN, 'dev', '--engine', 'dynamodb', '--port', '0'], { env: { ...process.env, PATH: `${bin}:${process.env['PATH']}` }, stdio: 'ignore' });
      const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
      const deadline = Date.now() + 20_000;
      while (!existsSync(pidFile) || readFileSync(pidFile, 'utf8').trim() === '') {
        if (Date.now() > deadline) throw new Error('the stand-in java never started');
        await new Promise((resolve) => setTimeout(resolve, 50));
      }
      const javaPid = Number(readFileSync(pidFile, 'utf8').trim());
      child.kill('SIGTERM');
      expect(await exited).toBe(0);
      expect(() => process.kill(javaPid, 0)).toThrow(expect.objectContaining({ code: 'ESRCH' }));
    } finally {
      rmSync(bin, { recursive: true, force: true });
    }
  });
});
