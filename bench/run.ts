/**
 * `npm run bench`: throughput figures of the embedded engine, each measured in the same run as its
 * baseline. `--smoke` runs every scenario briefly (CI keeps the script working; no figures).
 * Results go to stdout as a Markdown table; docs/benchmarks.md records them with the machine.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { cpus, tmpdir, totalmem } from 'node:os';
import { join } from 'node:path';
import type { NewChangeset } from '../src/core/types.js';
import { SqliteEngine } from '../src/engines/sqlite/engine.js';
import { createApiHandler } from '../src/http/handler.js';
import { measureClient } from './client.js';
import { measureCost, renderCostModel, unitsPerChangeset } from './cost.js';
import { measureDynamoDb } from './dynamodb.js';
import { measureFilteredFollower, measureListingCost } from './find.js';
import { measureHttp } from './http.js';
import { measureLambdaBundles } from './lambda.js';
import { measureLambdaMemory, renderLambdaMemory } from './lambda-memory.js';
import { LARGEST_CHANGESET_EVENTS, publishManyStreams, publishOneChangeset } from './publisher.js';

const smoke = process.argv.includes('--smoke');
process.env['AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED'] ??= 'true';
const durationMs = smoke ? 150 : 3_000;

interface Row {
  readonly scenario: string;
  readonly value: number;
  readonly unit: string;
  readonly baseline?: number;
  /** For counts where fewer is better, the ratio reads baseline / value. */
  readonly lowerIsBetter?: boolean;
  readonly decimals?: number;
}
const rows: Row[] = [];

function withEngine<T>(options: { groupCommit: boolean }, run: (engine: SqliteEngine) => Promise<T>): Promise<T> {
  const directory = mkdtempSync(join(tmpdir(), 'ees-bench-'));
  const engine = new SqliteEngine({ path: join(directory, 'ees.sqlite'), groupCommit: options.groupCommit });
  return run(engine).finally(async () => {
    await engine.close();
    rmSync(directory, { recursive: true, force: true });
  });
}

function changeset(streamId: string, expected: number, events: string, eventCount: number): NewChangeset {
  return { streamId, expectation: { kind: 'changeset', value: expected }, events, eventCount, metadata: '{"source":"bench"}' };
}

/** Durable commits per second: `writers` concurrent writers, each on its own stream, for durationMs. */
async function appendsPerSecond(groupCommit: boolean, writers: number, eventsPerChangeset: number): Promise<number> {
  const events = JSON.stringify(Array.from({ length: eventsPerChangeset }, (_, index) => ({ type: 'ItemAdded', sku: `sku-${index}`, quantity: 1 })));
  return withEngine({ groupCommit }, async (engine) => {
    let committed = 0;
    const deadline = Date.now() + durationMs;
    const started = process.hrtime.bigint();
    await Promise.all(
      Array.from({ length: writers }, async (_, writer) => {
        for (let expected = 0; Date.now() < deadline; expected++) {
          const outcome = await engine.commit(changeset(`writer-${writer}`, expected, events, eventsPerChangeset));
          if (outcome.status !== 'committed') throw new Error(`unexpected ${outcome.status}`);
          committed++;
        }
      }),
    );
    const seconds = Number(process.hrtime.bigint() - started) / 1e9;
    return committed / seconds;
  });
}

/** Events per second read through the API handler's global order, JSON responses included. */
async function globalReadEventsPerSecond(): Promise<number> {
  return withEngine({ groupCommit: true }, async (engine) => {
    const changesets = smoke ? 50 : 2_000;
    const events = JSON.stringify(Array.from({ length: 50 }, (_, index) => ({ type: 'ItemAdded', sku: `sku-${index}`, quantity: index })));
    await Promise.all(Array.from({ length: changesets }, (_, index) => engine.commit(changeset(`stream-${index}`, 0, events, 50))));
    const handler = createApiHandler({ engine, serverVersion: 'bench' });
    let eventsRead = 0;
    const started = process.hrtime.bigint();
    for (let round = 0; round < (smoke ? 1 : 5); round++) {
      let checkpoint = 0;
      for (;;) {
        const response = await handler({ method: 'GET', path: '/changesets', query: `checkpoint=${checkpoint}&limit=1000`, headers: {}, readBody: async () => null });
        const page = JSON.parse(response.body) as { changesets: { events: unknown[] }[]; next_checkpoint: number };
        if (page.changesets.length === 0) break;
        for (const entry of page.changesets) eventsRead += entry.events.length;
        checkpoint = page.next_checkpoint;
      }
    }
    const seconds = Number(process.hrtime.bigint() - started) / 1e9;
    return eventsRead / seconds;
  });
}

