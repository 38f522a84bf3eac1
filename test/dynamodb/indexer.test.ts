import { ScanCommand, UpdateItemCommand, type DynamoDBClient } from '@aws-sdk/client-dynamodb';
import type { DynamoDBStreamEvent } from 'aws-lambda';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DynamoDbEngine } from '../../src/engines/dynamodb/engine.js';
import { changesetKeysOf, GlobalIndexer, type ChangesetKey } from '../../src/engines/dynamodb/indexer.js';
import { checkpointOf, readNumber, readString, type Item } from '../../src/engines/dynamodb/items.js';
import { tableNames, type TableNames } from '../../src/engines/dynamodb/schema.js';
import { ensureTables, localDynamoDbClient } from '../../src/engines/dynamodb/tables.js';
import { createApiHandler } from '../../src/http/handler.js';
import { changeset } from '../conformance/engine-suite.js';
import { injectFaults } from './faults.js';
import { dynamodbEndpoint, uniquePrefix } from './support.js';

/** A Lambda-shaped DynamoDB stream batch for these changesets (plus a MODIFY the indexer ignores). */
function streamEvent(keys: readonly ChangesetKey[]): DynamoDBStreamEvent {
  return {
    Records: [
      ...keys.map((key, index) => ({
        eventID: `${index}`,
        eventName: 'INSERT' as const,
        eventSource: 'aws:dynamodb',
        dynamodb: { Keys: { stream_id: { S: key.streamId }, changeset_id: { N: String(key.changesetId) } }, SequenceNumber: `${index}` },
      })),
      { eventName: 'MODIFY' as const, dynamodb: { Keys: { stream_id: { S: 'ignored' }, changeset_id: { N: '1' } } } },
    ],
  };
}

const k = (streamId: string, changesetId: number): ChangesetKey => ({ streamId, changesetId });

/** A real client that counts the indexer's counter updates (UpdateItem on the meta table). */
function countingCounterUpdates(tables: TableNames): { client: DynamoDBClient; counterUpdates: () => number } {
  const client = localDynamoDbClient(dynamodbEndpoint());
  let count = 0;
  injectFaults(client, {
    when: (command, input) => {
      if (command === 'UpdateItemCommand' && input['TableName'] === tables.meta) count++;
      return false;
    },
  });
  return { client, counterUpdates: () => count };
}

