/**
 * `--only=cost`: what ees costs on AWS, from the built Lambda bundles (dist/lambda) driven on
 * DynamoDB Local. A proxy counts DynamoDB requests and capacity units at the wire, a stand-in
 * counts SNS publishes, and the model prices them at the list prices in PRICES. The original
 * Elastic Event Store's commit, replayed request for request on a table from its template, is the
 * baseline for capacity per append. docs/cost.md explains every line.
 */
import { CreateTableCommand, PutItemCommand, QueryCommand, type DynamoDBClient } from '@aws-sdk/client-dynamodb';
import type { APIGatewayProxyEvent, APIGatewayProxyResult, DynamoDBBatchResponse, DynamoDBStreamEvent } from 'aws-lambda';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { startDynamoDbLocal } from '../src/dev/dynamodb-local.js';
import { DynamoDbEngine } from '../src/engines/dynamodb/engine.js';
import type { Item } from '../src/engines/dynamodb/items.js';
import { tableNames } from '../src/engines/dynamodb/schema.js';
import { ensureTables, localDynamoDbClient } from '../src/engines/dynamodb/tables.js';
import { createApiHandler } from '../src/http/handler.js';
import { apiGatewayHandler } from '../src/lambda/api-gateway.js';
import { lambdaCodeDirectory } from '../stack/lambda-code.js';
import { MEMORY_SIZES } from '../stack/event-store.js';
import { startCapacityProxy, type CapacityTally } from './capacity-proxy.js';
import { startSnsStandIn } from './sns-stand-in.js';
import { proxyEvent } from './proxy-event.js';
import { sleep } from '../src/core/sleep.js';

/**
 * AWS list prices, us-east-1, in dollars (as of 2025; check https://aws.amazon.com/pricing before
 * relying on them). Lambda on arm64, as the stack deploys it.
 */
export const PRICES = {
  dynamodbWritePerMillionUnits: 0.625,
  dynamodbReadPerMillionUnits: 0.125,
  lambdaPerMillionRequests: 0.2,
  lambdaPerGbSecond: 0.0000133334,
  apiGatewayRestPerMillionRequests: 3.5,
  snsFifoPerMillionPublishes: 0.3,
  snsFifoPerGbPayload: 0.017,
  sqsFifoPerMillionRequests: 0.5,
} as const;

/** The stack's batch sizes (stack/event-store.ts): the publisher's, and a typical indexer batch. */
const PUBLISHER_BATCH = 100;
const INDEXER_BATCH = 100;
const EVENTS_PER_CHANGESET = 3;
/** A changeset's request body, in bytes. */
const CHANGESET_BYTES = 1024;
const FOLLOWER_WAIT_SECONDS = 20;

type ApiHandler = (event: APIGatewayProxyEvent) => Promise<APIGatewayProxyResult>;
type StreamHandler = (event: DynamoDBStreamEvent) => Promise<DynamoDBBatchResponse | void>;

function loadBundle<T>(name: string): T {
  return (createRequire(import.meta.url)(join(lambdaCodeDirectory(), name, 'index.js')) as { handler: T }).handler;
}

/** A changeset body of exactly CHANGESET_BYTES: three events, padded evenly. */
function changesetBody(streamId: string, sequence: number): { metadata: Record<string, string>; events: Record<string, string | number>[] } {
  const metadata = { source: 'bench', user: `user-${sequence % 10}` };
  const events = (pad: number) =>
    Array.from({ length: EVENTS_PER_CHANGESET }, (_, index) => ({ type: 'ItemAdded', stream: streamId, sku: `sku-${sequence}-${index}`, quantity: index + 1, note: 'n'.repeat(pad) }));
  const overhead = JSON.stringify({ metadata, events: events(0) }).length;
  const base = Math.floor((CHANGESET_BYTES - overhead) / EVENTS_PER_CHANGESET);
  const body = { metadata, events: events(base) };
  const missing = CHANGESET_BYTES - JSON.stringify(body).length;
  body.events[0]!['note'] += 'n'.repeat(missing);
  return body;
}

