import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { EesClient } from '../../src/client/http-client.js';
import { BIN, runCli, startDevProcess } from '../support/processes.js';
import { startTestStore } from '../support/store.js';

type Store = Awaited<ReturnType<typeof startTestStore>>;

/** Runs the CLI as a process, to completion, collecting its output. */
function ees(env: Record<string, string>, cwd: string, ...args: string[]): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [BIN, ...args], { cwd, env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    child.once('close', (code) => resolve({ code, stdout, stderr }));
  });
}

const checkpointsIn = (path: string): number[] =>
  existsSync(path)
    ? readFileSync(path, 'utf8')
        .split('\n')
        .filter((line) => line !== '')
        .map((line) => (JSON.parse(line) as { checkpoint: number }).checkpoint)
    : [];

describe('consumers and --exec, as CI jobs run them', () => {
  let store: Store;
  let client: EesClient;
  let env: Record<string, string>;
  let work: string;
  const total = 10;

  beforeAll(async () => {
    store = await startTestStore();
    client = new EesClient({ endpoint: store.url });
    env = { EES_ENDPOINT: store.url };
    work = mkdtempSync(join(tmpdir(), 'ees-consumers-'));
    for (let index = 0; index < total; index++) await client.commit(`order-${index}`, { events: [{ type: 'placed', index }] }, { changeset: 0 });
  });
  afterAll(async () => {
    await client.close();
    await store.dispose();
    rmSync(work, { recursive: true, force: true });
  });

  it('runs the literal usage line `ees tail --from-checkpoint`: from 0 without a saved position, else from it', async () => {
    const plain = await ees(env, work, 'tail', '--from-checkpoint');
    expect(plain.stderr).toBe('');
    expect(plain.code).toBe(0);
    expect(plain.stdout.trimEnd().split('\n').map((line) => JSON.parse(line).checkpoint)).toEqual([...Array(total).keys()]);

    writeFileSync(join(work, 'literal.cp'), '7\n');
    const resumed = await ees(env, work, 'tail', '--checkpoint-file', 'literal.cp', '--from-checkpoint');
    expect(resumed.code).toBe(0);
    expect(resumed.stdout.trimEnd().split('\n').map((line) => JSON.parse(line).checkpoint)).toEqual([7, 8, 9]);
    expect(readFileSync(join(work, 'literal.cp'), 'utf8')).toBe(`${total}\n`);

    const numbered = await ees(env, work, 'tail', '--from-checkpoint', '8', '--json');
    expect(numbered.stdout.trimEnd().split('\n').map((line) => JSON.parse(line).checkpoint)).toEqual([8, 9]);
  });

  it('loses nothing when the --exec command fails on the third batch, and repeats only that batch', async () => {
    const applied = join(work, 'applied.jsonl');
    const deliveries = join(work, 'deliveries');
    // The projector records each delivery's first checkpoint, and fails on its third delivery ever.
    const projector = `echo "$EES_BATCH_FROM" >> ${deliveries}; n=$(wc -l < ${deliveries}); if [ "$n" -eq 3 ]; then exit 1; fi; cat >> ${applied}`;
    const first = await ees(env, work, 'tail', '--consumer', 'projection', '--limit', '2', '--exec', projector);
    expect(first.code).toBe(8);
    expect(first.stderr).toMatch(/^ees: The --exec command exited with 1 on the batch from checkpoint 4 to 6; the position stays at 4/);
    expect(checkpointsIn(applied)).toEqual([0, 1, 2, 3]);
    expect((await client.readConsumer('projection')).position).toBe(4);

    const second = await ees(env, work, 'tail', '--consumer', 'projection', '--limit', '2', '--exec', projector);
    expect(second.stderr).toBe('');
    expect(second.code).toBe(0);
    expect(checkpointsIn(applied)).toEqual([...Array(total).keys()]);
    // Batch 4-5 was delivered twice (the failure, then again); every other batch once.
    expect(readFileSync(deliveries, 'utf8').trim().split('\n').map(Number)).toEqual([0, 2, 4, 4, 6, 8]);
    expect(await client.listConsumers()).toMatchObject({ head: total, consumers: [{ name: 'projection', position: total, lag: 0 }] });

    const listed = await ees(env, work, 'consumers', '--json');
    expect(JSON.parse(listed.stdout)).toEqual({ head: total, consumers: [{ name: 'projection', position: total, lag: 0 }] });
  });

  it('delivers every changeset to two concurrent runs of the same consumer, and its position never moves back', async () => {
    const applied = join(work, 'concurrent.jsonl');
    const positions: number[] = [];
    let watching = true;
    const watcher = (async () => {
      while (watching) {
        try {
          positions.push((await client.readConsumer('shared')).position);
        } catch {
          // Not created yet.
        }
      }
    })();
    const runs = await Promise.all([1, 2].map(() => ees(env, work, 'tail', '--consumer', 'shared', '--limit', '1', '--exec', `cat >> ${applied}`)));
    watching = false;
    await watcher;
    // A run that finds the position moved by the other stops with exit 3; nothing is skipped.
    for (const run of runs) expect([0, 3], run.stderr).toContain(run.code);
    expect(runs.some((run) => run.code === 0)).toBe(true);
    expect(new Set(checkpointsIn(applied))).toEqual(new Set([...Array(total).keys()]));
    expect((await client.readConsumer('shared')).position).toBe(total);
    expect(positions.length).toBeGreaterThan(0);
    expect(positions).toEqual([...positions].sort((a, b) => a - b));
  });

  it('resets and deletes consumers, with clear errors', async () => {
    const reset = await ees(env, work, 'consumers', 'reset', 'projection', '--to', '3', '--json');
    expect(JSON.parse(reset.stdout)).toEqual({ name: 'projection', position: 3, lag: total - 3 });
    const replay = await ees(env, work, 'tail', '--consumer', 'projection');
    expect(replay.stdout.trimEnd().split('\n').map((line) => JSON.parse(line).checkpoint)).toEqual([3, 4, 5, 6, 7, 8, 9]);

    const twoStarts = await ees(env, work, 'tail', '--consumer', 'projection', '--from-checkpoint', '0');
    expect(twoStarts.code).toBe(2);
    expect(twoStarts.stdout).toBe('');
    expect(twoStarts.stderr).toMatch(/^ees: --from-checkpoint 0 and the consumer projection \(at 10\) both say where to start/);

    const beyond = await ees(env, work, 'consumers', 'reset', 'projection', '--to', '999');
    expect(beyond.code).toBe(2);
    expect(beyond.stderr).toBe(`ees: Position 999 is beyond the head of the global order (${total}).\n`);
    const badName = await ees(env, work, 'tail', '--consumer', 'no spaces');
    expect(badName.code).toBe(2);
    expect(badName.stderr).toMatch(/^ees: A consumer name is 1 to 100/);

    expect((await ees(env, work, 'consumers', 'delete', 'projection')).code).toBe(0);
    const gone = await ees(env, work, 'consumers', 'delete', 'projection');
    expect(gone.code).toBe(4);
    expect(gone.stderr).toBe('ees: The consumer projection does not exist.\n');
  });

  it('refuses --exec without a position, and a checkpoint file in a missing folder before printing anything', async () => {
    const noPosition = await ees(env, work, 'tail', '--exec', 'cat');
    expect(noPosition.code).toBe(2);
    const missing = await ees(env, work, 'tail', '--checkpoint-file', join(work, 'nowhere', 'cp'), '--from-checkpoint', '0');
    expect(missing.code).toBe(2);
    expect(missing.stdout).toBe('');
    expect(missing.stderr).toBe(`ees: Cannot write the checkpoint file ${join(work, 'nowhere', 'cp')}: its folder does not exist.\n`);
  });

  it('warns when a checkpoint file is beyond the head, and refuses a second start point', async () => {
    writeFileSync(join(work, 'ahead.cp'), '500\n');
    const ahead = await ees(env, work, 'tail', '--checkpoint-file', 'ahead.cp');
    expect(ahead.code).toBe(0);
    expect(ahead.stdout).toBe('');
    expect(ahead.stderr).toMatch(/^ees: warning: the checkpoint in ahead.cp \(500\) is beyond the head of the global order \(10\): was the store recreated\?/);
    const both = await ees(env, work, 'tail', '--checkpoint-file', 'ahead.cp', '--from-checkpoint', '2');
    expect(both.code).toBe(2);
    expect(both.stdout).toBe('');
    expect(readFileSync(join(work, 'ahead.cp'), 'utf8')).toBe('500\n');
  });
});

