/**
 * The client library's figures, each against bare undici in the same run: appends through
 * `append()` vs the same requests with an undici Pool; `subscribe` throughput vs reading the same
 * pages with undici; and the import time and bundled size of `elastic-event-store/client` in a
 * fresh process, against undici's own. `ees dev` runs as a separate process.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { build } from 'esbuild';
import { Pool } from 'undici';
import { connect } from '../src/client/connect.js';
import { startProcess, stop } from './http.js';

export interface ClientFigures {
  readonly clientAppendsPerSecond: number;
  readonly bareAppendsPerSecond: number;
  readonly clientEventsPerSecond: number;
  readonly bareEventsPerSecond: number;
  readonly importMs: number;
  readonly undiciImportMs: number;
  readonly bundleBytes: number;
  readonly undiciBundleBytes: number;
  readonly rounds: number;
}

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const WRITERS = 8;
const EVENT = { type: 'ItemAdded', sku: 'sku-1', quantity: 1 };

const median = (values: readonly number[]): number => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)]!;

async function clientAppends(url: string, durationMs: number): Promise<number> {
  const store = await connect({ endpoint: url, env: {} });
  let done = 0;
  const deadline = Date.now() + durationMs;
  const started = performance.now();
  await Promise.all(
    Array.from({ length: WRITERS }, async (_, writer) => {
      const stream = `client-${writer}-${Date.now()}`;
      for (let expected = 0; Date.now() < deadline; expected++) {
        await store.append(stream, [EVENT], { expect: { changeset: expected }, metadata: { source: 'bench' } });
        done++;
      }
    }),
  );
  const seconds = (performance.now() - started) / 1000;
  await store.close();
  return done / seconds;
}

async function bareAppends(url: string, durationMs: number): Promise<number> {
  const pool = new Pool(url, { connections: WRITERS });
  const body = JSON.stringify({ events: [EVENT], metadata: { source: 'bench' } });
  let done = 0;
  const deadline = Date.now() + durationMs;
  const started = performance.now();
  await Promise.all(
    Array.from({ length: WRITERS }, async (_, writer) => {
      const stream = `bare-${writer}-${Date.now()}`;
      for (let expected = 0; Date.now() < deadline; expected++) {
        const response = await pool.request({ method: 'POST', path: `/streams/${stream}?expected_last_changeset=${expected}`, headers: { 'content-type': 'application/json' }, body });
        const answer = (await response.body.json()) as { changeset_id?: number };
        if (response.statusCode !== 200 || answer.changeset_id !== expected + 1) throw new Error(`append answered ${response.statusCode}`);
        done++;
      }
    }),
  );
  const seconds = (performance.now() - started) / 1000;
  await pool.close();
  return done / seconds;
}

/** Events per second delivered by `subscribe` from checkpoint 0 up to `head`. */
async function subscribedEvents(url: string, head: number): Promise<number> {
  const store = await connect({ endpoint: url, env: {} });
  const stop = new AbortController();
  let events = 0;
  const started = performance.now();
  for await (const changeset of store.subscribe({ from: 0, pageSize: 1000, signal: stop.signal })) {
    events += changeset.events.length;
    if (changeset.checkpoint + 1 >= head) stop.abort();
  }
  const seconds = (performance.now() - started) / 1000;
  await store.close();
  return events / seconds;
}

async function barePages(url: string, head: number): Promise<number> {
  const pool = new Pool(url, { connections: 1 });
  let events = 0;
  let checkpoint = 0;
  const started = performance.now();
  while (checkpoint < head) {
    const response = await pool.request({ method: 'GET', path: `/changesets?checkpoint=${checkpoint}&limit=1000&wait=20`, headers: { accept: 'application/json' } });
    const page = (await response.body.json()) as { changesets: { events: unknown[] }[]; next_checkpoint: number };
    for (const changeset of page.changesets) events += changeset.events.length;
    checkpoint = page.next_checkpoint;
  }
  const seconds = (performance.now() - started) / 1000;
  await pool.close();
  return events / seconds;
}

/** Milliseconds to import `specifier` in a fresh node process (the median of `runs`). */
function importMs(specifier: string, runs: number): number {
  const script = `const started = performance.now(); await import(${JSON.stringify(specifier)}); console.log(performance.now() - started);`;
  const times = Array.from({ length: runs }, () => {
    const result = spawnSync(process.execPath, ['--input-type=module', '-e', script], { cwd: ROOT, encoding: 'utf8' });
    if (result.status !== 0) throw new Error(result.stderr);
    return Number(result.stdout.trim());
  });
  return median(times);
}

/** Bytes of one minified ESM bundle of the entry; the SigV4 signer and the stack lookup, loaded only for IAM and --stack targets, stay out. */
async function bundleBytes(entry: string): Promise<number> {
  const result = await build({ entryPoints: [entry], bundle: true, minify: true, platform: 'node', format: 'esm', target: 'node20', write: false, external: ['@smithy/*', '@aws-sdk/*'], logLevel: 'silent' });
  return result.outputFiles.reduce((sum, file) => sum + file.contents.byteLength, 0);
}

export async function measureClient(smoke: boolean): Promise<ClientFigures> {
  const dataDir = mkdtempSync(join(tmpdir(), 'ees-bench-client-'));
  const server = await startProcess([join(ROOT, 'bin', 'run.js'), 'dev', '--port', '0', '--data-dir', dataDir]);
  try {
    const rounds = smoke ? 1 : 7;
    const durationMs = smoke ? 200 : 2_000;
    const client: number[] = [];
    const bare: number[] = [];
    // Alternating rounds, each side first in turn, so that neither gets the warmer server or the emptier disk.
    for (let round = 0; round < rounds; round++) {
      if (round % 2 === 0) bare.push(await bareAppends(server.url, durationMs));
      client.push(await clientAppends(server.url, durationMs));
      if (round % 2 === 1) bare.push(await bareAppends(server.url, durationMs));
    }
    // Enough of the global order for throughput: the appends above, plus wide changesets.
    const store = await connect({ endpoint: server.url, env: {} });
    const wide = Array.from({ length: 20 }, () => EVENT);
    await Promise.all(Array.from({ length: smoke ? 50 : 2_000 }, (_, index) => store.append(`wide-${index}`, wide, { expect: 'new-stream' })));
    const head = await store.headCheckpoint();
    await store.close();
    const subscribed: number[] = [];
    const pages: number[] = [];
    for (let round = 0; round < rounds; round++) {
      if (round % 2 === 0) pages.push(await barePages(server.url, head));
      subscribed.push(await subscribedEvents(server.url, head));
      if (round % 2 === 1) pages.push(await barePages(server.url, head));
    }
    const importRuns = smoke ? 1 : 7;
    return {
      clientAppendsPerSecond: median(client),
      bareAppendsPerSecond: median(bare),
      clientEventsPerSecond: median(subscribed),
      bareEventsPerSecond: median(pages),
      importMs: importMs(pathToFileURL(join(ROOT, 'dist', 'src', 'client', 'index.js')).href, importRuns),
      undiciImportMs: importMs('undici', importRuns),
      bundleBytes: await bundleBytes(join(ROOT, 'dist', 'src', 'client', 'index.js')),
      undiciBundleBytes: await bundleBytes(join(ROOT, 'node_modules', 'undici', 'index.js')),
      rounds,
    };
  } finally {
    await stop(server.child);
    rmSync(dataDir, { recursive: true, force: true });
  }
}
