import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { NewChangeset } from '../../src/core/types.js';
import { DynamoDbEngine, type PollClock } from '../../src/engines/dynamodb/engine.js';
import { GlobalIndexer } from '../../src/engines/dynamodb/indexer.js';
import { EVENTS_INDEXES, tableNames, type TableNames } from '../../src/engines/dynamodb/schema.js';
import { ensureTables, localDynamoDbClient } from '../../src/engines/dynamodb/tables.js';
import { createApiHandler } from '../../src/http/handler.js';
import { dynamodbEndpoint, uniquePrefix } from './support.js';

interface Sent {
  readonly command: string;
  readonly input: Record<string, unknown>;
  /** The manual clock's time when it was sent. */
  readonly at: number;
}

/** A client that records every request it sends, with the test clock's time. */
function recordingClient(clock: { now(): number }): { client: DynamoDBClient; sent: Sent[] } {
  const client = localDynamoDbClient(dynamodbEndpoint());
  const sent: Sent[] = [];
  client.middlewareStack.add(
    (next, context) => async (args) => {
      sent.push({ command: context.commandName ?? '?', input: args.input as Record<string, unknown>, at: clock.now() });
      return next(args);
    },
    { step: 'initialize', name: 'request-recorder' },
  );
  return { client, sent };
}

/** A clock that only moves when a long poll pauses; `onPause` may act as a pause begins. */
function manualClock(onPause: (now: number) => Promise<void> = async () => {}): PollClock & { time: number } {
  const clock = {
    time: 0,
    now: () => clock.time,
    pause: async (ms: number) => {
      await onPause(clock.time);
      clock.time += ms;
    },
  };
  return clock;
}

const changeset = (streamId: string, expected: number, kind: 'changeset' | 'event' = 'changeset'): NewChangeset => ({
  streamId,
  expectation: { kind, value: expected },
  events: '[{"type":"a"},{"type":"b"}]',
  eventCount: 2,
  metadata: '{}',
});

const isIndexLook = (request: Sent): boolean => request.command === 'QueryCommand' && request.input['IndexName'] === EVENTS_INDEXES.globalOrder;

let tables: TableNames;
beforeAll(async () => {
  tables = tableNames(uniquePrefix('requests'));
  const client = localDynamoDbClient(dynamodbEndpoint());
  await ensureTables(client, tables);
  client.destroy();
});

describe('the DynamoDB engine’s requests per commit', () => {
  const clock = manualClock();
  const { client, sent } = recordingClient(clock);
  afterAll(() => client.destroy());

  it('opens a stream with one conditional put, and reads only to answer a conflict', async () => {
    const engine = new DynamoDbEngine({ client, tables });
    sent.length = 0;
    expect(await engine.commit(changeset('opened', 0))).toMatchObject({ status: 'committed', changesetId: 1 });
    expect(sent.map((request) => request.command)).toEqual(['PutItemCommand']);

    sent.length = 0;
    expect(await engine.commit(changeset('opened', 0, 'event'))).toEqual({ status: 'behind', head: { lastChangesetId: 1, lastEventId: 2 } });
    expect(sent.map((request) => request.command)).toEqual(['PutItemCommand', 'QueryCommand']);
    expect(sent[1]!.input).toMatchObject({ IndexName: EVENTS_INDEXES.lastEvent, ConsistentRead: true });
  });

  it('appends after one eventually consistent head read from the keys-only index', async () => {
    const engine = new DynamoDbEngine({ client, tables });
    await engine.commit(changeset('appended', 0));
    sent.length = 0;
    expect(await engine.commit(changeset('appended', 1))).toMatchObject({ status: 'committed', changesetId: 2 });
    expect(sent.map((request) => request.command)).toEqual(['QueryCommand', 'PutItemCommand']);
    expect(sent[0]!.input).toMatchObject({ IndexName: EVENTS_INDEXES.lastEvent, ConsistentRead: false, Limit: 1 });
    expect(sent[1]!.input['Item']).toMatchObject({ first_event_id: { N: '3' }, last_event_id: { N: '4' } });

    // By event id, and behind: the lagging head is enough to refuse.
    sent.length = 0;
    expect(await engine.commit(changeset('appended', 4, 'event'))).toMatchObject({ status: 'committed', changesetId: 3 });
    expect(await engine.commit(changeset('appended', 1))).toEqual({ status: 'behind', head: { lastChangesetId: 3, lastEventId: 6 } });
    expect(sent.map((request) => request.command)).toEqual(['QueryCommand', 'PutItemCommand', 'QueryCommand']);
  });

  it('reads the head again strongly before calling an expectation ahead', async () => {
    const engine = new DynamoDbEngine({ client, tables });
    await engine.commit(changeset('ahead', 0));
    sent.length = 0;
    expect(await engine.commit(changeset('ahead', 5))).toEqual({ status: 'ahead', head: { lastChangesetId: 1, lastEventId: 2 } });
    expect(sent.map((request) => request.input['ConsistentRead'])).toEqual([false, true]);
  });
});

