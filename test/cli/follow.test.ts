import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { EesClient } from '../../src/client/http-client.js';
import { BIN, freePort, runCli, startDevProcess, type DevProcess } from '../support/processes.js';

async function waitFor(condition: () => boolean, what: string, timeoutMs = 20_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
}

describe('ees tail --follow across a server restart', () => {
  const dataDir = mkdtempSync(join(tmpdir(), 'ees-follow-'));
  let server: DevProcess | undefined;
  afterAll(async () => {
    await server?.stop();
    rmSync(dataDir, { recursive: true, force: true });
  });

  it('keeps following, says it is reconnecting from its checkpoint, and prints what came after', async () => {
    const port = await freePort();
    server = await startDevProcess(['--port', String(port), '--data-dir', dataDir]);
    const endpoint = server.url;
    let client = new EesClient({ endpoint });
    await client.commit('restarted', { events: ['before'] }, { changeset: 0 });
    await client.close();

    const child = spawn(process.execPath, [BIN, 'tail', '--from-checkpoint', '0', '--follow', '--json'], {
      env: { ...process.env, EES_ENDPOINT: endpoint },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    const exited = new Promise<number | null>((resolve) => child.once('exit', resolve));
    await waitFor(() => stdout.includes('"before"'), 'the first changeset');

    expect(await server.stop()).toBe(0);
    await waitFor(() => /retrying in [\d.]+s from checkpoint 1\./.test(stderr), 'the reconnecting notice');
    expect(child.exitCode).toBeNull();

    server = await startDevProcess(['--port', String(port), '--data-dir', dataDir]);
    client = new EesClient({ endpoint });
    await client.commit('restarted', { events: ['after'] }, { changeset: 1 });
    await client.close();
    await waitFor(() => stdout.includes('"after"'), 'the changeset committed after the restart', 30_000);
    expect(stderr).toContain('ees: reconnected.');
    const lines = stdout.trimEnd().split('\n').map((line) => JSON.parse(line) as { changeset_id: number });
    expect(lines.map((line) => line.changeset_id)).toEqual([1, 2]);
    child.kill('SIGINT');
    expect(await exited).toBe(0);
  }, 60_000);

  it('gives up after --max-wait with exit 5, naming the checkpoint to resume from', async () => {
    const result = await runCli(['tail', '--from-checkpoint', '7', '--follow', '--max-wait', '1s', '--json'], { env: { EES_ENDPOINT: `http://127.0.0.1:${await freePort()}` } });
    expect(result.code).toBe(5);
    const last = result.stderr.trimEnd().split('\n').at(-1)!;
    expect(last).toMatch(/^ees: Cannot reach .*gave up after --max-wait 1s\. Resume with --from-checkpoint 7\.$/);
    expect(JSON.parse(result.stdout)).toMatchObject({ error: 'ENDPOINT_UNREACHABLE', exit_code: 5 });
  });
});
