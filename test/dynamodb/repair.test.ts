import { spawn } from 'node:child_process';
import { GetItemCommand, QueryCommand, type DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { afterAll, beforeEach, describe, expect, it } from 'vitest';
import { DynamoDbEngine } from '../../src/engines/dynamodb/engine.js';
import { GlobalIndexer, type ChangesetKey } from '../../src/engines/dynamodb/indexer.js';
import { readNumber, readString } from '../../src/engines/dynamodb/items.js';
import { repairUnindexed } from '../../src/engines/dynamodb/repair.js';
import { META_ITEMS, tableNames, type TableNames } from '../../src/engines/dynamodb/schema.js';
import { ensureTables, localDynamoDbClient } from '../../src/engines/dynamodb/tables.js';
import { readUnindexedLag } from '../../src/engines/dynamodb/unindexed.js';
import { createApiHandler } from '../../src/http/handler.js';
import { startNodeHost } from '../../src/http/node-host.js';
import { BIN, runCli } from '../support/processes.js';
import { dynamodbEndpoint, uniquePrefix } from './support.js';

let client: DynamoDBClient;
let prefix: string;
let tables: TableNames;
let engine: DynamoDbEngine;

beforeEach(async () => {
  client ??= localDynamoDbClient(dynamodbEndpoint());
  prefix = uniquePrefix('repair');
  tables = tableNames(prefix);
  await ensureTables(client, tables);
  // No stream poller: commits stay unindexed until something indexes them.
  engine = new DynamoDbEngine({ client, tables });
});

afterAll(() => client?.destroy());

/** Commits `perStream` changesets to each of `streams` streams, interleaved; returns their keys in commit order. */
async function commitMany(streams: number, perStream: number): Promise<ChangesetKey[]> {
  const keys: ChangesetKey[] = [];
  for (let changesetId = 1; changesetId <= perStream; changesetId++) {
    await Promise.all(
      Array.from({ length: streams }, async (_, index) => {
        const streamId = `order-${index}`;
        const outcome = await engine.commit({ streamId, expectation: { kind: 'changeset', value: changesetId - 1 }, events: '[{"type":"placed"}]', eventCount: 1, metadata: '{}' });
        expect(outcome.status).toBe('committed');
        keys.push({ streamId, changesetId });
      }),
    );
  }
  return keys;
}

/** Every changeset's checkpoint, read from the table itself (consistently). */
async function checkpoints(keys: readonly ChangesetKey[]): Promise<Map<string, number | null>> {
  const found = new Map<string, number | null>();
  for (const streamId of new Set(keys.map((key) => key.streamId))) {
    const result = await client.send(new QueryCommand({ TableName: tables.events, KeyConditionExpression: 'stream_id = :s', ExpressionAttributeValues: { ':s': { S: streamId } }, ConsistentRead: true }));
    for (const item of result.Items ?? []) {
      const page = readNumber(item, 'page');
      found.set(`${readString(item, 'stream_id')}/${readNumber(item, 'changeset_id')}`, page === undefined ? null : page * 1000 + readNumber(item, 'page_item')!);
    }
  }
  return found;
}

/** Dense from 0, each changeset once, and each stream's changesets in their order. */
async function expectDenseAndOrdered(keys: readonly ChangesetKey[]): Promise<void> {
  const found = await checkpoints(keys);
  expect(found.size).toBe(keys.length);
  const assigned = [...found.values()];
  expect(assigned.filter((checkpoint) => checkpoint === null)).toEqual([]);
  expect([...assigned].sort((a, b) => a! - b!)).toEqual(keys.map((_, index) => index));
  for (const key of keys) {
    if (key.changesetId === 1) continue;
    expect(found.get(`${key.streamId}/${key.changesetId}`)!).toBeGreaterThan(found.get(`${key.streamId}/${key.changesetId - 1}`)!);
  }
  const counter = await client.send(new GetItemCommand({ TableName: tables.meta, Key: { id: { S: META_ITEMS.counter } }, ConsistentRead: true }));
  expect(readNumber(counter.Item!, 'next_checkpoint')).toBe(keys.length);
}

/** The unindexed index is eventually consistent: wait, with a deadline, for it to show `count`. */
async function untilListed(count: number): Promise<void> {
  const deadline = Date.now() + 10_000;
  while ((await readUnindexedLag(client, tables)).unindexed_changesets !== count) {
    if (Date.now() > deadline) throw new Error(`the unindexed index never listed ${count}`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

const repairArgs = (...extra: string[]) => ['repair', '--table-prefix', prefix, '--dynamodb-endpoint', dynamodbEndpoint(), '--json', ...extra];

describe('ees repair', () => {
  it('indexes what the stream dropped, as a process, and a dry run before it writes nothing', async () => {
    const keys = await commitMany(4, 5);
    // The "stream" delivered every third commit only; the rest were dropped on purpose.
    const delivered = keys.filter((_, index) => index % 3 === 0);
    await new GlobalIndexer({ client, tables }).index(delivered);
    const lag = await engine.readLag();
    // Delivered ones pulled their unindexed predecessors in: what is left is the later changesets of each stream.
    const before = await checkpoints(keys);
    const waiting = [...before.values()].filter((checkpoint) => checkpoint === null).length;
    expect(waiting).toBeGreaterThan(0);
    await untilListed(waiting);
    expect(lag.head_checkpoint).toBe(keys.length - waiting);

    // What an operator sees first: the lag, through the API, in `ees stats` and `ees status`.
    const host = await startNodeHost(createApiHandler({ engine, serverVersion: 'test' }), { host: '127.0.0.1', port: 0 });
    try {
      const stats = JSON.parse((await runCli(['stats', '--endpoint', host.url, '--json'])).stdout);
      expect(stats).toMatchObject({ unindexed_changesets: waiting, unindexed_count_capped: false, head_checkpoint: keys.length - waiting });
      expect(stats.oldest_unindexed_age_ms).toBeGreaterThanOrEqual(0);
      const status = JSON.parse((await runCli(['status', '--endpoint', host.url, '--json'])).stdout);
      expect(status).toMatchObject({ reachable: true, unindexed_changesets: waiting, head_checkpoint: keys.length - waiting, statistics_lag: keys.length - waiting });
    } finally {
      await host.close();
    }

    const dry = await runCli(repairArgs('--dry-run'));
    expect(dry.stderr).toBe('');
    expect(dry.code).toBe(0);
    expect(JSON.parse(dry.stdout)).toMatchObject({ dry_run: true, would_assign: waiting, next_checkpoint: keys.length - waiting });
    expect(await checkpoints(keys)).toEqual(before);

    const run = await runCli(repairArgs());
    expect(run.code).toBe(0);
    expect(JSON.parse(run.stdout)).toMatchObject({ dry_run: false, assigned: waiting, next_checkpoint: keys.length });
    await expectDenseAndOrdered(keys);
    await untilListed(0);
    expect(await engine.readLag()).toMatchObject({ unindexed_changesets: 0, oldest_unindexed_at: null, head_checkpoint: keys.length });

    // Again: nothing left, nothing written.
    const again = await runCli(repairArgs());
    expect(JSON.parse(again.stdout)).toMatchObject({ assigned: 0, next_checkpoint: keys.length });
  }, 120_000);

  it('finishes the job after being killed half-way', async () => {
    const keys = await commitMany(10, 40);
    await untilListed(keys.length);
    const child = spawn(process.execPath, [BIN, ...repairArgs('--batch-size', '2')], { stdio: 'ignore' });
    const exited = new Promise((resolve) => child.once('exit', resolve));
    // Kill it once it has moved the counter, long before it is done.
    const deadline = Date.now() + 30_000;
    for (;;) {
      const counter = await client.send(new GetItemCommand({ TableName: tables.meta, Key: { id: { S: META_ITEMS.counter } }, ConsistentRead: true }));
      if ((readNumber(counter.Item ?? {}, 'next_checkpoint') ?? 0) >= 20) break;
      if (Date.now() > deadline) throw new Error('the repair never started');
      await new Promise((resolve) => setTimeout(resolve, 5));
    }
    child.kill('SIGKILL');
    await exited;
    const partial = [...(await checkpoints(keys)).values()].filter((checkpoint) => checkpoint === null).length;
    expect(partial).toBeGreaterThan(0);

    const run = await runCli(repairArgs());
    expect(run.code).toBe(0);
    await expectDenseAndOrdered(keys);
  }, 120_000);

  it('is safe beside the running indexer: both index the same changesets, each once', async () => {
    const keys = await commitMany(5, 20);
    await untilListed(keys.length);
    const streamIndexer = new GlobalIndexer({ client, tables });
    const [repaired, indexed] = await Promise.all([repairUnindexed({ client, tables, batchSize: 7 }), streamIndexer.index(keys)]);
    expect(repaired.assigned + indexed.assigned).toBe(keys.length);
    await expectDenseAndOrdered(keys);
  }, 120_000);

  it('says what repair means on SQLite, and refuses to guess the store', async () => {
    const sqlite = await runCli(['repair', '--engine', 'sqlite']);
    expect(sqlite.code).toBe(0);
    expect(sqlite.stdout).toMatch(/Nothing to repair on SQLite/);
    const unknown = await runCli(['repair'], { env: { HOME: '/nonexistent-ees-home', XDG_CONFIG_HOME: '/nonexistent-ees-home' } });
    expect(unknown.code).toBe(2);
    expect(unknown.stderr).toMatch(/--stack NAME/);
  }, 120_000);
});