describe('an idle long poll on the DynamoDB engine (a manual clock: counts, not times)', () => {
  it('looks at the global index once a second, none at the start or at the time limit', async () => {
    const clock = manualClock();
    const { client, sent } = recordingClient(clock);
    const engine = new DynamoDbEngine({ client, tables, pollIntervalMs: 1_000, clock });
    const next = 1_000_000;
    await engine.readGlobal(next, { maxRecords: 10, maxBytes: 1e6 });
    await engine.waitForCheckpoint(next, 20_000);
    const looks = sent.filter(isIndexLook).map((request) => request.at);
    // The read at 0 s, then one look a second up to 19 s; the caller reads again at 20 s.
    expect(looks).toEqual(Array.from({ length: 20 }, (_, second) => second * 1_000));
    client.destroy();
  });

  it('sees a changeset at the first look after it is indexed', async () => {
    const writer = localDynamoDbClient(dynamodbEndpoint());
    const writerEngine = new DynamoDbEngine({ client: writer, tables });
    const indexer = new GlobalIndexer({ client: writer, tables });
    const streamId = uniquePrefix('followed');
    let started = Number.POSITIVE_INFINITY;
    let sentBeforeIndexing: number | undefined;
    // Right after the look 7 s into the wait (the worst moment), a changeset is committed and indexed.
    const clock = manualClock(async (now) => {
      if (sentBeforeIndexing !== undefined || now < started + 7_000) return;
      await writerEngine.commit(changeset(streamId, 0));
      await indexer.index([{ streamId, changesetId: 1 }]);
      sentBeforeIndexing = sent.length;
    });
    const { client, sent } = recordingClient(clock);
    const engine = new DynamoDbEngine({ client, tables, pollIntervalMs: 1_000, clock });
    const handler = createApiHandler({ engine, serverVersion: 'test' });
    // Where the global order ends now: checkpoints are dense from 0.
    let next = 0;
    for (;;) {
      const page = JSON.parse((await handler({ method: 'GET', path: '/changesets', query: `checkpoint=${next}&limit=1000`, headers: {}, readBody: async () => null })).body) as { changesets: unknown[]; next_checkpoint: number };
      if (page.changesets.length === 0) break;
      next = page.next_checkpoint;
    }
    started = clock.now();
    const response = await handler({ method: 'GET', path: '/changesets', query: `checkpoint=${next}&wait=20`, headers: {}, readBody: async () => null });
    expect(JSON.parse(response.body)).toMatchObject({ changesets: [{ stream_id: streamId, changeset_id: 1 }] });
    expect(sentBeforeIndexing).toBeDefined();
    // The next look, a second later, found it and the handler read it: nothing waited any longer.
    const looksAfterIndexing = sent.slice(sentBeforeIndexing).filter(isIndexLook);
    expect(looksAfterIndexing.map((request) => request.at - started)).toEqual([8_000, 8_000]);
    client.destroy();
    writer.destroy();
  });

  it('does not read the index twice between one long poll and the next (the api Lambda’s setting)', async () => {
    const clock = manualClock();
    const { client, sent } = recordingClient(clock);
    const engine = new DynamoDbEngine({ client, tables, pollIntervalMs: 1_000, reuseEmptyLookMs: 500, clock });
    const handler = createApiHandler({ engine, serverVersion: 'test' });
    const poll = () => handler({ method: 'GET', path: '/changesets', query: 'checkpoint=2000000&wait=20', headers: {}, readBody: async () => null });
    for (let round = 0; round < 3; round++) {
      await poll();
      clock.time += 50; // the follower's round trip before its next poll
    }
    const looks = sent.filter(isIndexLook).map((request) => request.at);
    // Three polls of 20 s: no more than one read per second, and never more than a second apart.
    expect(looks.length).toBeLessThanOrEqual(Math.ceil(clock.now() / 1_000));
    for (let index = 1; index < looks.length; index++) expect(looks[index]! - looks[index - 1]!).toBeLessThanOrEqual(1_000);
    expect(clock.now() - looks.at(-1)!).toBeLessThanOrEqual(1_000);
    client.destroy();
  });
});
