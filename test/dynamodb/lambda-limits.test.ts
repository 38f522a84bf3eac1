import type { DynamoDBStreamEvent } from 'aws-lambda';
import { beforeAll, describe, expect, it } from 'vitest';
import { callWithinCap, eventsOfSize, proxyEvent, readWholeGlobalOrder, readWholeStream, type ProxyHandler } from '../support/proxy.js';
import { lambdaBundle, lambdaTables } from './support.js';

const range = (count: number): number[] => Array.from({ length: count }, (_, index) => index + 1);

describe('the built api bundle on DynamoDB Local keeps every response under the Lambda cap', () => {
  let api: ProxyHandler;
  let indexer: (event: DynamoDBStreamEvent) => Promise<unknown>;

  beforeAll(async () => {
    await lambdaTables('lambda-limits');
    api = lambdaBundle<{ handler: ProxyHandler }>('api').handler;
    indexer = lambdaBundle<{ handler: typeof indexer }>('indexer').handler;
  });

  it('reads a stream of 14 changesets of 390 KB of escape-heavy JSON, by changesets, events and the global order', async () => {
    for (let id = 1; id <= 14; id++) {
      const events = eventsOfSize(['"', '\\', '\u0001', '😀'][id % 4]!, 390_000, id % 3 === 0 ? 200 : 2);
      await callWithinCap(api, proxyEvent('POST', '/streams/{stream_id}', { streamId: 'big', query: { expected_last_changeset: String(id - 1) }, body: { events } }));
    }
    const changesets = await readWholeStream(api, 'big', 'changesets');
    expect(changesets.ids).toEqual(range(14));
    expect(changesets.pages).toBeGreaterThan(1);
    const events = await readWholeStream(api, 'big', 'events');
    expect(events.ids).toEqual(range(events.ids.length));
    expect(events.ids.length).toBe(4 * 200 + 10 * 2);

    const { body } = await callWithinCap(
      api,
      proxyEvent('POST', '/streams/{stream_id}', { streamId: 'big', query: { expected_last_changeset: '0' }, body: { events: [1] } }),
      409,
    );
    const forthcoming = (body['forthcoming_changesets'] as { changeset_id: number }[]).map((changeset) => changeset.changeset_id);
    expect(forthcoming).toEqual(range(forthcoming.length));

    // The indexer bundle assigns the checkpoints, fed the stream records in Lambda's batch shape.
    await indexer({
      Records: range(14).map((id) => ({
        eventName: 'INSERT',
        eventSource: 'aws:dynamodb',
        dynamodb: { Keys: { stream_id: { S: 'big' }, changeset_id: { N: String(id) } }, SequenceNumber: String(id) },
      })),
    });
    const global = await readWholeGlobalOrder(api);
    expect(global.keys).toEqual(range(14).map((id) => `big#${id}`));
    expect(global.pages).toBeGreaterThan(2);
  }, 120_000);
});
