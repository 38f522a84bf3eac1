import fc from 'fast-check';
import { afterEach, describe, expect, it } from 'vitest';
import { LIMITS } from '../../src/core/limits.js';
import { SqliteEngine } from '../../src/engines/sqlite/engine.js';
import { createApiHandler } from '../../src/http/handler.js';
import { apiGatewayHandler } from '../../src/lambda/api-gateway.js';
import { callWithinCap, eventsOfSize, proxyEvent, readWholeGlobalOrder, readWholeStream, WORST_CASE_ATOMS, type ProxyHandler } from '../support/proxy.js';

/*
 * The API Gateway adapter over the SQLite engine: every response, serialized as the Lambda runtime
 * serializes it, stays under Lambda's 6 MB cap, and paging still returns everything exactly once.
 * test/dynamodb/lambda-limits.test.ts runs the same reads through the built `api` bundle.
 */

const engines: SqliteEngine[] = [];
function api(): ProxyHandler {
  const engine = new SqliteEngine({ path: ':memory:' });
  engines.push(engine);
  return apiGatewayHandler(createApiHandler({ engine, serverVersion: 'test' }));
}
afterEach(async () => {
  for (const engine of engines.splice(0)) await engine.close();
});

async function commit(handler: ProxyHandler, streamId: string, expected: number, events: readonly unknown[]): Promise<void> {
  await callWithinCap(handler, proxyEvent('POST', '/streams/{stream_id}', { streamId, query: { expected_last_changeset: String(expected) }, body: { events } }));
}

const range = (count: number): number[] => Array.from({ length: count }, (_, index) => index + 1);

describe('responses through the API Gateway adapter stay under the Lambda cap', () => {
  it('reads a stream of 14 changesets of 390 KB of escape-heavy JSON from from=1 (the 502 of issue 13)', async () => {
    const handler = api();
    for (let id = 1; id <= 14; id++) await commit(handler, 'big', id - 1, eventsOfSize(id % 2 === 0 ? '"' : '\\', 390_000, 3));

    const changesets = await readWholeStream(handler, 'big', 'changesets');
    expect(changesets.ids).toEqual(range(14));
    expect(changesets.pages).toBeGreaterThan(1);
    const events = await readWholeStream(handler, 'big', 'events');
    expect(events.ids).toEqual(range(42));
    const global = await readWholeGlobalOrder(handler);
    expect(global.ids).toEqual(range(14).map((id) => id - 1));

    // A writer that missed all 14 gets a 409 whose forthcoming list fits too, and starts at 1.
    const { body } = await callWithinCap(
      handler,
      proxyEvent('POST', '/streams/{stream_id}', { streamId: 'big', query: { expected_last_changeset: '0' }, body: { events: [1] } }),
      409,
    );
    const forthcoming = body['forthcoming_changesets'] as { changeset_id: number }[];
    expect(forthcoming[0]?.changeset_id).toBe(1);
    expect(forthcoming.map((changeset) => changeset.changeset_id)).toEqual(range(forthcoming.length));
  });

  it('returns a largest changeset of the costliest content on a page of its own', async () => {
    const handler = api();
    // 400,000 bytes of compact JSON, nearly all quotes: each doubles once escaped.
    const quotes = eventsOfSize('"', LIMITS.changesetMaxBytes);
    expect(Buffer.byteLength(JSON.stringify(quotes)) + 2).toBeGreaterThan(LIMITS.changesetMaxBytes - 8);
    await commit(handler, 'heaviest', 0, quotes);
    const { bytes } = await callWithinCap(handler, proxyEvent('GET', '/streams/{stream_id}/changesets', { streamId: 'heaviest' }));
    expect(bytes).toBeGreaterThan(2 * LIMITS.changesetMaxBytes - 100);
  });

  it('holds for any mix of worst-case content (property)', async () => {
    const atom = fc.constantFrom(...WORST_CASE_ATOMS);
    const changeset = fc.record({
      atom,
      // Mostly large changesets, so that pages fill up; sometimes small ones between them.
      bytes: fc.oneof({ arbitrary: fc.integer({ min: 350_000, max: LIMITS.changesetMaxBytes }), weight: 4 }, { arbitrary: fc.integer({ min: 16, max: 20_000 }), weight: 1 }),
      eventCount: fc.oneof(fc.constant(1), fc.integer({ min: 2, max: 400 })),
      // Mostly one stream, so that its pages fill up too.
      streamId: fc.oneof({ arbitrary: fc.constant('a'), weight: 4 }, { arbitrary: fc.constantFrom('b"\\', 'ü😀'), weight: 1 }),
    });
    await fc.assert(
      fc.asyncProperty(fc.array(changeset, { minLength: 14, maxLength: 24 }), async (changesets) => {
        const handler = api();
        const committed = new Map<string, { changesets: number; events: number }>();
        for (const { atom: text, bytes, eventCount, streamId } of changesets) {
          const head = committed.get(streamId) ?? { changesets: 0, events: 0 };
          const events = eventsOfSize(text, bytes, eventCount);
          await commit(handler, streamId, head.changesets, events);
          committed.set(streamId, { changesets: head.changesets + 1, events: head.events + events.length });
        }
        for (const [streamId, head] of committed) {
          expect((await readWholeStream(handler, streamId, 'changesets')).ids).toEqual(range(head.changesets));
          expect((await readWholeStream(handler, streamId, 'events')).ids).toEqual(range(head.events));
        }
        const global = await readWholeGlobalOrder(handler);
        expect(global.ids).toEqual(range(changesets.length).map((id) => id - 1));
        expect(new Set(global.keys).size).toBe(changesets.length);
      }),
      { numRuns: 8 },
    );
  }, 240_000);
});

describe('the API Gateway adapter as a last resort', () => {
  it('answers a logged 500 instead of a response Lambda would refuse', async () => {
    const logged: string[] = [];
    const oversized = apiGatewayHandler(
      async () => ({ status: 200, headers: { 'content-type': 'application/json' }, body: JSON.stringify(['"'.repeat(3_200_000)]) }),
      (message) => logged.push(message),
    );
    const { body } = await callWithinCap(oversized, proxyEvent('GET', '/version'), 500);
    expect(body['error']).toBe('INTERNAL_ERROR');
    expect(logged).toEqual(['Response over the Lambda cap']);
    // Just under the cap passes unchanged.
    const fits = apiGatewayHandler(async () => ({ status: 200, headers: {}, body: 'x'.repeat(6_000_000) }));
    expect((await fits(proxyEvent('GET', '/version'))).body).toHaveLength(6_000_000);
  });
});
