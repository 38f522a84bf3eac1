/**
 * Issue 18 figures. A filtered follower (1% of the store matches) against an unfiltered read of
 * the same store, through the API handler in-process on SQLite: the time to walk the whole store.
 * And on DynamoDB Local, the requests a commit sends (the stream listing adds none) and the
 * requests of a listing page.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startDynamoDbLocal } from '../src/dev/dynamodb-local.js';
import { DynamoDbEngine } from '../src/engines/dynamodb/engine.js';
import { tableNames } from '../src/engines/dynamodb/schema.js';
import { ensureTables, localDynamoDbClient } from '../src/engines/dynamodb/tables.js';
import { SqliteEngine } from '../src/engines/sqlite/engine.js';
import { createApiHandler } from '../src/http/handler.js';
import { countRequests } from './dynamodb.js';

export interface FilterFigures {
  readonly changesets: number;
  readonly matching: number;
  /** Store checkpoints walked per second. */
  readonly filteredPerSecond: number;
  readonly unfilteredPerSecond: number;
  readonly filteredRequests: number;
  readonly unfilteredRequests: number;
}

/** Walks the whole global order from 0 with `query` added; returns the seconds, requests and changesets received. */
async function walk(handler: ReturnType<typeof createApiHandler>, query: string): Promise<{ seconds: number; requests: number; received: number }> {
  const started = process.hrtime.bigint();
  let checkpoint = 0;
  let requests = 0;
  let received = 0;
  for (;;) {
    const response = await handler({ method: 'GET', path: '/changesets', query: `checkpoint=${checkpoint}&limit=1000${query}`, headers: {}, readBody: async () => null });
    requests++;
    const page = JSON.parse(response.body) as { changesets: unknown[]; next_checkpoint: number };
    received += page.changesets.length;
    if (page.next_checkpoint === checkpoint) break;
    checkpoint = page.next_checkpoint;
  }
  return { seconds: Number(process.hrtime.bigint() - started) / 1e9, requests, received };
}

export async function measureFilteredFollower(smoke: boolean): Promise<FilterFigures> {
  const directory = mkdtempSync(join(tmpdir(), 'ees-bench-find-'));
  const engine = new SqliteEngine({ path: join(directory, 'ees.sqlite') });
  try {
    const changesets = smoke ? 500 : 50_000;
    const events = (type: string): string => JSON.stringify(Array.from({ length: 5 }, (_, index) => ({ type, sku: `sku-${index}`, quantity: index })));
    for (let start = 0; start < changesets; start += 1_000) {
      await Promise.all(
        Array.from({ length: Math.min(1_000, changesets - start) }, (_, offset) => {
          const index = start + offset;
          // Every 100th changeset matches: its stream is in the category and it has the type.
          const matching = index % 100 === 0;
          return engine.commit({ streamId: `${matching ? 'payment' : 'cart'}-${index}`, expectation: { kind: 'changeset', value: 0 }, events: events(matching ? 'PaymentTaken' : 'ItemAdded'), eventCount: 5, metadata: '{}' });
        }),
      );
    }
    const handler = createApiHandler({ engine, serverVersion: 'bench' });
    await walk(handler, ''); // warm up
    const unfiltered = await walk(handler, '');
    const filtered = await walk(handler, '&stream_prefix=payment-&type=PaymentTaken');
    if (filtered.received !== changesets / 100 || unfiltered.received !== changesets) throw new Error('the walks did not see the store');
    return {
      changesets,
      matching: filtered.received,
      filteredPerSecond: changesets / filtered.seconds,
      unfilteredPerSecond: changesets / unfiltered.seconds,
      filteredRequests: filtered.requests,
      unfilteredRequests: unfiltered.requests,
    };
  } finally {
    await engine.close();
    rmSync(directory, { recursive: true, force: true });
  }
}

export interface ListingCostFigures {
  readonly requestsPerOpeningCommit: number;
  readonly requestsPerLaterCommit: number;
  readonly requestsPerListingPage: number;
  readonly streamsPerPage: number;
}

export async function measureListingCost(smoke: boolean): Promise<ListingCostFigures> {
  const local = await startDynamoDbLocal();
  try {
    const client = localDynamoDbClient(local.endpoint);
    const tables = tableNames(`bench-find-${Date.now()}`);
    await ensureTables(client, tables);
    const requests = countRequests(client);
    const engine = new DynamoDbEngine({ client, tables });
    const streams = smoke ? 10 : 100;
    const commit = (streamId: string, expected: number) =>
      engine.commit({ streamId, expectation: { kind: 'changeset', value: expected }, events: '[{"type":"Opened"}]', eventCount: 1, metadata: '{}' });
    const beforeOpening = requests.count;
    for (let stream = 0; stream < streams; stream++) await commit(`listed-${stream}`, 0);
    const opening = (requests.count - beforeOpening) / streams;
    const beforeLater = requests.count;
    for (let stream = 0; stream < streams; stream++) await commit(`listed-${stream}`, 1);
    const later = (requests.count - beforeLater) / streams;
    const beforeListing = requests.count;
    const page = await engine.listStreams('listed-', undefined, 100);
    return { requestsPerOpeningCommit: opening, requestsPerLaterCommit: later, requestsPerListingPage: requests.count - beforeListing, streamsPerPage: page.streams.length };
  } finally {
    await local.stop();
  }
}