describe('consumer positions across ees dev restarts', () => {
  const dataDir = mkdtempSync(join(tmpdir(), 'ees-consumers-dev-'));
  afterAll(() => rmSync(dataDir, { recursive: true, force: true }));

  it('keeps them through a clean stop and a kill -9', async () => {
    let dev = await startDevProcess(['--port', '0', '--data-dir', dataDir]);
    try {
      const commit = (url: string, id: string) => runCli(['append', id], { input: '{"type":"x"}', env: { EES_ENDPOINT: url } });
      await commit(dev.url, 'a');
      await commit(dev.url, 'b');
      const first = await runCli(['tail', '--consumer', 'kept'], { env: { EES_ENDPOINT: dev.url } });
      expect(first.code).toBe(0);
      expect(await dev.stop('SIGTERM')).toBe(0);

      dev = await startDevProcess(['--port', '0', '--data-dir', dataDir]);
      let listed = JSON.parse((await runCli(['consumers', '--json'], { env: { EES_ENDPOINT: dev.url } })).stdout);
      expect(listed).toEqual({ head: 2, consumers: [{ name: 'kept', position: 2, lag: 0 }] });
      await commit(dev.url, 'c');
      const second = await runCli(['tail', '--consumer', 'kept'], { env: { EES_ENDPOINT: dev.url } });
      expect(second.stdout.trimEnd().split('\n').map((line) => JSON.parse(line).stream_id)).toEqual(['c']);
      await dev.stop('SIGKILL');

      dev = await startDevProcess(['--port', '0', '--data-dir', dataDir]);
      listed = JSON.parse((await runCli(['consumers', '--json'], { env: { EES_ENDPOINT: dev.url } })).stdout);
      expect(listed).toEqual({ head: 3, consumers: [{ name: 'kept', position: 3, lag: 0 }] });
    } finally {
      await dev.stop('SIGKILL');
    }
  });
});
