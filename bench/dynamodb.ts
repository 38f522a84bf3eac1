/**
 * DynamoDB figures on DynamoDB Local: the batched global indexer against a naive indexer that
 * takes one counter round trip per changeset (the original design), in the same run; and the
 * commit → visible-in-global-order latency of `ees dev --engine dynamodb`.
 */
import { UpdateItemCommand, type DynamoDBClient } from '@aws-sdk/client-dynamodb';
import type { DynamoDBStreamEvent } from 'aws-lambda';
import { startDynamoDbLocal } from '../src/dev/dynamodb-local.js';
import { startDynamoDbStore } from '../src/dev/dynamodb-store.js';
import { DynamoDbEngine } from '../src/engines/dynamodb/engine.js';
import { GlobalIndexer, type ChangesetKey } from '../src/engines/dynamodb/indexer.js';
import { num, pagePosition, str } from '../src/engines/dynamodb/items.js';
import { META_ITEMS, tableNames, type TableNames } from '../src/engines/dynamodb/schema.js';
import { ensureTables, localDynamoDbClient } from '../src/engines/dynamodb/tables.js';
import { EesClient } from '../src/client/http-client.js';

export interface DynamoDbFigures {
  readonly batchedPerSecond: number;
  readonly naivePerSecond: number;
  /** DynamoDB requests per 1,000 changesets indexed: what counts against Lambda-to-DynamoDB latency. */
  readonly batchedRequestsPer1000: number;
  readonly naiveRequestsPer1000: number;
  readonly latencyP50Ms: number;
  readonly latencyP99Ms: number;
  readonly samples: number;
}

/** The indexer Lambda's batch size in the stack. */
export const INDEXER_BATCH_SIZE = 1000;

async function seed(client: DynamoDBClient, label: string, streams: number, perStream: number): Promise<{ tables: TableNames; keys: ChangesetKey[] }> {
  const tables = tableNames(`bench-${label}-${Date.now()}`);
  await ensureTables(client, tables);
  const engine = new DynamoDbEngine({ client, tables });
  const keys: ChangesetKey[] = [];
  // Round-robin over streams, as interleaved writers would commit them.
  for (let changesetId = 1; changesetId <= perStream; changesetId++) {
    await Promise.all(
      Array.from({ length: streams }, async (_, stream) => {
        const streamId = `stream-${stream}`;
        await engine.commit({
          streamId,
          expectation: { kind: 'changeset', value: changesetId - 1 },
          events: '[{"type":"ItemAdded"}]',
          eventCount: 1,
          metadata: '{}',
        });
      }),
    );
    for (let stream = 0; stream < streams; stream++) keys.push({ streamId: `stream-${stream}`, changesetId });
  }
  return { tables, keys };
}

function lambdaBatch(keys: readonly ChangesetKey[]): DynamoDBStreamEvent {
  return {
    Records: keys.map((key) => ({
      eventName: 'INSERT' as const,
      dynamodb: { Keys: { stream_id: { S: key.streamId }, changeset_id: { N: String(key.changesetId) } } },
    })),
  };
}

/** The original design: one atomic counter increment per changeset, then the item. */
async function indexNaively(client: DynamoDBClient, tables: TableNames, keys: readonly ChangesetKey[]): Promise<void> {
  for (const key of keys) {
    const { Attributes } = await client.send(
      new UpdateItemCommand({
        TableName: tables.meta,
        Key: { id: str(META_ITEMS.counter) },
        UpdateExpression: 'ADD next_checkpoint :one',
        ExpressionAttributeValues: { ':one': num(1) },
        ReturnValues: 'UPDATED_OLD',
      }),
    );
    const checkpoint = Number(Attributes?.['next_checkpoint']?.N ?? '0');
    const { page, pageItem } = pagePosition(checkpoint);
    await client.send(
      new UpdateItemCommand({
        TableName: tables.events,
        Key: { stream_id: str(key.streamId), changeset_id: num(key.changesetId) },
        UpdateExpression: 'SET page = :p, page_item = :i',
        ExpressionAttributeValues: { ':p': num(page), ':i': num(pageItem) },
      }),
    );
  }
}

export function countRequests(client: DynamoDBClient): { count: number } {
  const counter = { count: 0 };
  client.middlewareStack.add(
    (next) => async (args) => {
      counter.count++;
      return next(args);
    },
    { step: 'initialize', name: 'request-counter' },
  );
  return counter;
}

async function perSecond(work: () => Promise<void>, count: number): Promise<number> {
  const started = process.hrtime.bigint();
  await work();
  return count / (Number(process.hrtime.bigint() - started) / 1e9);
}

export async function measureDynamoDb(smoke: boolean): Promise<DynamoDbFigures> {
  const local = await startDynamoDbLocal();
  const client = localDynamoDbClient(local.endpoint);
  try {
    const streams = smoke ? 5 : 50;
    const perStream = smoke ? 4 : 20;

    // Warm the JVM up on both code paths first, so neither side pays for it in the timed runs.
    if (!smoke) {
      const warmBatched = await seed(client, 'warm-batched', 20, 10);
      await new GlobalIndexer({ client, tables: warmBatched.tables }).handle(lambdaBatch(warmBatched.keys));
      const warmNaive = await seed(client, 'warm-naive', 20, 10);
      await indexNaively(client, warmNaive.tables, warmNaive.keys);
    }

    const counted = localDynamoDbClient(local.endpoint);
    const requests = countRequests(counted);
    const batched = await seed(client, 'batched', streams, perStream);
    const indexer = new GlobalIndexer({ client: counted, tables: batched.tables });
    const batchedPerSecond = await perSecond(async () => {
      for (let start = 0; start < batched.keys.length; start += INDEXER_BATCH_SIZE) await indexer.handle(lambdaBatch(batched.keys.slice(start, start + INDEXER_BATCH_SIZE)));
    }, batched.keys.length);
    const batchedRequestsPer1000 = (requests.count * 1000) / batched.keys.length;

    requests.count = 0;
    const naive = await seed(client, 'naive', streams, perStream);
    const naivePerSecond = await perSecond(() => indexNaively(counted, naive.tables, naive.keys), naive.keys.length);
    const naiveRequestsPer1000 = (requests.count * 1000) / naive.keys.length;
    counted.destroy();

    const store = await startDynamoDbStore({ host: '127.0.0.1', port: 0, dynamodbEndpoint: local.endpoint, tablePrefix: `bench-latency-${Date.now()}`, logError: () => {} });
    const api = new EesClient({ endpoint: store.url });
    const latencies: number[] = [];
    try {
      const samples = smoke ? 5 : 100;
      for (let sample = 0; sample < samples; sample++) {
        const follower = api.readGlobal(sample, 10, 20);
        const committed = performance.now();
        await api.commit('latency', { events: [sample] }, { changeset: sample });
        const page = await follower;
        if (page.changesets.length === 0) throw new Error('the follower saw nothing');
        latencies.push(performance.now() - committed);
      }
    } finally {
      await api.close();
      await store.close();
    }
    latencies.sort((a, b) => a - b);
    const at = (quantile: number): number => latencies[Math.min(latencies.length - 1, Math.floor(quantile * latencies.length))]!;
    return { batchedPerSecond, naivePerSecond, batchedRequestsPer1000, naiveRequestsPer1000, latencyP50Ms: at(0.5), latencyP99Ms: at(0.99), samples: latencies.length };
  } finally {
    client.destroy();
    await local.stop();
  }
}
