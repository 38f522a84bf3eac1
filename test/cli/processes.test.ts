import { spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { EesClient } from '../../src/client/http-client.js';
import { BIN, runCli } from '../support/processes.js';
import { startTestStore } from '../support/store.js';

describe('the ees binary, as scripts run it', () => {
  let store: Awaited<ReturnType<typeof startTestStore>>;
  let client: EesClient;
  let env: Record<string, string>;
  const configHome = mkdtempSync(join(tmpdir(), 'ees-xdg-'));

  beforeAll(async () => {
    store = await startTestStore();
    client = new EesClient({ endpoint: store.url });
    env = { EES_ENDPOINT: store.url };
  });
  afterAll(async () => {
    await client.close();
    await store.dispose();
    rmSync(configHome, { recursive: true, force: true });
  });

  it('reads the changeset from stdin in each format', async () => {
    const inputs = ['{"events":[{"type":"opened"}],"metadata":{"via":"stdin"}}', '[1,2]', '{"type":"a"}\n{"type":"b"}\n'];
    for (const [index, input] of inputs.entries()) {
      const result = await runCli(['append', 'piped', '--expect', String(index)], { input, env });
      expect(result.stderr).toBe('');
      expect(result.code).toBe(0);
      expect(JSON.parse(result.stdout)).toEqual({ stream_id: 'piped', changeset_id: index + 1 });
    }
    const empty = await runCli(['append', 'piped', '--expect', '3'], { input: '', env });
    expect(empty.code).toBe(2);
    expect(empty.stderr).toBe('ees: stdin is empty: give a changeset, a JSON array of events, or one JSON event per line.\n');
  });

  it('prints pure JSON Lines when stdout is not a terminal', async () => {
    const result = await runCli(['tail', '--from-checkpoint', '0'], { env });
    expect(result.code).toBe(0);
    const lines = result.stdout.trimEnd().split('\n');
    expect(lines.length).toBeGreaterThanOrEqual(3);
    for (const line of lines) expect(() => JSON.parse(line)).not.toThrow();
    expect(result.stdout).not.toMatch(/\u001b\[/);
  });

  it('follows new changesets with long polls and exits 0 on Ctrl-C', async () => {
    await client.commit('before-following', { events: ['old'] }, { changeset: 0 });
    const child = spawn(process.execPath, [BIN, 'tail', '--follow', '--json'], { env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
    const exited = new Promise<number | null>((resolve) => child.once('exit', resolve));
    // Following with no start point prints only new changesets: probe until it prints one, however
    // long the process takes to start on a busy machine.
    for (let probe = 0; !stdout.includes('\n'); probe++) {
      expect(probe).toBeLessThan(60);
      await client.commit('probe', { events: [probe] }, { changeset: probe });
      await new Promise((resolve) => setTimeout(resolve, 250));
    }
    expect(JSON.parse(stdout.split('\n')[0]!)).toMatchObject({ stream_id: 'probe' });
    expect(stdout).not.toContain('before-following');
    const printed = stdout.length;
    await client.commit('followed', { events: ['new'] }, { changeset: 0 });
    // The follower's long poll waits 20 s: seeing the commit within half that means the poll woke.
    const deadline = Date.now() + 10_000;
    while (!stdout.slice(printed).includes('followed') && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 10));
    expect(stdout.slice(printed)).toContain('followed');
    const line = stdout.slice(printed).split('\n').find((candidate) => candidate.includes('followed'))!;
    expect(JSON.parse(line)).toMatchObject({ stream_id: 'followed', changeset_id: 1, events: ['new'] });
    child.kill('SIGINT');
    expect(await exited).toBe(0);
  });

  it('follows one stream after catching up, without printing a changeset twice', async () => {
    await client.commit('one', { events: [1] }, { changeset: 0 });
    const child = spawn(process.execPath, [BIN, 'tail', 'one', '--from', '1', '-f'], { env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
    const exited = new Promise<number | null>((resolve) => child.once('exit', resolve));
    while (!stdout.includes('\n')) await new Promise((resolve) => setTimeout(resolve, 10));
    await client.commit('other', { events: ['x'] }, { changeset: 0 });
    await client.commit('one', { events: [2] }, { changeset: 1 });
    while (stdout.split('\n').length < 3) await new Promise((resolve) => setTimeout(resolve, 10));
    child.kill('SIGTERM');
    expect(await exited).toBe(0);
    const lines = stdout.trimEnd().split('\n').map((line) => JSON.parse(line) as { stream_id: string; changeset_id: number });
    expect(lines.map((line) => [line.stream_id, line.changeset_id])).toEqual([
      ['one', 1],
      ['one', 2],
    ]);
  });

  it('targets a saved profile from the config dir', async () => {
    mkdirSync(join(configHome, 'ees'), { recursive: true });
    writeFileSync(join(configHome, 'ees', 'profiles.json'), JSON.stringify({ profiles: { local: { endpoint: store.url, auth: 'none' } } }));
    const result = await runCli(['status', '--profile', 'local'], { env: { XDG_CONFIG_HOME: configHome, EES_ENDPOINT: '' } });
    expect(result.code).toBe(0);
    expect(JSON.parse(result.stdout)).toMatchObject({ endpoint: store.url, source: 'profile', profile: 'local', reachable: true });
  });

  it('lists the exit codes in ees --help', async () => {
    const result = await runCli(['--help']);
    expect(result.code).toBe(0);
    expect(result.stdout).toMatch(/EXIT CODES[\s\S]*3 {2}concurrency conflict[\s\S]*5 {2}endpoint unreachable/);
  });
});