/** `--only=http` (or appends, reads, client, find, lambda, dynamodb, publisher, cost, memory) runs one part; `--lambda-baseline=<dir>` compares the bundles' load time with another build's dist/lambda. */
const only = process.argv.find((argument) => argument.startsWith('--only='))?.slice('--only='.length);
const runs = (part: string): boolean => only === undefined || only === part;

async function main(): Promise<void> {
  for (const [writers, size] of runs('appends') ? [
    [1, 1],
    [1, 100],
    [32, 1],
    [32, 100],
  ] as const : []) {
    const single = await appendsPerSecond(false, writers, size);
    const grouped = await appendsPerSecond(true, writers, size);
    rows.push({ scenario: `durable appends/s, ${writers} writer(s), ${size}-event changesets: group commit vs one transaction per commit`, value: grouped, unit: 'commits/s', baseline: single });
  }
  if (runs('find')) {
    const filter = await measureFilteredFollower(smoke);
    rows.push({
      scenario: `filtered follower (stream_prefix + type, ${filter.matching} of ${filter.changesets} changesets match, ${filter.filteredRequests} requests) vs unfiltered read of the same store (${filter.unfilteredRequests} requests): store walked`,
      value: filter.filteredPerSecond,
      unit: 'checkpoints/s',
      baseline: filter.unfilteredPerSecond,
    });
    if (!process.argv.includes('--no-dynamodb')) {
      const listing = await measureListingCost(smoke);
      rows.push({ scenario: 'DynamoDB requests per commit that opens a stream (the stream list index adds no request)', value: listing.requestsPerOpeningCommit, unit: 'requests', decimals: 2 });
      rows.push({ scenario: 'DynamoDB requests per later commit of a stream (the stream list index adds no request)', value: listing.requestsPerLaterCommit, unit: 'requests', decimals: 2 });
      rows.push({ scenario: `DynamoDB requests per stream listing page of ${listing.streamsPerPage} streams`, value: listing.requestsPerListingPage, unit: 'requests' });
    }
  }
  if (runs('reads')) rows.push({ scenario: 'global read through the API handler (JSON responses included), in-process', value: await globalReadEventsPerSecond(), unit: 'events/s' });

  if (runs('http')) {
    const http = await measureHttp(smoke);
    rows.push({
      scenario: `durable appends/s over HTTP, 32 keep-alive connections: ees dev vs a bare node:http server parsing the same body (median of ${http.rounds} alternating rounds; errors: ${http.eesErrors} vs ${http.bareErrors})`,
      value: http.eesPerSecond,
      unit: 'requests/s',
      baseline: http.barePerSecond,
    });
    rows.push({ scenario: `follow latency through ees dev: commit → visible to a long-polling follower, p50 (${http.followSamples} samples)`, value: http.followP50Ms, unit: 'ms', decimals: 2 });
    rows.push({ scenario: `follow latency through ees dev: commit → visible to a long-polling follower, p99 (${http.followSamples} samples)`, value: http.followP99Ms, unit: 'ms', decimals: 2 });
  }

  if (runs('client')) {
    const client = await measureClient(smoke);
    rows.push({
      scenario: `client appends/s through ees dev, ${8} writers: append() vs the same requests with a bare undici Pool (median of ${client.rounds} alternating rounds)`,
      value: client.clientAppendsPerSecond,
      unit: 'commits/s',
      baseline: client.bareAppendsPerSecond,
    });
    rows.push({
      scenario: `subscribe() from checkpoint 0 to the head through ees dev vs reading the same pages with bare undici (median of ${client.rounds})`,
      value: client.clientEventsPerSecond,
      unit: 'events/s',
      baseline: client.bareEventsPerSecond,
    });
    rows.push({
      scenario: `import of elastic-event-store/client in a fresh process (${Math.round(client.bundleBytes / 1024)} KiB bundled, minified) vs undici alone (${Math.round(client.undiciBundleBytes / 1024)} KiB); fewer ms is better`,
      value: client.importMs,
      unit: 'ms',
      baseline: client.undiciImportMs,
      lowerIsBetter: true,
      decimals: 1,
    });
  }

  const lambdaBaseline = process.argv.find((argument) => argument.startsWith('--lambda-baseline='))?.slice('--lambda-baseline='.length);
  for (const bundle of runs('lambda') ? await measureLambdaBundles({ baselineDirectory: lambdaBaseline, loads: smoke ? 1 : 21 }) : []) {
    const sizes = `${Math.round(bundle.bytes / 1024)} KiB${bundle.baseline === undefined ? '' : `, baseline ${Math.round(bundle.baseline.bytes / 1024)} KiB`}`;
    rows.push({
      scenario: `Lambda bundle ${bundle.name} (${sizes}): module load time in a fresh node process${bundle.baseline === undefined ? '' : ', vs the baseline build (lower is better)'}`,
      value: bundle.loadMs,
      unit: 'ms to load',
      decimals: 1,
      ...(bundle.baseline === undefined ? {} : { baseline: bundle.baseline.loadMs, lowerIsBetter: true }),
    });
  }

  if (runs('dynamodb') && process.argv.includes('--no-dynamodb')) {
    console.error('DynamoDB figures skipped (--no-dynamodb).');
  } else if (runs('dynamodb')) {
    const dynamodb = await measureDynamoDb(smoke);
    rows.push({ scenario: 'DynamoDB Local: changesets indexed/s, batched indexer (Lambda batches of 1,000) vs one counter update per changeset', value: dynamodb.batchedPerSecond, unit: 'changesets/s', baseline: dynamodb.naivePerSecond });
    rows.push({ scenario: 'DynamoDB requests per 1,000 changesets indexed: batched indexer vs one counter update per changeset (fewer is better)', value: dynamodb.batchedRequestsPer1000, unit: 'requests', baseline: dynamodb.naiveRequestsPer1000, lowerIsBetter: true });
    rows.push({ scenario: `DynamoDB Local via ees dev: commit → visible to a long-polling follower, p50 (${dynamodb.samples} samples)`, value: dynamodb.latencyP50Ms, unit: 'ms' });
    rows.push({ scenario: `DynamoDB Local via ees dev: commit → visible to a long-polling follower, p99 (${dynamodb.samples} samples)`, value: dynamodb.latencyP99Ms, unit: 'ms' });
  }

  let costModel: string | undefined;
  if (runs('cost')) {
    const cost = await measureCost(smoke);
    const mix = `${cost.changesets} changesets of 1 KB, 3 events, ${Math.round(cost.newStreamShare * 100)}% opening a stream`;
    rows.push({
      scenario: `DynamoDB capacity units per append (${mix}), reads as AWS bills them: ees api bundle vs the original's commit replayed on its template's table`,
      value: unitsPerChangeset(cost.append.capacity, cost.changesets),
      baseline: unitsPerChangeset(cost.originalAppend, cost.changesets),
      unit: 'units',
      decimals: 2,
    });
    rows.push({
      scenario: 'the same, as DynamoDB Local reports them (a read that finds nothing counts 0)',
      value: (cost.append.capacity.localReadUnits + cost.append.capacity.localWriteUnits) / cost.changesets,
      baseline: (cost.originalAppend.localReadUnits + cost.originalAppend.localWriteUnits) / cost.changesets,
      unit: 'units',
      decimals: 2,
    });
    rows.push({ scenario: `DynamoDB capacity units per changeset indexed (batches of 100), as AWS bills them`, value: unitsPerChangeset(cost.index.capacity, cost.changesets), unit: 'units', decimals: 2 });
    rows.push({
      scenario: `DynamoDB reads per second of one idle follower: the api bundle (${cost.follow.polls} long polls, ${cost.follow.followSeconds.toFixed(1)} s) vs the same handler on an engine looking every 250 ms, as the api Lambda did`,
      value: cost.follow.capacity.readRequests / cost.follow.followSeconds,
      baseline: cost.followBeforeReadsPerSecond,
      unit: 'reads/s',
      decimals: 2,
    });
    const delays = [...cost.visibleAfterIndexingMs].sort((a, b) => a - b);
    rows.push({ scenario: `follower sees a changeset after it is indexed, through the api bundle: median of ${delays.length} samples`, value: delays[Math.floor(delays.length / 2)]!, unit: 'ms' });
    rows.push({ scenario: 'the same, slowest sample', value: delays.at(-1)!, unit: 'ms' });
    costModel = renderCostModel(cost);
  }

  const memory = runs('memory') ? renderLambdaMemory(await measureLambdaMemory(smoke)) : undefined;

  if (runs('publisher')) {
    // `--full` publishes the largest changeset for real (about 10 minutes at 20 ms a call, 20 at 50 ms).
    const full = process.argv.includes('--full');
    // `--latency=20` measures one round trip only (two runs can then go side by side).
    const latency = process.argv.find((argument) => argument.startsWith('--latency='))?.slice('--latency='.length);
    for (const latencyMs of smoke ? [1] : latency === undefined ? [20, 50] : [Number(latency)]) {
      const eventCount = smoke ? 200 : full ? LARGEST_CHANGESET_EVENTS : 39_000;
      const one = await publishOneChangeset(latencyMs, eventCount);
      rows.push({
        scenario: `SNS at ${latencyMs} ms a call: one changeset of ${eventCount.toLocaleString('en-US')} events published (${one.calls.toLocaleString('en-US')} calls, ${one.invocations} invocation(s) of 60 s, ${one.duplicates} duplicates)`,
        value: one.seconds,
        unit: 's',
        decimals: 1,
      });
      const many = await publishManyStreams(latencyMs, smoke ? 10 : 100, 50, 16);
      const oneAtATime = await publishManyStreams(latencyMs, smoke ? 10 : 100, 50, 1);
      rows.push({
        scenario: `SNS at ${latencyMs} ms a call: a batch of ${smoke ? 10 : 100} changesets of 50 events on as many streams, 16 calls in flight vs one at a time (fewer seconds is better)`,
        value: many.seconds,
        unit: 's',
        baseline: oneAtATime.seconds,
        lowerIsBetter: true,
        decimals: 2,
      });
    }
  }

  console.log(`machine: ${cpus().length} × ${cpus()[0]?.model ?? 'cpu'}, ${Math.round(totalmem() / 2 ** 30)} GiB, node ${process.version}${smoke ? ' (smoke run: figures not meaningful)' : ''}`);
  console.log('| scenario | result | baseline | ratio |');
  console.log('|---|---|---|---|');
  for (const row of rows) {
    const format = (figure: number): string => (row.decimals === undefined ? Math.round(figure).toLocaleString('en-US') : figure.toFixed(row.decimals));
    const baseline = row.baseline === undefined ? '' : `${format(row.baseline)} ${row.unit}`;
    const ratio = row.baseline === undefined ? '' : row.lowerIsBetter ? `${(row.baseline / row.value).toFixed(row.decimals === undefined ? 0 : 1)}× fewer` : `${(row.value / row.baseline).toFixed(2)}×`;
    const value = format(row.value);
    console.log(`| ${row.scenario} | ${value} ${row.unit} | ${baseline} | ${ratio} |`);
  }
  if (costModel !== undefined) console.log(`\n${costModel}`);
  if (memory !== undefined) console.log(`\n${memory}`);
}

await main();
