/**
 * HTTP figures: durable appends/s through `ees dev` against a bare node:http server that parses the
 * same body and stores nothing (32 keep-alive connections, measured in the same run), and the
 * commit → visible latency for a long-polling follower. Servers run as separate processes, so the
 * load generator and the server each have a core.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Pool } from 'undici';
import { sleep } from '../src/core/sleep.js';

export interface HttpFigures {
  readonly eesPerSecond: number;
  readonly barePerSecond: number;
  readonly eesErrors: number;
  readonly bareErrors: number;
  readonly followP50Ms: number;
  readonly followP99Ms: number;
  readonly followSamples: number;
  readonly rounds: number;
}

const CONNECTIONS = 32;
const ROUNDS = 5;

function median(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)]!;
}
const BODY = JSON.stringify({ events: [{ type: 'ItemAdded', sku: 'sku-1', quantity: 1 }], metadata: { source: 'bench' } });

export async function startProcess(args: string[]): Promise<{ url: string; child: ChildProcess }> {
  const child = spawn(process.execPath, args, { stdio: ['ignore', 'pipe', 'inherit'] });
  let output = '';
  return new Promise((resolve, reject) => {
    child.stdout.on('data', (chunk: Buffer) => {
      output += chunk.toString();
      const url = /listening on (http:\/\/\S+)/.exec(output)?.[1];
      if (url !== undefined) resolve({ url, child });
    });
    child.once('exit', (code) => reject(new Error(`server exited with ${code}`)));
  });
}

export async function stop(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null) return;
  const exited = new Promise((resolve) => child.once('exit', resolve));
  child.kill('SIGTERM');
  await exited;
}

/** 32 writers, each appending to its own stream in order, for `durationMs`. */
async function load(url: string, durationMs: number, withExpectations: boolean): Promise<{ perSecond: number; errors: number }> {
  const pool = new Pool(url, { connections: CONNECTIONS, pipelining: 1 });
  let done = 0;
  let errors = 0;
  const deadline = Date.now() + durationMs;
  const started = process.hrtime.bigint();
  await Promise.all(
    Array.from({ length: CONNECTIONS }, async (_, writer) => {
      const stream = `bench-${writer}-${Date.now()}`;
      for (let expected = 0; Date.now() < deadline; expected++) {
        const response = await pool.request({
          method: 'POST',
          path: withExpectations ? `/streams/${stream}?expected_last_changeset=${expected}` : `/streams/${stream}`,
          headers: { 'content-type': 'application/json' },
          body: BODY,
        });
        await response.body.text();
        if (response.statusCode === 200) done++;
        else errors++;
      }
    }),
  );
  const seconds = Number(process.hrtime.bigint() - started) / 1e9;
  await pool.close();
  return { perSecond: done / seconds, errors };
}

/** Commit, and time until a follower already waiting in a long poll receives it. */
async function followLatency(url: string, samples: number): Promise<number[]> {
  const follower = new Pool(url, { connections: 1 });
  const writer = new Pool(url, { connections: 1 });
  const read = async (path: string): Promise<{ next_checkpoint: number; changesets: unknown[] }> =>
    (await (await follower.request({ method: 'GET', path })).body.json()) as { next_checkpoint: number; changesets: unknown[] };
  let checkpoint = 0;
  for (;;) {
    const page = await read(`/changesets?checkpoint=${checkpoint}&limit=1000`);
    if (page.changesets.length === 0) break;
    checkpoint = page.next_checkpoint;
  }
  const latencies: number[] = [];
  const stream = `follow-${Date.now()}`;
  for (let sample = 0; sample < samples; sample++) {
    const waiting = read(`/changesets?checkpoint=${checkpoint}&wait=20`);
    // Let the long poll reach the server before committing.
    await sleep(5);
    const started = performance.now();
    const response = await writer.request({
      method: 'POST',
      path: `/streams/${stream}?expected_last_changeset=${sample}`,
      headers: { 'content-type': 'application/json' },
      body: BODY,
    });
    await response.body.text();
    const page = await waiting;
    latencies.push(performance.now() - started);
    if (page.changesets.length === 0) throw new Error('the follower saw nothing');
    checkpoint = page.next_checkpoint;
  }
  await follower.close();
  await writer.close();
  return latencies.sort((a, b) => a - b);
}

export async function measureHttp(smoke: boolean): Promise<HttpFigures> {
  const root = fileURLToPath(new URL('../../', import.meta.url));
  const dataDir = mkdtempSync(join(tmpdir(), 'ees-bench-http-'));
  const durationMs = smoke ? 300 : 4_000;
  const ees = await startProcess([join(root, 'bin', 'run.js'), 'dev', '--port', '0', '--data-dir', dataDir]);
  const bare = await startProcess([join(root, 'dist', 'bench', 'bare-server.js')]);
  try {
    // Warm both up, then measure them in alternating rounds and take each one's median: on a
    // shared virtual machine the speed drifts between runs, and alternating keeps the ratio fair.
    await load(ees.url, smoke ? 100 : 1_000, true);
    await load(bare.url, smoke ? 100 : 1_000, false);
    const eesRuns: { perSecond: number; errors: number }[] = [];
    const bareRuns: { perSecond: number; errors: number }[] = [];
    for (let round = 0; round < (smoke ? 1 : ROUNDS); round++) {
      eesRuns.push(await load(ees.url, durationMs, true));
      bareRuns.push(await load(bare.url, durationMs, false));
    }
    const latencies = await followLatency(ees.url, smoke ? 10 : 300);
    const at = (quantile: number): number => latencies[Math.min(latencies.length - 1, Math.floor(quantile * latencies.length))]!;
    return {
      eesPerSecond: median(eesRuns.map((run) => run.perSecond)),
      barePerSecond: median(bareRuns.map((run) => run.perSecond)),
      eesErrors: eesRuns.reduce((sum, run) => sum + run.errors, 0),
      bareErrors: bareRuns.reduce((sum, run) => sum + run.errors, 0),
      rounds: eesRuns.length,
      followP50Ms: at(0.5),
      followP99Ms: at(0.99),
      followSamples: latencies.length,
    };
  } finally {
    await stop(ees.child);
    await stop(bare.child);
    rmSync(dataDir, { recursive: true, force: true });
  }
}