/** Python's json.dumps with its default separators, as the original stores events and metadata. */
function pythonJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(pythonJson).join(', ')}]`;
  if (value !== null && typeof value === 'object') return `{${Object.entries(value).map(([key, entry]) => `${JSON.stringify(key)}: ${pythonJson(entry)}`).join(', ')}}`;
  return JSON.stringify(value);
}

/** The original's events table, from its template.yaml: two local indexes and the global one, all projecting ALL. */
async function createOriginalTable(client: DynamoDBClient, name: string): Promise<void> {
  const key = (AttributeName: string, KeyType: 'HASH' | 'RANGE') => ({ AttributeName, KeyType });
  await client.send(
    new CreateTableCommand({
      TableName: name,
      BillingMode: 'PAY_PER_REQUEST',
      AttributeDefinitions: [
        ['stream_id', 'S'],
        ['changeset_id', 'N'],
        ['first_event_id', 'N'],
        ['last_event_id', 'N'],
        ['page', 'N'],
        ['page_item', 'N'],
      ].map(([AttributeName, AttributeType]) => ({ AttributeName: AttributeName!, AttributeType: AttributeType as 'S' | 'N' })),
      KeySchema: [key('stream_id', 'HASH'), key('changeset_id', 'RANGE')],
      LocalSecondaryIndexes: [
        { IndexName: 'FirstEventId', KeySchema: [key('stream_id', 'HASH'), key('first_event_id', 'RANGE')], Projection: { ProjectionType: 'ALL' } },
        { IndexName: 'LastEventId', KeySchema: [key('stream_id', 'HASH'), key('last_event_id', 'RANGE')], Projection: { ProjectionType: 'ALL' } },
      ],
      GlobalSecondaryIndexes: [{ IndexName: 'EmumerationIndex', KeySchema: [key('page', 'HASH'), key('page_item', 'RANGE')], Projection: { ProjectionType: 'ALL' } }],
      StreamSpecification: { StreamEnabled: true, StreamViewType: 'NEW_IMAGE' },
    }),
  );
}

/**
 * The original's commit (src/ees/handlers/commit.py and infrastructure/dynamodb.py): a new stream
 * is one put; an append first reads the last changeset (an eventually consistent query, Limit 1,
 * newest first, all its attributes), then puts with the same condition.
 */
async function originalCommit(client: DynamoDBClient, table: string, streamId: string, expected: number, body: ReturnType<typeof changesetBody>): Promise<void> {
  let firstEventId = 1;
  if (expected > 0) {
    const last = await client.send(
      new QueryCommand({
        TableName: table,
        ProjectionExpression: 'stream_id,changeset_id,events,metadata,first_event_id,last_event_id',
        Limit: 1,
        ScanIndexForward: false,
        KeyConditions: { stream_id: { AttributeValueList: [{ S: streamId }], ComparisonOperator: 'EQ' } },
      }),
    );
    firstEventId = Number(last.Items![0]!['last_event_id']!.N) + 1;
  }
  await client.send(
    new PutItemCommand({
      TableName: table,
      Item: {
        stream_id: { S: streamId },
        changeset_id: { N: String(expected + 1) },
        metadata: { S: pythonJson(body.metadata) },
        events: { S: pythonJson(body.events) },
        first_event_id: { N: String(firstEventId) },
        last_event_id: { N: String(firstEventId + body.events.length - 1) },
        // datetime.utcnow().isoformat("T") + "Z": microseconds.
        timestamp: { S: `${new Date().toISOString().slice(0, -1)}000Z` },
      },
      Expected: { stream_id: { Exists: false }, changeset_id: { Exists: false } },
    }),
  );
}

export interface Phase {
  readonly capacity: CapacityTally;
  readonly invocations: number;
  /** Wall time of all invocations of the phase's function, in seconds (what Lambda bills). */
  readonly lambdaSeconds: number;
}

export interface CostFigures {
  readonly changesets: number;
  readonly newStreamShare: number;
  readonly append: Phase;
  readonly originalAppend: CapacityTally;
  readonly index: Phase;
  readonly publish: Phase & { readonly snsPublishes: number; readonly snsPayloadBytes: number };
  /** One idle follower, observed for `followSeconds`. */
  readonly follow: Phase & { readonly followSeconds: number; readonly polls: number; readonly waitSeconds: number };
  /** The same follower on an engine set as the `api` Lambda was before (a look every 250 ms): reads per second. */
  readonly followBeforeReadsPerSecond: number;
  /** Follower-visible delay after indexing, per sample, in ms. */
  readonly visibleAfterIndexingMs: readonly number[];
}

async function timed<T>(work: () => Promise<T>): Promise<{ result: T; seconds: number }> {
  const started = process.hrtime.bigint();
  const result = await work();
  return { result, seconds: Number(process.hrtime.bigint() - started) / 1e9 };
}

export async function measureCost(smoke: boolean): Promise<CostFigures> {
  const local = await startDynamoDbLocal();
  const proxy = await startCapacityProxy(local.endpoint);
  const sns = await startSnsStandIn();
  const direct = localDynamoDbClient(local.endpoint);
  const counted = localDynamoDbClient(proxy.endpoint);
  const tables = tableNames(`bench-cost-${Date.now()}`);
  try {
    await ensureTables(direct, tables);
    const originalTable = `bench-original-${Date.now()}`;
    await createOriginalTable(direct, originalTable);
    Object.assign(process.env, {
      EES_EVENTS_TABLE: tables.events,
      EES_META_TABLE: tables.meta,
      EES_DYNAMODB_ENDPOINT: proxy.endpoint,
      EES_SNS_ENDPOINT: sns.endpoint,
      EES_CHANGESETS_TOPIC_ARN: 'arn:aws:sns:us-east-1:000000000000:bench-changesets.fifo',
      EES_EVENTS_TOPIC_ARN: 'arn:aws:sns:us-east-1:000000000000:bench-events.fifo',
      AWS_REGION: process.env['AWS_REGION'] ?? 'us-east-1',
      AWS_ACCESS_KEY_ID: process.env['AWS_ACCESS_KEY_ID'] ?? 'local',
      AWS_SECRET_ACCESS_KEY: process.env['AWS_SECRET_ACCESS_KEY'] ?? 'local',
      AWS_EC2_METADATA_DISABLED: 'true',
    });
    const api = loadBundle<ApiHandler>('api');
    const indexer = loadBundle<StreamHandler>('indexer');
    const publisher = loadBundle<StreamHandler>('publisher');

    // The workload: streams of `perStream` changesets, committed round-robin; the first of each opens it.
    const streams = smoke ? 3 : 40;
    const perStream = smoke ? 3 : 10;
    const order: { streamId: string; expected: number }[] = [];
    for (let expected = 0; expected < perStream; expected++) for (let stream = 0; stream < streams; stream++) order.push({ streamId: `stream-${stream}`, expected });

    // Warm the JVM and the bundle up on a table of their own, outside the counts.
    for (let index = 0; index < (smoke ? 2 : 50); index++) {
      await api(proxyEvent('POST', '/streams/{stream_id}', { streamId: `warm-${index}`, query: { expected_last_changeset: '0' }, rawBody: JSON.stringify(changesetBody('warm', index)) }));
    }
    proxy.reset();

    let appendSeconds = 0;
    for (const [sequence, { streamId, expected }] of order.entries()) {
      const { result, seconds } = await timed(() =>
        api(proxyEvent('POST', '/streams/{stream_id}', { streamId, query: { expected_last_changeset: String(expected) }, rawBody: JSON.stringify(changesetBody(streamId, sequence)) })),
      );
      if (result.statusCode !== 200) throw new Error(`commit answered ${result.statusCode}: ${result.body}`);
      appendSeconds += seconds;
    }
    const append: Phase = { capacity: proxy.reset(), invocations: order.length, lambdaSeconds: appendSeconds };

    for (const [sequence, { streamId, expected }] of order.entries()) await originalCommit(counted, originalTable, streamId, expected, changesetBody(streamId, sequence));
    const originalAppend = proxy.reset();

    // The stream records, as the table's stream hands them to Lambda (NEW_IMAGE), in commit order.
    const images = new Map<string, Item>();
    for (let stream = 0; stream < streams; stream++) {
      const { Items } = await direct.send(new QueryCommand({ TableName: tables.events, KeyConditionExpression: 'stream_id = :s', ExpressionAttributeValues: { ':s': { S: `stream-${stream}` } }, ConsistentRead: true }));
      for (const item of Items ?? []) images.set(`${item['stream_id']!.S}/${item['changeset_id']!.N}`, item);
    }
    const records = order.map(({ streamId, expected }, sequence) => {
      const image = images.get(`${streamId}/${expected + 1}`)!;
      return {
        eventName: 'INSERT' as const,
        eventSource: 'aws:dynamodb',
        dynamodb: { Keys: { stream_id: image['stream_id']!, changeset_id: image['changeset_id']! }, NewImage: image, SequenceNumber: String(1e6 + sequence), StreamViewType: 'NEW_IMAGE' as const },
      };
    }) as DynamoDBStreamEvent['Records'];

    const streamPhase = async (handler: StreamHandler, batch: number): Promise<Phase> => {
      let seconds = 0;
      let invocations = 0;
      for (let start = 0; start < records.length; start += batch) {
        const slice = records.slice(start, start + batch);
        seconds += (await timed(() => handler({ Records: slice }))).seconds;
        invocations++;
      }
      return { capacity: proxy.reset(), invocations, lambdaSeconds: seconds };
    };
    const index = await streamPhase(indexer, INDEXER_BATCH);
    sns.reset();
    const published = await streamPhase(publisher, PUBLISHER_BATCH);
    const snsTally = sns.reset();

    // Where the global order ends: a follower waits there.
    const head = async (): Promise<number> => {
      let checkpoint = 0;
      for (;;) {
        const page = JSON.parse((await api(proxyEvent('GET', '/changesets', { query: { checkpoint: String(checkpoint), limit: '1000' } }))).body) as { changesets: unknown[]; next_checkpoint: number };
        if (page.changesets.length === 0) return checkpoint;
        checkpoint = page.next_checkpoint;
      }
    };
    let checkpoint = await head();

    // An idle follower: back-to-back long polls, as `ees tail --follow` makes them.
    const wait = smoke ? 1 : FOLLOWER_WAIT_SECONDS;
    const polls = 2;
    proxy.reset();
    const follow = await timed(async () => {
      let seconds = 0;
      for (let poll = 0; poll < polls; poll++) {
        seconds += (await timed(() => api(proxyEvent('GET', '/changesets', { query: { checkpoint: String(checkpoint), wait: String(wait) } })))).seconds;
      }
      return seconds;
    });
    const followPhase = { capacity: proxy.reset(), invocations: polls, lambdaSeconds: follow.result, followSeconds: follow.seconds, polls, waitSeconds: wait };

    // The baseline: one such long poll through the same handler, on an engine polling every 250 ms.
    const before = apiGatewayHandler(createApiHandler({ engine: new DynamoDbEngine({ client: counted, tables, pollIntervalMs: 250 }), serverVersion: 'bench' }));
    const beforeSeconds = (await timed(() => before(proxyEvent('GET', '/changesets', { query: { checkpoint: String(checkpoint), wait: String(wait) } })))).seconds;
    const followBeforeReadsPerSecond = proxy.reset().readRequests / beforeSeconds;

    // Follower-visible delay: a changeset committed and indexed at a random moment of a long poll.
    const visibleAfterIndexingMs: number[] = [];
    for (let sample = 0; sample < (smoke ? 1 : 8); sample++) {
      let indexedAt = 0;
      const streamId = `followed-${sample}`;
      const polled = api(proxyEvent('GET', '/changesets', { query: { checkpoint: String(checkpoint), wait: String(FOLLOWER_WAIT_SECONDS) } }));
      await sleep(200 + Math.random() * 1_000);
      await api(proxyEvent('POST', '/streams/{stream_id}', { streamId, query: { expected_last_changeset: '0' }, rawBody: JSON.stringify(changesetBody(streamId, sample)) }));
      await indexer({ Records: [{ eventName: 'INSERT', dynamodb: { Keys: { stream_id: { S: streamId }, changeset_id: { N: '1' } } } }] });
      indexedAt = performance.now();
      const page = JSON.parse((await polled).body) as { changesets: unknown[]; next_checkpoint: number };
      if (page.changesets.length !== 1) throw new Error('the follower did not see the changeset');
      visibleAfterIndexingMs.push(performance.now() - indexedAt);
      checkpoint = page.next_checkpoint;
    }

    return {
      changesets: order.length,
      newStreamShare: streams / order.length,
      append,
      originalAppend,
      index,
      publish: { ...published, snsPublishes: snsTally.billedPublishes, snsPayloadBytes: snsTally.payloadBytes },
      follow: followPhase,
      followBeforeReadsPerSecond,
      visibleAfterIndexingMs,
    };
  } finally {
    direct.destroy();
    counted.destroy();
    await proxy.close();
    await sns.close();
    await local.stop();
  }
}

/** Capacity units per changeset, as AWS bills them. */
export const unitsPerChangeset = (tally: CapacityTally, changesets: number): number => (tally.awsReadUnits + tally.awsWriteUnits) / changesets;

interface CostLine {
  readonly line: string;
  readonly quantity: string;
  readonly dollars: number;
}

/** Dollars per million changesets, line by line, and per idle follower for a 30-day month. */
export function costModel(figures: CostFigures): { perMillion: CostLine[]; perFollowerMonth: CostLine[] } {
  const million = 1e6;
  const per = (value: number): number => (value / figures.changesets) * million;
  const gbSeconds = (phase: Phase, name: keyof typeof MEMORY_SIZES): number => phase.lambdaSeconds * (MEMORY_SIZES[name] / 1024);
  const units = (count: number, decimals = 2): string => count.toFixed(decimals);
  const dynamodb = (label: string, tally: CapacityTally): CostLine[] => [
    { line: `${label}: DynamoDB writes`, quantity: `${units(tally.awsWriteUnits / figures.changesets)} WRU per changeset`, dollars: (per(tally.awsWriteUnits) / million) * PRICES.dynamodbWritePerMillionUnits },
    { line: `${label}: DynamoDB reads`, quantity: `${units(tally.awsReadUnits / figures.changesets)} RRU per changeset`, dollars: (per(tally.awsReadUnits) / million) * PRICES.dynamodbReadPerMillionUnits },
  ];
  const lambda = (label: string, phase: Phase, name: keyof typeof MEMORY_SIZES): CostLine[] => [
    { line: `${label}: Lambda requests`, quantity: `${units(per(phase.invocations) / million, 3)} per changeset`, dollars: (per(phase.invocations) / million) * PRICES.lambdaPerMillionRequests },
    {
      line: `${label}: Lambda duration at ${MEMORY_SIZES[name]} MB`,
      quantity: `${units((phase.lambdaSeconds * 1000) / figures.changesets)} ms per changeset`,
      dollars: per(gbSeconds(phase, name)) * PRICES.lambdaPerGbSecond,
    },
  ];
  const perMillion: CostLine[] = [
    { line: 'append: API Gateway REST requests', quantity: '1 per changeset', dollars: PRICES.apiGatewayRestPerMillionRequests },
    ...lambda('append', figures.append, 'api'),
    ...dynamodb('append', figures.append.capacity),
    ...lambda('index', figures.index, 'indexer'),
    ...dynamodb('index', figures.index.capacity),
    ...lambda('publish', figures.publish, 'publisher'),
    { line: 'publish: DynamoDB Streams reads by Lambda', quantity: 'free for Lambda triggers', dollars: 0 },
    { line: 'publish: SNS FIFO publishes', quantity: `${units(figures.publish.snsPublishes / figures.changesets)} per changeset`, dollars: (per(figures.publish.snsPublishes) / million) * PRICES.snsFifoPerMillionPublishes },
    { line: 'publish: SNS FIFO payload', quantity: `${Math.round(figures.publish.snsPayloadBytes / figures.changesets)} bytes per changeset`, dollars: (per(figures.publish.snsPayloadBytes) / 2 ** 30) * PRICES.snsFifoPerGbPayload },
    { line: 'SQS dead-letter queues', quantity: 'no requests while nothing fails', dollars: 0 },
  ];
  const month = 30 * 24 * 3600;
  const scale = month / figures.follow.followSeconds;
  const perFollowerMonth: CostLine[] = [
    { line: 'follow: API Gateway REST requests', quantity: `${Math.round(figures.follow.polls * scale).toLocaleString('en-US')} polls`, dollars: ((figures.follow.polls * scale) / million) * PRICES.apiGatewayRestPerMillionRequests },
    { line: 'follow: Lambda requests', quantity: `${Math.round(figures.follow.invocations * scale).toLocaleString('en-US')}`, dollars: ((figures.follow.invocations * scale) / million) * PRICES.lambdaPerMillionRequests },
    {
      line: `follow: Lambda duration at ${MEMORY_SIZES.api} MB (held for the whole wait)`,
      quantity: `${Math.round(gbSeconds(figures.follow, 'api') * scale).toLocaleString('en-US')} GB-s`,
      dollars: gbSeconds(figures.follow, 'api') * scale * PRICES.lambdaPerGbSecond,
    },
    {
      line: 'follow: DynamoDB reads',
      quantity: `${(figures.follow.capacity.readRequests / figures.follow.followSeconds).toFixed(2)} reads/s, ${Math.round(figures.follow.capacity.awsReadUnits * scale).toLocaleString('en-US')} RRU`,
      dollars: ((figures.follow.capacity.awsReadUnits * scale) / million) * PRICES.dynamodbReadPerMillionUnits,
    },
  ];
  return { perMillion, perFollowerMonth };
}

export function renderCostModel(figures: CostFigures): string {
  const { perMillion, perFollowerMonth } = costModel(figures);
  const table = (title: string, lines: CostLine[]): string[] => [
    `| ${title} | quantity | dollars |`,
    '|---|---|---|',
    ...lines.map((line) => `| ${line.line} | ${line.quantity} | ${line.dollars.toFixed(4)} |`),
    `| **total** | | **${lines.reduce((sum, line) => sum + line.dollars, 0).toFixed(2)}** |`,
  ];
  return [
    `Cost model: ${figures.changesets} changesets of ${CHANGESET_BYTES} bytes and ${EVENTS_PER_CHANGESET} events (${Math.round(figures.newStreamShare * 100)}% open a stream), indexer batches of ${INDEXER_BATCH}, publisher batches of ${PUBLISHER_BATCH}; memory ${Object.entries(MEMORY_SIZES).map(([name, size]) => `${name} ${size} MB`).join(', ')}.`,
    '',
    ...table('per million changesets', perMillion),
    '',
    ...table(`per idle follower, 30 days (long polls of ${figures.follow.waitSeconds} s)`, perFollowerMonth),
  ].join('\n');
}
