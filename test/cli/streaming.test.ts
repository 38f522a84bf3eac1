import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { EesClient } from '../../src/client/http-client.js';
import { runCli } from '../support/processes.js';
import { startTestStore } from '../support/store.js';

const lines = (stdout: string): unknown[] =>
  stdout
    .trimEnd()
    .split('\n')
    .filter((line) => line !== '')
    .map((line) => JSON.parse(line) as unknown);

describe('streaming output, ees info, profiles and completion, as processes', () => {
  let store: Awaited<ReturnType<typeof startTestStore>>;
  let env: Record<string, string>;
  const configHome = mkdtempSync(join(tmpdir(), 'ees-xdg-'));
  const cacheHome = mkdtempSync(join(tmpdir(), 'ees-cache-'));

  beforeAll(async () => {
    store = await startTestStore();
    env = { EES_ENDPOINT: store.url, XDG_CONFIG_HOME: configHome, XDG_CACHE_HOME: cacheHome };
    const client = new EesClient({ endpoint: store.url });
    // 3 changesets, 6 events in "orders"; one changeset elsewhere in between.
    await client.commit('orders', { events: [{ n: 1 }, { n: 2 }], metadata: { by: 'a' } }, { changeset: 0 });
    await client.commit('other', { events: ['x'] }, { changeset: 0 });
    await client.commit('orders', { events: [{ n: 3 }] }, { changeset: 1 });
    await client.commit('orders', { events: [{ n: 4 }, { n: 5 }, { n: 6 }] }, { changeset: 2 });
    await client.close();
  });
  afterAll(async () => {
    await store.dispose();
    rmSync(configHome, { recursive: true, force: true });
    rmSync(cacheHome, { recursive: true, force: true });
  });

  it('stops after -n changesets or events, whatever the page size, and prints payloads alone with --data-only', async () => {
    const [tailTwo, tailEvents, readOne, readData, tailData] = await Promise.all([
      runCli(['tail', '--from-checkpoint', '0', '--limit', '1', '-n', '2'], { env }),
      runCli(['tail', 'orders', '--events', '--count', '3'], { env }),
      runCli(['read', 'orders', '-n', '1'], { env }),
      runCli(['read', 'orders', '--data-only', '--from', '2'], { env }),
      runCli(['tail', '--from-checkpoint', '0', '--data-only', '-n', '4'], { env }),
    ]);
    expect(lines(tailTwo.stdout).map((line) => (line as { checkpoint: number }).checkpoint)).toEqual([0, 1]);
    expect(lines(tailEvents.stdout).map((line) => (line as { event_id: number }).event_id)).toEqual([1, 2, 3]);
    expect(lines(readOne.stdout)).toEqual([{ stream_id: 'orders', changeset_id: 1, events: [{ n: 1 }, { n: 2 }], metadata: { by: 'a' }, committed_at: expect.any(String) }]);
    expect(lines(readData.stdout)).toEqual([{ n: 2 }, { n: 3 }, { n: 4 }, { n: 5 }, { n: 6 }]);
    expect(lines(tailData.stdout)).toEqual([{ n: 1 }, { n: 2 }, 'x', { n: 3 }]);
  });

  it('resumes a checkpoint file cut short by -n at the first changeset not printed whole', async () => {
    const file = join(configHome, 'checkpoint');
    const first = await runCli(['tail', '--checkpoint-file', file, '--events', '-n', '1'], { env });
    expect(lines(first.stdout)).toHaveLength(1);
    expect(readFileSync(file, 'utf8').trim()).toBe('0');
    const second = await runCli(['tail', '--checkpoint-file', file, '-n', '2'], { env });
    expect(lines(second.stdout).map((line) => (line as { checkpoint: number }).checkpoint)).toEqual([0, 1]);
    expect(readFileSync(file, 'utf8').trim()).toBe('2');
  });

  it('copies a stream on purpose: read --data-only piped into append', async () => {
    const data = await runCli(['read', 'orders', '--data-only'], { env });
    const copied = await runCli(['append', 'orders-copy'], { env, input: data.stdout });
    expect(copied.code).toBe(0);
    const back = await runCli(['read', 'orders-copy', '--data-only'], { env });
    expect(back.stdout).toBe(data.stdout);
  });

  it('shows a stream head with what --expect and --expect-event need', async () => {
    const [json, text] = await Promise.all([runCli(['info', 'orders', '--json'], { env }), runCli(['info', 'other'], { env })]);
    expect(JSON.parse(json.stdout)).toEqual({ stream_id: 'orders', last_changeset_id: 3, last_event_id: 6, committed_at: expect.any(String) });
    expect(JSON.parse(text.stdout)).toEqual({ stream_id: 'other', last_changeset_id: 1, last_event_id: 1, committed_at: expect.any(String) });
  });

  it('manages profiles with ees profile, and the default one is the target', async () => {
    const profileEnv = { XDG_CONFIG_HOME: configHome, EES_ENDPOINT: '' };
    expect((await runCli(['profile', 'add', 'here', '--endpoint', store.url], { env: profileEnv })).code).toBe(0);
    expect((await runCli(['profile', 'add', 'elsewhere', '--endpoint', 'http://127.0.0.1:9', '--token', 's3cret'], { env: profileEnv })).code).toBe(0);
    expect((await runCli(['profile', 'use', 'here'], { env: profileEnv })).code).toBe(0);
    const listed = await runCli(['profile', 'list'], { env: profileEnv });
    expect(lines(listed.stdout)).toEqual([
      { name: 'elsewhere', endpoint: 'http://127.0.0.1:9', auth: 'token', default: false },
      { name: 'here', endpoint: store.url, auth: 'none', default: true },
    ]);
    expect(listed.stdout).not.toContain('s3cret');
    const status = await runCli(['status'], { env: profileEnv });
    expect(JSON.parse(status.stdout)).toMatchObject({ source: 'profile', profile: 'here', reachable: true });
    expect((await runCli(['profile', 'remove', 'here'], { env: profileEnv })).code).toBe(0);
    // Removing the default profile leaves no default (the target is then the local default).
    const after = await runCli(['profile', 'list'], { env: profileEnv });
    expect(lines(after.stdout)).toEqual([{ name: 'elsewhere', endpoint: 'http://127.0.0.1:9', auth: 'token', default: false }]);
    expect(JSON.parse(readFileSync(join(configHome, 'ees', 'profiles.json'), 'utf8'))).not.toHaveProperty('default');
  });

  it('prints shell completion that knows the commands and their flags', async () => {
    const refreshed = await runCli(['autocomplete', '--refresh-cache'], { env });
    expect(refreshed.code).toBe(0);
    const bash = readFileSync(join(cacheHome, 'ees', 'autocomplete', 'functions', 'bash', 'ees.bash'), 'utf8');
    for (const word of ['append', 'tail', 'info', '--from-checkpoint', '--data-only']) expect(bash).toContain(word);
    const script = await runCli(['autocomplete', 'script', 'bash'], { env });
    expect(script.stdout).toContain('ees autocomplete setup');
  });
});
