import { PutItemCommand, type DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { laneKey, SimulatedGlobalIndex, WRITES_PER_KEY_PER_SECOND } from '../../bench/global-order-lanes.js';
import { GlobalIndexer, type ChangesetKey } from '../../src/engines/dynamodb/indexer.js';
import { tableNames, type TableNames } from '../../src/engines/dynamodb/schema.js';
import { ensureTables, localDynamoDbClient } from '../../src/engines/dynamodb/tables.js';
import { dynamodbEndpoint, uniquePrefix } from './support.js';

interface Sent {
  readonly command: string;
  readonly input: Record<string, unknown>;
}

let tables: TableNames;
let client: DynamoDBClient;
const sent: Sent[] = [];

beforeAll(async () => {
  tables = tableNames(uniquePrefix('ceiling'));
  client = localDynamoDbClient(dynamodbEndpoint());
  client.middlewareStack.add(
    (next, context) => async (args) => {
      sent.push({ command: context.commandName ?? '?', input: args.input as Record<string, unknown> });
      return next(args);
    },
    { step: 'initialize', name: 'request-recorder' },
  );
  await ensureTables(client, tables);
});
afterAll(() => client?.destroy());

/** Puts `count` one-changeset streams straight into the table, as commits would (no indexer). */
async function committed(count: number, label: string): Promise<ChangesetKey[]> {
  const keys = Array.from({ length: count }, (_, index) => ({ streamId: `${label}-${index}`, changesetId: 1 }));
  for (let start = 0; start < keys.length; start += 50) {
    await Promise.all(
      keys.slice(start, start + 50).map((key) =>
        client.send(new PutItemCommand({ TableName: tables.events, Item: { stream_id: { S: key.streamId }, changeset_id: { N: '1' }, events: { S: '[]' }, metadata: { S: '{}' }, timestamp: { S: new Date().toISOString() }, first_event_id: { N: '1' }, last_event_id: { N: '1' } } })),
      ),
    );
  }
  return keys;
}

/** The partition keys (`page`) the index writes of the transactions went to, with their counts. */
function pageWrites(requests: readonly Sent[]): Map<number, number> {
  const pages = new Map<number, number>();
  for (const request of requests.filter((r) => r.command === 'TransactWriteItemsCommand')) {
    for (const item of request.input['TransactItems'] as { Update: { ExpressionAttributeValues: Record<string, { N: string }> } }[]) {
      const page = Number(item.Update.ExpressionAttributeValues[':p']!.N);
      pages.set(page, (pages.get(page) ?? 0) + 1);
    }
  }
  return pages;
}

describe("the global order's ceiling", () => {
  it("today: a 1,000-record batch is 1 counter update and 10 transactions whose index writes all land on one or two partition keys", async () => {
    const keys = await committed(1500, 'ceiling');
    const indexer = new GlobalIndexer({ client, tables, concurrency: 4 });
    const pattern: { commands: Record<string, number>; pages: Map<number, number> }[] = [];
    for (let start = 0; start < keys.length; start += 1000) {
      sent.length = 0;
      await indexer.index(keys.slice(start, start + 1000));
      const commands: Record<string, number> = {};
      for (const request of sent) commands[request.command] = (commands[request.command] ?? 0) + 1;
      pattern.push({ commands, pages: pageWrites(sent) });
    }
    // Per batch of 1,000 new streams: one counter read and one conditional update, ten batch reads
    // of the index state, ten 100-item transactions.
    expect(pattern[0]!.commands).toEqual({ GetItemCommand: 1, BatchGetItemCommand: 10, UpdateItemCommand: 1, TransactWriteItemsCommand: 10 });
    expect([...pattern[0]!.pages.entries()]).toEqual([[0, 1000]]);
    expect([...pattern[1]!.pages.entries()]).toEqual([[1, 500]]);

    // So however many indexers run, 1,000 consecutive checkpoints are 1,000 writes to one key of
    // the global index: at DynamoDB's 1,000 writes/s per key, the order grows at most ~1,000/s.
  }, 120_000);

  it('with lanes (simulated): the same writes spread over 8 keys, and a reader merging them still stops at the first gap', () => {
    for (const lanes of [1, 8]) {
      const index = new SimulatedGlobalIndex(lanes);
      // One second of indexing at 8,000 changesets/s, checkpoint 5,000 still unwritten (its indexer died).
      for (let checkpoint = 0; checkpoint < 8000; checkpoint++) if (checkpoint !== 5000) index.write(checkpoint);
      expect(index.hottestKeyRate(1)).toBe(lanes === 1 ? 1000 : 125);
      expect(index.hottestKeyRate(1) <= WRITES_PER_KEY_PER_SECOND).toBe(true);

      index.queries = 0;
      const page = index.read(0, 1000);
      expect(page).toEqual(Array.from({ length: 1000 }, (_, i) => i));
      // A reader pays one query per lane and page: the cost of the design on the read side.
      expect(index.queries).toBe(lanes);
      expect(index.read(4990, 100)).toEqual(Array.from({ length: 10 }, (_, i) => 4990 + i));
      expect(index.read(5001, 3)).toEqual([5001, 5002, 5003]);
    }
    // Keys of a lane layout never collide with another checkpoint's.
    const seen = new Set<string>();
    for (let checkpoint = 0; checkpoint < 20_000; checkpoint++) {
      const { partition, sort } = laneKey(checkpoint, 8);
      seen.add(`${partition}/${sort}`);
    }
    expect(seen.size).toBe(20_000);
  });
});