describe('the global indexer on DynamoDB Local', () => {
  let client: DynamoDBClient;

  beforeAll(() => {
    client = localDynamoDbClient(dynamodbEndpoint());
  });
  afterAll(() => client.destroy());

  /** Fresh tables with the given changesets committed (and nothing indexed). */
  async function store(streams: Record<string, number>): Promise<{ tables: TableNames; engine: DynamoDbEngine }> {
    const tables = tableNames(uniquePrefix('indexer'));
    await ensureTables(client, tables);
    const engine = new DynamoDbEngine({ client, tables });
    for (const [streamId, count] of Object.entries(streams)) {
      for (let expected = 0; expected < count; expected++) {
        expect((await engine.commit(changeset(streamId, [`${streamId}-${expected + 1}`], { kind: 'changeset', value: expected }))).status).toBe('committed');
      }
    }
    return { tables, engine };
  }

  async function items(tables: TableNames): Promise<Item[]> {
    const all: Item[] = [];
    let startKey: Item | undefined;
    do {
      const page = await client.send(new ScanCommand({ TableName: tables.events, ConsistentRead: true, ...(startKey === undefined ? {} : { ExclusiveStartKey: startKey }) }));
      all.push(...(page.Items ?? []));
      startKey = page.LastEvaluatedKey;
    } while (startKey !== undefined);
    return all;
  }

  /** Every changeset indexed once, checkpoints dense from 0, each stream in changeset order. */
  async function expectDenseAndOrdered(tables: TableNames): Promise<Map<string, number>> {
    const all = await items(tables);
    const checkpoints = all.map((item) => checkpointOf(item));
    expect(checkpoints.every((checkpoint) => checkpoint !== null)).toBe(true);
    expect([...checkpoints].sort((a, b) => a! - b!)).toEqual(all.map((_, index) => index));
    const byCheckpoint = [...all].sort((a, b) => checkpointOf(a)! - checkpointOf(b)!);
    const lastSeen = new Map<string, number>();
    for (const item of byCheckpoint) {
      const streamId = readString(item, 'stream_id')!;
      const changesetId = readNumber(item, 'changeset_id')!;
      expect(changesetId, `${streamId} order`).toBe((lastSeen.get(streamId) ?? 0) + 1);
      lastSeen.set(streamId, changesetId);
    }
    return new Map(byCheckpoint.map((item) => [`${readString(item, 'stream_id')}:${readNumber(item, 'changeset_id')}`, checkpointOf(item)!]));
  }

  it('reads the new changesets of a Lambda batch, ignoring other records', () => {
    expect(changesetKeysOf(streamEvent([k('a', 1), k('b', 2)]))).toEqual([k('a', 1), k('b', 2)]);
  });

  it('indexes a batch with one counter update, and a redelivered or duplicated batch never gets a second checkpoint', async () => {
    const { tables } = await store({ a: 2, b: 1 });
    const { client: observed, counterUpdates } = countingCounterUpdates(tables);
    const indexer = new GlobalIndexer({ client: observed, tables });
    expect(await indexer.handle(streamEvent([k('a', 1), k('b', 1), k('a', 2), k('a', 1)]))).toEqual({ assigned: 3 });
    expect(counterUpdates()).toBe(1);
    const first = await expectDenseAndOrdered(tables);
    expect(first.get('b:1')).toBe(1);
    expect(await indexer.handle(streamEvent([k('a', 1), k('b', 1), k('a', 2)]))).toEqual({ assigned: 0 });
    // A new container (no cache) sees the same from the table itself.
    expect(await new GlobalIndexer({ client, tables }).handle(streamEvent([k('a', 2), k('b', 1)]))).toEqual({ assigned: 0 });
    expect(await expectDenseAndOrdered(tables)).toEqual(first);
    expect(counterUpdates()).toBe(1);
    observed.destroy();
  });

  it('remembers the indexed prefix of a bounded number of streams: a forgotten one is read again, a remembered one is not', async () => {
    const { tables } = await store({ a: 1, b: 1, c: 1 });
    const observed = localDynamoDbClient(dynamodbEndpoint());
    let indexReads = 0;
    injectFaults(observed, {
      when: (command) => {
        if (command === 'BatchGetItemCommand') indexReads++;
        return false;
      },
    });
    const indexer = new GlobalIndexer({ client: observed, tables, knownStreamsMax: 2 });
    for (const streamId of ['a', 'b', 'c']) expect(await indexer.handle(streamEvent([k(streamId, 1)]))).toEqual({ assigned: 1 });
    indexReads = 0;
    // c (and b) are remembered: a redelivery needs no read.
    expect(await indexer.handle(streamEvent([k('c', 1)]))).toEqual({ assigned: 0 });
    expect(indexReads).toBe(0);
    // a was the least recently used of three with room for two: forgotten, so read again, and still not indexed twice.
    expect(await indexer.handle(streamEvent([k('a', 1)]))).toEqual({ assigned: 0 });
    expect(indexReads).toBe(1);
    await expectDenseAndOrdered(tables);
    observed.destroy();
  });

  it('finishes a batch redelivered after a partial failure', async () => {
    const { tables } = await store({ a: 60, b: 60 });
    const faulty = localDynamoDbClient(dynamodbEndpoint());
    // Checkpoints are written in transactions of 100: the second one fails, the first landed.
    let itemWrites = 0;
    injectFaults(faulty, { when: (command) => command === 'TransactWriteItemsCommand' && ++itemWrites === 2 });
    const indexer = new GlobalIndexer({ client: faulty, tables });
    const keys = Array.from({ length: 60 }, (_, index) => [k('a', index + 1), k('b', index + 1)]).flat();
    const batch = streamEvent(keys);
    await expect(indexer.handle(batch)).rejects.toThrow('Injected fault');
    expect((await items(tables)).filter((item) => checkpointOf(item) !== null)).toHaveLength(100);
    // Lambda retries the batch: the recorded assignment is finished, nothing is assigned twice.
    expect(await indexer.handle(batch)).toEqual({ assigned: 0 });
    await expectDenseAndOrdered(tables);
    faulty.destroy();
  });

  it('repairs a crash between the counter update and the item writes, from the next batch on', async () => {
    const { tables, engine } = await store({ a: 2, b: 1 });
    const crashing = localDynamoDbClient(dynamodbEndpoint());
    injectFaults(crashing, { when: (command) => command === 'TransactWriteItemsCommand' });
    await expect(new GlobalIndexer({ client: crashing, tables }).handle(streamEvent([k('a', 1), k('a', 2), k('b', 1)]))).rejects.toThrow();
    crashing.destroy();
    expect((await items(tables)).every((item) => checkpointOf(item) === null)).toBe(true);
    // Meanwhile a reader sees nothing rather than a gap.
    const handler = createApiHandler({ engine, serverVersion: 'test' });
    const empty = await handler({ method: 'GET', path: '/changesets', query: '', headers: {}, readBody: async () => null });
    expect(JSON.parse(empty.body)).toMatchObject({ changesets: [], next_checkpoint: 0 });
    // The next invocation, in a new container and for another batch, applies the recorded assignment first.
    await engine.commit(changeset('c', ['c-1']));
    expect(await new GlobalIndexer({ client, tables }).handle(streamEvent([k('c', 1)]))).toEqual({ assigned: 1 });
    const indexed = await expectDenseAndOrdered(tables);
    expect([indexed.get('a:1'), indexed.get('a:2'), indexed.get('b:1'), indexed.get('c:1')]).toEqual([0, 1, 2, 3]);
  });

  it('keeps checkpoints unique and dense when indexers race on different batches', async () => {
    const streams = Object.fromEntries(Array.from({ length: 8 }, (_, index) => [`s${index}`, 3]));
    const { tables } = await store(streams);
    const batches = Object.keys(streams).map((streamId) => streamEvent([k(streamId, 1), k(streamId, 2), k(streamId, 3)]));
    const results = await Promise.all(batches.map((batch) => new GlobalIndexer({ client, tables }).handle(batch)));
    expect(results.reduce((sum, result) => sum + result.assigned, 0)).toBe(24);
    await expectDenseAndOrdered(tables);
  });

  it('indexes a missing predecessor first when a later changeset arrives before it', async () => {
    const { tables } = await store({ late: 3, other: 1 });
    const indexer = new GlobalIndexer({ client, tables });
    expect(await indexer.handle(streamEvent([k('other', 1), k('late', 3)]))).toEqual({ assigned: 4 });
    const indexed = await expectDenseAndOrdered(tables);
    expect([indexed.get('other:1'), indexed.get('late:1'), indexed.get('late:2'), indexed.get('late:3')]).toEqual([0, 1, 2, 3]);
    expect(await indexer.handle(streamEvent([k('late', 1), k('late', 2)]))).toEqual({ assigned: 0 });
  });

  it('keeps checkpoints unique and dense with throttling and conditional failures injected at random', async () => {
    const streams = Object.fromEntries(Array.from({ length: 6 }, (_, index) => [`r${index}`, 4]));
    const { tables } = await store(streams);
    const faulty = localDynamoDbClient(dynamodbEndpoint());
    let seed = 42;
    const random = (): number => ((seed = (seed * 1_103_515_245 + 12_345) % 2 ** 31) / 2 ** 31);
    const injected = injectFaults(faulty, {
      when: () => random() < 0.2,
      error: () =>
        random() < 0.5
          ? Object.assign(new Error('Rate exceeded'), { name: 'ProvisionedThroughputExceededException' })
          : Object.assign(new Error('The conditional request failed'), { name: 'ConditionalCheckFailedException' }),
    });
    // Two "shards", each with its own indexer, delivering overlapping batches; a failed batch is
    // retried as Lambda retries it.
    const keys = Object.keys(streams).flatMap((streamId) => [1, 2, 3, 4].map((changesetId) => k(streamId, changesetId)));
    const shards = [keys.filter((_, index) => index % 2 === 0), keys.filter((_, index) => index % 3 !== 0)];
    await Promise.all(
      shards.map(async (shardKeys) => {
        const indexer = new GlobalIndexer({ client: faulty, tables });
        for (let start = 0; start < shardKeys.length; start += 5) {
          const batch = streamEvent(shardKeys.slice(start, start + 5));
          for (let attempt = 0; ; attempt++) {
            try {
              await indexer.handle(batch);
              break;
            } catch (error) {
              if (attempt > 50) throw error;
            }
          }
        }
      }),
    );
    // Whatever the shards missed (keys neither delivered) is picked up as predecessors or by a final pass.
    await new GlobalIndexer({ client, tables }).handle(streamEvent(keys));
    expect(injected.failures).toBeGreaterThan(5);
    await expectDenseAndOrdered(tables);
    faulty.destroy();
  });

  it('splits an assignment too large for the counter item, keeping per-stream order', async () => {
    // 40 streams with 500-character ids, 15 changesets each: the recorded assignment of all 600
    // would not fit in one 400 KB item.
    const streams = Object.fromEntries(Array.from({ length: 40 }, (_, index) => [`${String(index).padStart(3, '0')}${'x'.repeat(497)}`, 15]));
    const { tables } = await store(streams);
    const { client: observed, counterUpdates } = countingCounterUpdates(tables);
    const keys = Array.from({ length: 15 }, (_, index) => Object.keys(streams).map((streamId) => k(streamId, index + 1))).flat();
    expect(await new GlobalIndexer({ client: observed, tables }).handle(streamEvent(keys))).toEqual({ assigned: 600 });
    expect(counterUpdates()).toBe(2);
    await expectDenseAndOrdered(tables);
    observed.destroy();
  });

  it('never lets a global read step over a checkpoint that is not visible yet', async () => {
    const { tables, engine } = await store({ g: 3 });
    // Checkpoints 0 and 2 visible, 1 not yet (as eventually consistent index reads can show).
    for (const [changesetId, pageItem] of [
      [1, 0],
      [3, 2],
    ]) {
      await client.send(
        new UpdateItemCommand({
          TableName: tables.events,
          Key: { stream_id: { S: 'g' }, changeset_id: { N: String(changesetId) } },
          UpdateExpression: 'SET page = :p, page_item = :i',
          ExpressionAttributeValues: { ':p': { N: '0' }, ':i': { N: String(pageItem) } },
        }),
      );
    }
    const handler = createApiHandler({ engine, serverVersion: 'test' });
    const read = async (query: string) =>
      JSON.parse((await handler({ method: 'GET', path: '/changesets', query, headers: {}, readBody: async () => null })).body) as {
        changesets: { checkpoint: number }[];
        next_checkpoint: number;
      };
    const first = await read('checkpoint=0&limit=10');
    expect(first.changesets.map((c) => c.checkpoint)).toEqual([0]);
    expect(first.next_checkpoint).toBe(1);
    expect(await read('checkpoint=1')).toMatchObject({ changesets: [], next_checkpoint: 1 });
    expect((await read('checkpoint=2')).changesets.map((c) => c.checkpoint)).toEqual([2]);
  });
});
