import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { isConflict, isConsumerConflict, isInvalidRequest, isNotFound, type EventStoreClient, type GlobalChangeset } from '../../src/client/index.js';
import { caught } from '../support/caught.js';

/** The client interface's one conformance suite: run against `connect()` to `ees dev` and against the embedded store. */
export interface ClientTarget {
  readonly open: () => Promise<EventStoreClient>;
  readonly close?: () => Promise<void>;
}

async function collect<T>(items: AsyncIterable<T>): Promise<T[]> {
  const all: T[] = [];
  for await (const item of items) all.push(item);
  return all;
}

type Opened = { type: 'opened'; owner: string };
type Deposited = { type: 'deposited'; amount: number };
type AccountEvent = Opened | Deposited;

export function describeClientSuite(name: string, target: () => ClientTarget): void {
  describe(`the client interface: ${name}`, () => {
    let store: EventStoreClient;
    let chosen: ClientTarget;
    const prefix = `s${randomUUID().slice(0, 8)}`;
    const id = (name: string): string => `${prefix}-${name}`;

    beforeAll(async () => {
      chosen = target();
      store = await chosen.open();
    });
    afterAll(async () => {
      await store?.close();
      await chosen?.close?.();
    });

    it('answers a retried append (same commit id and expectation) with the stored changeset, not a conflict', async () => {
      const stream = id('retried');
      const first = await store.append(stream, [{ type: 'opened', owner: 'bo' }], { expect: 'new-stream', commitId: 'retry-1' });
      expect(first).toMatchObject({ changesetId: 1, commitId: 'retry-1', replayed: false });
      await store.append(stream, [{ type: 'deposited', amount: 1 }], { expect: { changeset: 1 } });
      expect(await store.append(stream, [{ type: 'opened', owner: 'bo' }], { expect: 'new-stream', commitId: 'retry-1' })).toMatchObject({ changesetId: 1, replayed: true });
      await expect(store.append(stream, [{ type: 'opened', owner: 'bo' }], { expect: 'new-stream', commitId: 'other' })).rejects.toSatisfy(isConflict);
      expect(await collect(store.readStream(stream))).toHaveLength(2);
    });

    it('appends changesets with each kind of expectation and reports their ids', async () => {
      const stream = id('append');
      const first = await store.append<AccountEvent>(stream, [{ type: 'opened', owner: 'ann' }, { type: 'deposited', amount: 5 }], { expect: 'new-stream', metadata: { user: 'ann' } });
      expect(first).toEqual({ streamId: stream, changesetId: 1, eventIds: { first: 1, last: 2 }, commitId: expect.stringMatching(/^[0-9a-f-]{36}$/), replayed: false });
      const second = await store.append(stream, [{ type: 'deposited', amount: 7 }], { expect: { changeset: 1 } });
      expect(second.changesetId).toBe(2);
      expect(second.eventIds).toBeUndefined();
      const third = await store.append(stream, [{ type: 'deposited', amount: 1 }, { type: 'deposited', amount: 2 }], { expect: { event: 3 } });
      expect(third).toEqual({ streamId: stream, changesetId: 3, eventIds: { first: 4, last: 5 }, commitId: expect.any(String), replayed: false });
      const changesets = await collect(store.readStream<AccountEvent>(stream));
      expect(changesets.map((changeset) => [changeset.changesetId, changeset.events.length])).toEqual([[1, 2], [2, 1], [3, 2]]);
      expect(changesets[0]).toMatchObject({ streamId: stream, metadata: { user: 'ann' }, events: [{ type: 'opened', owner: 'ann' }, { type: 'deposited', amount: 5 }] });
      expect(changesets[1]!.metadata).toEqual({});
      expect(await store.head(stream)).toEqual({ streamId: stream, lastChangesetId: 3, lastEventId: 5, committedAt: changesets[2]!.committedAt });
    });

    it('refuses a stale expectation with a conflict that carries what was missed', async () => {
      const stream = id('conflict');
      await store.append(stream, ['a'], { expect: 'new-stream' });
      await store.append(stream, ['b', 'c'], { expect: { changeset: 1 } });
      const error = await caught(store.append(stream, ['late'], { expect: { changeset: 1 } }));
      expect(isConflict(error)).toBe(true);
      if (!isConflict(error)) return;
      expect(error.code).toBe('OPTIMISTIC_CONCURRENCY_EXCEPTION');
      expect(error.expected).toEqual({ changeset: 1 });
      expect(error.actualChangesetId).toBe(2);
      expect(error.forthcoming).toEqual([expect.objectContaining({ streamId: stream, changesetId: 2, events: ['b', 'c'] })]);
      const again = await caught(store.append(stream, ['dup'], { expect: 'new-stream' }));
      expect(isConflict(again) && again.forthcoming.map((changeset) => changeset.changesetId)).toEqual([1, 2]);
      // Ahead of the stream: the writer's picture is wrong the same way.
      const ahead = await caught(store.append(stream, ['x'], { expect: { event: 9 } }));
      expect(isConflict(ahead) && ahead.code).toBe('INVALID_EXPECTED_CHANGESET_ID');
      expect((await collect(store.readStream(stream))).length).toBe(2);
    });

    it('refuses bad input as an invalid request, and a missing stream as not found', async () => {
      const empty = await caught(store.append('', ['x'], { expect: 'new-stream' }));
      expect(isInvalidRequest(empty) && empty.code).toBe('MISSING_STREAM_ID');
      const negative = await caught(store.append(id('bad'), ['x'], { expect: { changeset: -1 } }));
      expect(isInvalidRequest(negative) && negative.code).toBe('INVALID_EXPECTED_CHANGESET_ID');
      const noEvents = await caught(store.append(id('bad'), [], { expect: 'new-stream' }));
      expect(isInvalidRequest(noEvents) && noEvents.code).toBe('INVALID_CHANGESET');
      const missing = await caught(collect(store.readStream(id('missing'))));
      expect(isNotFound(missing) && missing.code).toBe('STREAM_NOT_FOUND');
      expect(await store.head(id('missing'))).toBeUndefined();
    });

    it('reads events by event id across pages, and changesets by either kind of id', async () => {
      const stream = id('events');
      const events = Array.from({ length: 1_500 }, (_, index) => ({ n: index + 1 }));
      await store.append(stream, events, { expect: 'new-stream' });
      await store.append(stream, [{ n: 1_501 }], { expect: { event: 1_500 } });
      const read = await collect(store.readStream<{ n: number }>(stream, { by: 'event' }));
      expect(read.length).toBe(1_501);
      expect(read.every((event, index) => event.eventId === index + 1 && event.data.n === index + 1 && event.streamId === stream)).toBe(true);
      expect((await collect(store.readStream(stream, { by: 'event', from: 1_499, to: 1_500 }))).map((event) => event.eventId)).toEqual([1_499, 1_500]);
      expect((await collect(store.readStream(stream, { from: 2 }))).map((changeset) => changeset.changesetId)).toEqual([2]);
    });

    it('reads the global order in order, with first event ids when asked', async () => {
      const stream = id('global');
      const start = await store.headCheckpoint();
      await store.append(stream, ['one', 'two'], { expect: 'new-stream' });
      await store.append(stream, ['three'], { expect: { changeset: 1 } });
      const all = (await collect(store.readAll({ from: start, eventIds: true, pageSize: 1 }))).filter((changeset) => changeset.streamId === stream);
      expect(all.map((changeset) => [changeset.changesetId, changeset.firstEventId, changeset.events])).toEqual([
        [1, 1, ['one', 'two']],
        [2, 3, ['three']],
      ]);
      expect(all[1]!.checkpoint).toBeGreaterThan(all[0]!.checkpoint);
      expect(await store.headCheckpoint()).toBeGreaterThan(all[1]!.checkpoint);
    });

    it('subscribes from a checkpoint, delivers every new changeset once, and ends on abort', async () => {
      const stream = id('subscribe');
      const stop = new AbortController();
      const seen: GlobalChangeset[] = [];
      const from = await store.headCheckpoint();
      const done = (async () => {
        for await (const changeset of store.subscribe({ from, signal: stop.signal, pageSize: 2 })) {
          if (changeset.streamId !== stream) continue;
          seen.push(changeset);
          if (seen.length === 5) stop.abort();
        }
      })();
      // Appends land before, during and after the subscription's first long poll.
      await store.append(stream, [0], { expect: 'new-stream' });
      for (let changeset = 1; changeset < 5; changeset++) await store.append(stream, [changeset], { expect: { changeset } });
      await done;
      expect(seen.map((changeset) => changeset.events[0])).toEqual([0, 1, 2, 3, 4]);
      const checkpoints = seen.map((changeset) => changeset.checkpoint);
      expect(new Set(checkpoints).size).toBe(5);
    });

    it('resumes a named consumer from its stored position, page by page', async () => {
      const stream = id('consumer');
      const consumer = id('view');
      const start = await store.headCheckpoint();
      await store.append(stream, ['a'], { expect: 'new-stream' });
      await store.append(stream, ['b'], { expect: { changeset: 1 } });
      await store.append(stream, ['c'], { expect: { changeset: 2 } });
      const take = async (count: number): Promise<unknown[]> => {
        const stop = new AbortController();
        const taken: unknown[] = [];
        for await (const changeset of store.subscribe({ consumer, from: start, pageSize: 1, signal: stop.signal })) {
          taken.push(changeset.events[0]);
          if (taken.length === count) break;
        }
        return taken;
      };
      expect(await take(2)).toEqual(['a', 'b']);
      // 'b' was delivered but its page not finished when the loop broke: at least once, it comes again.
      expect(await take(2)).toEqual(['b', 'c']);
      const again = await caught(
        (async () => {
          const stolen = store.subscribe({ consumer: '-bad name', signal: AbortSignal.abort() });
          for await (const _ of stolen) break;
        })(),
      );
      expect(isInvalidRequest(again) && again.code).toBe('INVALID_CONSUMER_NAME');
      expect(isConsumerConflict(again)).toBe(false);
    });
  });
}
