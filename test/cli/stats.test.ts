import { spawn } from 'node:child_process';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { EesClient } from '../../src/client/http-client.js';
import { BIN, runCli } from '../support/processes.js';
import { startTestStore } from '../support/store.js';

// ANSI control sequences, so that the screen's text can be searched.
const stripAnsi = (text: string): string => text.replace(/\u001b\[[0-9;?]*[ -/]*[@-~]/g, '').replace(/\u001b[()][0-9A-B]/g, '');

describe('ees stats', () => {
  let store: Awaited<ReturnType<typeof startTestStore>>;
  let client: EesClient;

  beforeAll(async () => {
    store = await startTestStore();
    client = new EesClient({ endpoint: store.url });
    await client.commit('stats-a', { events: [1, 2, 3] }, { changeset: 0 });
    await client.commit('stats-b', { events: [4] }, { changeset: 0 });
  });
  afterAll(async () => {
    await client.close();
    await store.dispose();
  });

  it('prints one JSON object when stdout is not a terminal', async () => {
    let result = await runCli(['stats', '--endpoint', store.url]);
    for (let attempt = 0; attempt < 20 && JSON.parse(result.stdout).statistics_lag !== 0; attempt++) {
      await new Promise((resolve) => setTimeout(resolve, 100));
      result = await runCli(['stats', '--endpoint', store.url]);
    }
    expect(result.code).toBe(0);
    expect(JSON.parse(result.stdout)).toMatchObject({
      total_streams: 2,
      total_changesets: 2,
      total_events: 4,
      max_stream_length: 1,
      statistics_version: 2,
      head_checkpoint: 2,
      statistics_lag: 0,
      // SQLite indexes in the commit's transaction: nothing ever waits for a checkpoint.
      unindexed_changesets: 0,
      oldest_unindexed_at: null,
    });
    const status = JSON.parse((await runCli(['status', '--endpoint', store.url])).stdout);
    expect(status).toMatchObject({ reachable: true, unindexed_changesets: 0, head_checkpoint: 2, statistics_lag: 0 });
  });

  it('exits 5 when the target does not answer, and 2 for a bad interval', async () => {
    const unreachable = await runCli(['stats', '--endpoint', 'http://127.0.0.1:9']);
    expect(unreachable.code).toBe(5);
    expect(unreachable.stderr).toMatch(/^ees: Cannot reach http:\/\/127\.0\.0\.1:9/);
    const badInterval = await runCli(['stats', '--watch', '--interval', 'soon', '--endpoint', store.url]);
    expect(badInterval.code).toBe(2);
  });

  it('prints one JSON line per interval with --watch, with rates from the second on', async () => {
    const child = spawn(process.execPath, [BIN, 'stats', '--watch', '--interval', '200ms', '--endpoint', store.url], { stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
    const exited = new Promise<number | null>((resolve) => child.once('exit', resolve));
    while (stdout.split('\n').length < 4) await new Promise((resolve) => setTimeout(resolve, 20));
    child.kill('SIGINT');
    expect(await exited).toBe(0);
    const lines = stdout.trim().split('\n').map((line) => JSON.parse(line) as Record<string, unknown>);
    expect(lines[0]).not.toHaveProperty('changesets_per_second');
    expect(lines[1]).toHaveProperty('changesets_per_second');
    expect(lines.every((line) => typeof line['head_checkpoint'] === 'number')).toBe(true);
  });

  it('shows a live panel in a terminal that updates as changesets are committed, and quits on q', async () => {
    // `script` gives the command a pseudo-terminal of 80×24.
    const command = `stty cols 80 rows 24; exec ${process.execPath} ${BIN} stats --watch --interval 300ms --endpoint ${store.url}`;
    // A person's terminal: Ink draws only the last frame when it believes it runs in CI.
    const env = { ...process.env };
    for (const name of ['CI', 'CONTINUOUS_INTEGRATION', 'BUILD_NUMBER', 'RUN_ID', 'NO_COLOR', 'FORCE_COLOR']) delete env[name];
    const child = spawn('script', ['-qfec', command, '/dev/null'], { stdio: ['pipe', 'pipe', 'pipe'], env });
    let screen = '';
    child.stdout.on('data', (chunk: Buffer) => (screen += chunk.toString()));
    const exited = new Promise<number | null>((resolve) => child.once('exit', resolve));
    const waitFor = async (pattern: RegExp): Promise<void> => {
      const deadline = Date.now() + 15_000;
      while (!pattern.test(stripAnsi(screen))) {
        if (Date.now() > deadline) throw new Error(`not on screen: ${pattern}\n${stripAnsi(screen).slice(-2000)}`);
        await new Promise((resolve) => setTimeout(resolve, 50));
      }
    };
    await waitFor(/Changesets\s+2\b/);
    expect(stripAnsi(screen)).toContain('Elastic Event Store');
    for (let expected = 1; expected <= 3; expected++) await client.commit('stats-a', { events: [expected] }, { changeset: expected });
    await waitFor(/Changesets\s+5\b/);
    await waitFor(/Head checkpoint\s+5\b/);
    expect(stripAnsi(screen)).toMatch(/Commit rate\s+[▁▂▃▄▅▆▇█]+/);
    child.stdin.write('q');
    expect(await exited).toBe(0);
  });
});
