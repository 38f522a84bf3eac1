import { fork } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { describe, expect, it, beforeEach, afterEach } from 'vitest';
import { judgeExpectation } from '../../src/core/expectations.js';
import { FORTHCOMING_BUDGET, forthcomingChangesets, pageOfChangesets, pageOfEvents, pageOfGlobalOrder, STREAM_CHANGESETS_BUDGET, STREAM_EVENTS_BUDGET } from '../../src/core/pages.js';
import type { ReadBudget } from '../../src/core/pages.js';
import type { Expectation, NewChangeset, StoredChangeset } from '../../src/core/types.js';
import type { EventStoreEngine } from '../../src/engines/port.js';
import { FILTER_EXAMINE_MAX, type GlobalFilter } from '../../src/core/global-filter.js';
import { projectStatistics } from '../../src/projection/statistics.js';

export interface EngineHarness {
  readonly engine: EventStoreEngine;
  /** Waits until every committed changeset has its checkpoint (engines that index asynchronously). */
  readonly settle: () => Promise<void>;
  readonly dispose: () => Promise<void>;
  /**
   * Makes the engine's next write of changeset `changesetId` of `streamId` meet another writer's
   * changeset with that id, stored after the engine checked the stream's head: the race that only
   * the storage constraint can catch.
   */
  readonly storeBehindTheCheck: (streamId: string, changesetId: number) => Promise<void>;
  /** Another engine on the same storage, which a test may close (dispose releases it). */
  readonly openAnother: () => Promise<EventStoreEngine>;
  /** How a child process opens an engine on the same storage (test/support/projector-child.mjs). */
  readonly storageForChild: ChildStorage;
  /** How much earlier than asked `since` may land (engines whose commit times can go back along the global order). */
  readonly commitTimeSkewMs?: number;
}

export type ChildStorage =
  | { readonly kind: 'sqlite'; readonly path: string }
  | { readonly kind: 'dynamodb'; readonly endpoint: string; readonly tables: { readonly events: string; readonly meta: string } };

/**
 * Runs a statistics projector in a child process and kills it (SIGKILL) once it has read a batch
 * and is about to save it: a real crash between reading and saving. Resolves with what it read from.
 */
function crashProjectorBeforeSaving(storage: ChildStorage): Promise<{ savingFrom: number; counted: number }> {
  const child = fork(fileURLToPath(new URL('../support/projector-child.mjs', import.meta.url)), [JSON.stringify(storage)], { stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
  return new Promise((resolve, reject) => {
    let reached: { savingFrom: number; counted: number } | undefined;
    child.once('message', (message) => {
      reached = message as { savingFrom: number; counted: number };
      child.kill('SIGKILL');
    });
    child.once('error', reject);
    child.once('exit', (code, signal) => {
      if (reached !== undefined && signal === 'SIGKILL') resolve(reached);
      else reject(new Error(`The projector exited (${code ?? signal}) before reaching its save.`));
    });
  });
}

const ALL = { from: 1, to: Number.POSITIVE_INFINITY };
const HUGE: ReadBudget = { maxRecords: 100_000, maxBytes: 1e12 };

export function changeset(streamId: string, events: unknown[], expectation: Expectation = { kind: 'changeset', value: 0 }, metadata: object = {}): NewChangeset {
  return { streamId, expectation, events: JSON.stringify(events), eventCount: events.length, metadata: JSON.stringify(metadata) };
}

const after = (value: number): Expectation => ({ kind: 'changeset', value });
const afterEvent = (value: number): Expectation => ({ kind: 'event', value });

/**
 * The engine conformance suite: every storage rule of API.md at the port's level. Each engine
 * runs this one function with its own factory.
 */
export interface ConformanceOptions {
  /** How many streams the listing test pages over (10,000 where commits are cheap). */
  readonly listedStreams?: number;
}

export function engineConformance(engineName: string, createHarness: () => Promise<EngineHarness>, options: ConformanceOptions = {}): void {
  describe(`engine conformance: ${engineName}`, () => {
    let harness: EngineHarness;
    let engine: EventStoreEngine;
    let streamCounter = 0;
    // Unique stream ids per test, so that engines may share one store across tests.
    const stream = (name: string): string => `${name}-${process.pid}-${++streamCounter}`;

    beforeEach(async () => {
      harness = await createHarness();
      engine = harness.engine;
    });
    afterEach(async () => {
      await harness.dispose();
    });

    async function commitAll(streamId: string, batches: unknown[][]): Promise<void> {
      for (const [index, events] of batches.entries()) {
        const outcome = await engine.commit(changeset(streamId, events, after(index)));
        expect(outcome.status).toBe('committed');
      }
    }

    /** The engine's own global read from 0, with no page rule in between: what density is asserted on. */
    async function rawGlobalOrder(): Promise<readonly StoredChangeset[]> {
      await harness.settle();
      return engine.readGlobal(0, HUGE);
    }

    async function globalOrder(from = 0): Promise<StoredChangeset[]> {
      await harness.settle();
      const all: StoredChangeset[] = [];
      let checkpoint = from;
      for (;;) {
        const page = pageOfGlobalOrder(await engine.readGlobal(checkpoint, { maxRecords: 1000, maxBytes: 5e6 }), checkpoint, 1000);
        if (page.changesets.length === 0) return all;
        all.push(...page.changesets);
        checkpoint = page.nextCheckpoint;
      }
    }

    describe('commits', () => {
      it('starts a new stream at changeset 1 and event 1', async () => {
        const id = stream('new');
        const outcome = await engine.commit(changeset(id, [{ type: 'init' }, { type: 'sell' }], after(0), { by: 'me' }));
        expect(outcome).toMatchObject({ status: 'committed', changesetId: 1 });
        const read = await engine.readStream(id, 'changeset', ALL, HUGE);
        expect(read.head).toEqual({ lastChangesetId: 1, lastEventId: 2 });
        expect(read.records).toHaveLength(1);
        expect(read.records[0]).toMatchObject({ streamId: id, changesetId: 1, firstEventId: 1, lastEventId: 2 });
        expect(JSON.parse(read.records[0]!.events)).toEqual([{ type: 'init' }, { type: 'sell' }]);
        expect(JSON.parse(read.records[0]!.metadata)).toEqual({ by: 'me' });
      });

      it('numbers changesets and events on from the expected last changeset', async () => {
        const id = stream('next');
        await commitAll(id, [[1, 2], [3], [4, 5, 6]]);
        const read = await engine.readStream(id, 'changeset', ALL, HUGE);
        expect(read.records.map((r) => [r.changesetId, r.firstEventId, r.lastEventId])).toEqual([
          [1, 1, 2],
          [2, 3, 3],
          [3, 4, 6],
        ]);
        expect(read.head).toEqual({ lastChangesetId: 3, lastEventId: 6 });
      });

      it('accepts an expected last event that is the stream head', async () => {
        const id = stream('by-event');
        await commitAll(id, [[1, 2, 3]]);
        const outcome = await engine.commit(changeset(id, ['four'], afterEvent(3)));
        expect(outcome).toMatchObject({ status: 'committed', changesetId: 2 });
        const read = await engine.readStream(id, 'event', { from: 4, to: 4 }, HUGE);
        expect(read.records.map((r) => r.changesetId)).toEqual([2]);
      });

      it('answers behind when another writer got there first, and the forthcoming changesets follow', async () => {
        const id = stream('behind');
        await commitAll(id, [['a'], ['b'], ['c']]);
        const outcome = await engine.commit(changeset(id, ['late'], after(1)));
        expect(outcome).toEqual({ status: 'behind', head: { lastChangesetId: 3, lastEventId: 3 } });
        const read = await engine.readStream(id, 'changeset', { from: 2, to: Number.POSITIVE_INFINITY }, FORTHCOMING_BUDGET);
        expect(forthcomingChangesets(read).map((r) => r.changesetId)).toEqual([2, 3]);
      });

      it('answers behind for expected_last_changeset=0 on a stream that exists', async () => {
        const id = stream('exists');
        await commitAll(id, [['a']]);
        expect(judgeExpectation(after(0), { lastChangesetId: 1, lastEventId: 1 })).toBe('behind');
        expect((await engine.commit(changeset(id, ['b'], after(0)))).status).toBe('behind');
      });

      it('answers behind for an event in the middle of the last changeset, listing that changeset', async () => {
        const id = stream('mid');
        await commitAll(id, [[1, 2, 3], [4, 5]]);
        expect((await engine.commit(changeset(id, ['x'], afterEvent(4)))).status).toBe('behind');
        const read = await engine.readStream(id, 'event', { from: 5, to: Number.POSITIVE_INFINITY }, FORTHCOMING_BUDGET);
        expect(forthcomingChangesets(read).map((r) => r.changesetId)).toEqual([2]);
        const earlier = await engine.readStream(id, 'event', { from: 3, to: Number.POSITIVE_INFINITY }, FORTHCOMING_BUDGET);
        expect(forthcomingChangesets(earlier).map((r) => r.changesetId)).toEqual([1, 2]);
      });

      it('answers ahead for an expectation the stream has not reached, with the head', async () => {
        const id = stream('ahead');
        expect(await engine.commit(changeset(id, ['a'], after(5)))).toEqual({ status: 'ahead', head: { lastChangesetId: 0, lastEventId: 0 } });
        await commitAll(id, [[1, 2]]);
        expect(await engine.commit(changeset(id, ['a'], afterEvent(3)))).toEqual({ status: 'ahead', head: { lastChangesetId: 1, lastEventId: 2 } });
      });

      it('writes nothing for a rejected commit', async () => {
        const id = stream('rejected');
        await commitAll(id, [['a']]);
        const before = await globalOrder();
        await engine.commit(changeset(id, ['x'], after(0)));
        await engine.commit(changeset(id, ['x'], after(9)));
        await engine.commit(changeset(stream('never'), ['x'], after(2)));
        const read = await engine.readStream(id, 'changeset', ALL, HUGE);
        expect(read.records).toHaveLength(1);
        expect(await globalOrder()).toHaveLength(before.length);
      });

      it('stores events and metadata exactly, unicode included', async () => {
        const id = stream('ünïcødé/ids? 🚀 "quoted"').replace('/', '|');
        const events = [{ text: 'žluťoučký kůň 🐎', nested: { list: [1, 2.5, null, true, 'a"b\\c'] } }, 'plain', 42];
        const metadata = { who: 'Иван', tags: ['x', 'y'] };
        await engine.commit(changeset(id, events, after(0), metadata));
        const [record] = (await engine.readStream(id, 'changeset', ALL, HUGE)).records;
        expect(JSON.parse(record!.events)).toEqual(events);
        expect(JSON.parse(record!.metadata)).toEqual(metadata);
      });

      it('lets exactly one of many racing commits with the same expectation win', async () => {
        const id = stream('race');
        await commitAll(id, [['first']]);
        const outcomes = await Promise.all(Array.from({ length: 16 }, (_, writer) => engine.commit(changeset(id, [`writer ${writer}`], after(1)))));
        expect(outcomes.filter((o) => o.status === 'committed')).toHaveLength(1);
        expect(outcomes.filter((o) => o.status === 'behind')).toHaveLength(15);
        const read = await engine.readStream(id, 'changeset', ALL, HUGE);
        expect(read.records.map((r) => r.changesetId)).toEqual([1, 2]);
      });

      it('commits racing writers of different streams, each once', async () => {
        const ids = Array.from({ length: 12 }, (_, index) => stream(`parallel-${index}`));
        const outcomes = await Promise.all(ids.map((id) => engine.commit(changeset(id, ['x'], after(0)))));
        expect(outcomes.every((o) => o.status === 'committed')).toBe(true);
        const order = await globalOrder();
        for (const id of ids) expect(order.filter((record) => record.streamId === id), id).toHaveLength(1);
      });
      it('answers behind, not an error, when the storage constraint catches a race the check missed', async () => {
        const id = stream('backstop');
        await commitAll(id, [['a']]);
        await harness.storeBehindTheCheck(id, 2);
        const outcome = await engine.commit(changeset(id, ['mine'], after(1)));
        expect(outcome.status).toBe('behind');
        const read = await engine.readStream(id, 'changeset', ALL, HUGE);
        expect(read.records.map((r) => JSON.parse(r.events))).not.toContainEqual(['mine']);
      });

      it('finishes the commits it took when closed, and refuses commits after', async () => {
        const closing = await harness.openAnother();
        const ids = Array.from({ length: 8 }, (_, index) => stream(`close-${index}`));
        const pending = ids.map((id) => closing.commit(changeset(id, [id])));
        const closed = closing.close();
        expect((await Promise.all(pending)).map((outcome) => outcome.status)).toEqual(ids.map(() => 'committed'));
        await closed;
        await expect(closing.commit(changeset(stream('after-close'), ['late']))).rejects.toThrow(/closed/);
        const reader = await harness.openAnother();
        for (const id of ids) expect((await reader.readStream(id, 'changeset', ALL, HUGE)).records.map((r) => JSON.parse(r.events))).toEqual([[id]]);
      });
    });

    describe('stream reads', () => {
      it('never returns a changeset newer than the head it returns, while commits land', async () => {
        const id = stream('consistent');
        let writing = true;
        const writer = (async () => {
          for (let next = 0; next < 25; next++) expect((await engine.commit(changeset(id, [next], after(next)))).status).toBe('committed');
          writing = false;
        })();
        let reads = 0;
        while (writing || reads === 0) {
          for (const by of ['changeset', 'event'] as const) {
            const read = await engine.readStream(id, by, ALL, HUGE);
            const newest = read.records.at(-1);
            if (newest !== undefined) {
              expect(read.head.lastChangesetId).toBeGreaterThanOrEqual(newest.changesetId);
              expect(read.head.lastEventId).toBeGreaterThanOrEqual(newest.lastEventId);
            }
            reads++;
          }
          // An engine that answers reads without I/O must still let the writer's turns come.
          await new Promise((resolve) => setImmediate(resolve));
        }
        await writer;
      });

      it('reads an inclusive range of changesets, and nothing for a range past the head', async () => {
        const id = stream('range');
        await commitAll(id, [['a'], ['b'], ['c'], ['d']]);
        const middle = await engine.readStream(id, 'changeset', { from: 2, to: 3 }, STREAM_CHANGESETS_BUDGET);
        expect(middle.records.map((r) => r.changesetId)).toEqual([2, 3]);
        expect(pageOfChangesets(middle, STREAM_CHANGESETS_BUDGET).nextFrom).toBeUndefined();
        const past = await engine.readStream(id, 'changeset', { from: 7, to: Number.POSITIVE_INFINITY }, STREAM_CHANGESETS_BUDGET);
        expect(past.records).toEqual([]);
        expect(past.head.lastChangesetId).toBe(4);
      });

      it('reports a missing stream with a head of zeros', async () => {
        const read = await engine.readStream(stream('missing'), 'changeset', ALL, HUGE);
        expect(read).toEqual({ head: { lastChangesetId: 0, lastEventId: 0 }, records: [], exhausted: true });
      });

      it('reads events by event id across changesets', async () => {
        const id = stream('events');
        await commitAll(id, [['e1', 'e2', 'e3'], ['e4'], ['e5', 'e6']]);
        const range = { from: 2, to: 5 };
        const read = await engine.readStream(id, 'event', range, STREAM_EVENTS_BUDGET);
        expect(read.records.map((r) => r.changesetId)).toEqual([1, 2, 3]);
        const page = pageOfEvents(read, range, STREAM_EVENTS_BUDGET);
        expect(page.events.map((e) => [e.id, JSON.parse(e.data)])).toEqual([
          [2, 'e2'],
          [3, 'e3'],
          [4, 'e4'],
          [5, 'e5'],
        ]);
        expect(page.nextFrom).toBeUndefined();
      });

      it('finds the changeset holding each event id in a stream of changesets of varying sizes', async () => {
        const id = stream('event-lookup');
        const sizes = [3, 1, 1, 4, 2, 1, 5, 1, 2, 3, 1, 1, 2];
        let nextEvent = 1;
        await commitAll(
          id,
          sizes.map((size) => Array.from({ length: size }, () => nextEvent++)),
        );
        const holder = (event: number): number => {
          let last = 0;
          return sizes.findIndex((size) => (last += size) >= event) + 1;
        };
        for (let event = 1; event < nextEvent; event++) {
          const read = await engine.readStream(id, 'event', { from: event, to: event }, HUGE);
          expect(read.records.map((r) => r.changesetId), `event ${event}`).toEqual([holder(event)]);
        }
        expect((await engine.readStream(id, 'event', { from: nextEvent, to: Number.POSITIVE_INFINITY }, HUGE)).records).toEqual([]);
      });

      it('pages changesets by count, and following next_from returns each exactly once', async () => {
        const id = stream('paging');
        await commitAll(id, Array.from({ length: 25 }, (_, index) => [index]));
        const budget = { maxRecords: 10, maxBytes: 5e6 };
        const seen: number[] = [];
        let from = 1;
        for (let pages = 0; pages < 10; pages++) {
          const page = pageOfChangesets(await engine.readStream(id, 'changeset', { from, to: Number.POSITIVE_INFINITY }, budget), budget);
          seen.push(...page.changesets.map((r) => r.changesetId));
          if (page.nextFrom === undefined) break;
          from = page.nextFrom;
        }
        expect(seen).toEqual(Array.from({ length: 25 }, (_, index) => index + 1));
      });

      it('pages events by count inside a changeset', async () => {
        const id = stream('event-paging');
        await commitAll(id, [Array.from({ length: 7 }, (_, index) => index + 1), [8, 9]]);
        const budget = { maxRecords: 4, maxBytes: 5e6 };
        const seen: number[] = [];
        let from = 1;
        for (let pages = 0; pages < 10; pages++) {
          const range = { from, to: Number.POSITIVE_INFINITY };
          const page = pageOfEvents(await engine.readStream(id, 'event', range, budget), range, budget);
          seen.push(...page.events.map((e) => JSON.parse(e.data) as number));
          if (page.nextFrom === undefined) break;
          from = page.nextFrom;
        }
        expect(seen).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 9]);
      });

      it('cuts a page by the bytes a record takes in the Lambda response (UTF-8, escaped), in the engine and the page alike', async () => {
        // A budget of 1,000,000 bytes keeps the test small; the real one is LIMITS.responseMaxBytes.
        const budget = { maxRecords: 1_000, maxBytes: 1_000_000 };
        // 100,000 bytes each as stored: plain letters count once, quotes twice once escaped, and a
        // two-byte letter counts two bytes (not one UTF-16 character).
        for (const [text, perPage] of [['x'.repeat(100_000), 9], ['"'.repeat(50_000), 4], ['é'.repeat(50_000), 9]] as const) {
          const id = stream(`bytes-${perPage}-${text.charCodeAt(0)}`);
          await commitAll(id, Array.from({ length: perPage + 2 }, () => [text]));
          const read = await engine.readStream(id, 'changeset', ALL, budget);
          expect(read.records.length, text[0]).toBe(perPage);
          expect(read.exhausted).toBe(false);
          const first = pageOfChangesets(read, budget);
          expect(first.changesets.length).toBe(perPage);
          expect(first.nextFrom).toBe(perPage + 1);
          const rest = pageOfChangesets(await engine.readStream(id, 'changeset', { from: perPage + 1, to: Number.POSITIVE_INFINITY }, budget), budget);
          expect(rest.changesets.map((r) => r.changesetId)).toEqual([perPage + 1, perPage + 2]);
          expect(rest.nextFrom).toBeUndefined();
        }
      });
    });

    describe('global order', () => {
      it('gives every changeset one dense checkpoint, keeping each stream in order', async () => {
        const before = (await globalOrder()).length;
        const a = stream('global-a');
        const b = stream('global-b');
        await commitAll(a, [['a1'], ['a2']]);
        await commitAll(b, [['b1']]);
        await engine.commit(changeset(a, ['a3'], after(2)));
        // The engine's own read, before any gap check: every checkpoint once, none missing.
        const raw = await rawGlobalOrder();
        expect(raw.map((r) => r.checkpoint)).toEqual(raw.map((_, index) => index));
        expect(raw).toHaveLength(before + 4);
        const mine = raw.slice(before).map((r) => `${r.streamId === a ? 'a' : 'b'}${r.changesetId}`);
        expect(mine).toEqual(['a1', 'a2', 'b1', 'a3']);
      });

      it('keeps checkpoints dense and per-stream order under concurrent commits', async () => {
        const ids = Array.from({ length: 6 }, (_, index) => stream(`dense-${index}`));
        await Promise.all(
          ids.map(async (id) => {
            for (let next = 0; next < 5; next++) expect((await engine.commit(changeset(id, [next], after(next)))).status).toBe('committed');
          }),
        );
        // On the engine's own read: a page stops at the first gap, so density is never asserted on one.
        const raw = await rawGlobalOrder();
        expect(raw.map((r) => r.checkpoint)).toEqual(raw.map((_, index) => index));
        for (const id of ids) {
          expect(raw.filter((r) => r.streamId === id).map((r) => r.changesetId)).toEqual([1, 2, 3, 4, 5]);
        }
      });

      it('reads from a checkpoint in the middle, within a limit', async () => {
        const id = stream('middle');
        await commitAll(id, [['a'], ['b'], ['c'], ['d']]);
        const order = await globalOrder();
        const start = order.findIndex((r) => r.streamId === id);
        const page = pageOfGlobalOrder(await engine.readGlobal(start + 1, { maxRecords: 2, maxBytes: 5e6 }), start + 1, 2);
        expect(page.changesets.map((r) => r.changesetId)).toEqual([2, 3]);
        expect(page.nextCheckpoint).toBe(start + 3);
        const end = pageOfGlobalOrder(await engine.readGlobal(order.length, { maxRecords: 10, maxBytes: 5e6 }), order.length, 10);
        expect(end).toEqual({ changesets: [], nextCheckpoint: order.length });
      });
    });

    describe('long polling', () => {
      // The wait's time limit is an hour, and the harnesses' engines never look by themselves
      // (SQLite has no polling; DynamoDB's harness polls once an hour): only a wake-up ends the wait
      // before the test's own deadline.
      it('wakes a waiting reader when a commit lands, and not before', async () => {
        const next = (await globalOrder()).length;
        let woke = false;
        const waiting = engine.waitForCheckpoint(next, 3_600_000).then(() => (woke = true));
        await harness.settle();
        await new Promise((resolve) => setImmediate(resolve));
        expect(woke).toBe(false);
        await engine.commit(changeset(stream('wake'), ['x']));
        await harness.settle();
        await waiting;
        const page = pageOfGlobalOrder(await engine.readGlobal(next, { maxRecords: 10, maxBytes: 5e6 }), next, 10);
        expect(page.changesets).toHaveLength(1);
      });

      it('returns at once for a checkpoint that exists, and at the time limit or abort otherwise', async () => {
        await commitAll(stream('exists'), [['x']]);
        await harness.settle();
        // Hour-long time limits: within the test's deadline only the checkpoint's presence (first
        // wait) or the abort (last) can end these waits; no wall-clock bound is asserted.
        await engine.waitForCheckpoint(0, 3_600_000);
        const head = (await globalOrder()).length;
        const timed = Date.now();
        await engine.waitForCheckpoint(head + 5, 150);
        // A lower bound only: a busy machine makes waits longer, never shorter.
        expect(Date.now() - timed).toBeGreaterThanOrEqual(100);
        const controller = new AbortController();
        const aborted = engine.waitForCheckpoint(head + 5, 3_600_000, controller.signal);
        controller.abort();
        await aborted;
      });
    });

    describe('statistics', () => {
      it('projects totals incrementally from the global order', async () => {
        await harness.settle();
        const initial = await projectStatistics(engine);
        const a = stream('stats-a');
        const b = stream('stats-b');
        await commitAll(a, [[1, 2, 3], [4]]);
        await commitAll(b, [[1]]);
        await harness.settle();
        const projected = await projectStatistics(engine);
        expect(projected.total_streams - initial.total_streams).toBe(2);
        expect(projected.total_changesets - initial.total_changesets).toBe(3);
        expect(projected.total_events - initial.total_events).toBe(5);
        expect(projected.max_stream_length).toBeGreaterThanOrEqual(2);
        expect(projected.statistics_version).toBe((await globalOrder()).length);
        expect(await engine.readStatistics()).toEqual(projected);
      });

      it('counts nothing twice after a crash between reading a batch and saving it, or with racing projectors', async () => {
        await harness.settle();
        const initial = await projectStatistics(engine);
        await commitAll(stream('crash'), [[1], [2, 3]]);
        await harness.settle();
        // A projector process killed after reading its batch, before saving it, leaves the stored state as it was.
        const crashed = await crashProjectorBeforeSaving(harness.storageForChild);
        expect(crashed).toEqual({ savingFrom: initial.statistics_version, counted: initial.total_changesets + 2 });
        expect(await engine.readStatistics()).toEqual(initial);
        const [first, second] = await Promise.all([projectStatistics(engine), projectStatistics(engine)]);
        expect(first).toEqual(second);
        expect(first.total_changesets - initial.total_changesets).toBe(2);
        expect(first.total_events - initial.total_events).toBe(3);
        // A save based on a stale version is refused.
        expect(await engine.saveStatistics({ ...first, total_events: 999_999 }, initial.statistics_version)).toBe(false);
        expect(await engine.readStatistics()).toEqual(first);
      });
    });

    describe('consumers', () => {
      const consumer = (label: string): string => stream(`consumer-${label}`);

      it('knows the head: the next checkpoint readers will see', async () => {
        await commitAll(stream('head'), [[1]]);
        await harness.settle();
        expect(await engine.readHead()).toBe((await globalOrder()).length);
      });

      it('creates, advances from the stored position only, and lists consumers', async () => {
        const name = consumer('cas');
        expect(await engine.readConsumer(name)).toBeUndefined();
        expect(await engine.saveConsumer(name, 0, { kind: 'absent' })).toEqual({ status: 'saved' });
        expect(await engine.saveConsumer(name, 5, { kind: 'absent' })).toEqual({ status: 'conflict', current: 0 });
        expect(await engine.saveConsumer(name, 3, { kind: 'at', position: 0 })).toEqual({ status: 'saved' });
        expect(await engine.saveConsumer(name, 9, { kind: 'at', position: 0 })).toEqual({ status: 'conflict', current: 3 });
        expect(await engine.readConsumer(name)).toBe(3);
        expect(await engine.saveConsumer(consumer('missing'), 1, { kind: 'at', position: 0 })).toEqual({ status: 'conflict', current: undefined });
        const listed = await engine.listConsumers();
        expect(listed).toContainEqual({ name, position: 3 });
        expect(listed.map((entry) => entry.name)).toEqual([...listed.map((entry) => entry.name)].sort());
      });

      it('lets exactly one of racing advances from the same position land', async () => {
        const name = consumer('race');
        await engine.saveConsumer(name, 0, { kind: 'absent' });
        const outcomes = await Promise.all([1, 2, 3, 4, 5].map((position) => engine.saveConsumer(name, position, { kind: 'at', position: 0 })));
        const saved = outcomes.flatMap((outcome, index) => (outcome.status === 'saved' ? [index + 1] : []));
        expect(saved).toHaveLength(1);
        expect(await engine.readConsumer(name)).toBe(saved[0]);
      });

      it('resets to any position and deletes', async () => {
        const name = consumer('reset');
        expect(await engine.saveConsumer(name, 4, { kind: 'any' })).toEqual({ status: 'saved' });
        expect(await engine.saveConsumer(name, 1, { kind: 'any' })).toEqual({ status: 'saved' });
        expect(await engine.readConsumer(name)).toBe(1);
        expect(await engine.deleteConsumer(name)).toBe(true);
        expect(await engine.deleteConsumer(name)).toBe(false);
        expect(await engine.readConsumer(name)).toBeUndefined();
        expect((await engine.listConsumers()).some((entry) => entry.name === name)).toBe(false);
      });
    });
    describe('filtered reads of the global order', () => {
      /** Follows the filtered global order from `from` until a read examines nothing more. */
      async function followFiltered(from: number, filter: GlobalFilter): Promise<{ seen: StoredChangeset[]; end: number }> {
        await harness.settle();
        const seen: StoredChangeset[] = [];
        let checkpoint = from;
        for (;;) {
          const batch = await engine.readGlobalFiltered(checkpoint, filter, { maxRecords: 7, maxBytes: 5e6 });
          expect(batch.nextCheckpoint - checkpoint).toBeLessThanOrEqual(FILTER_EXAMINE_MAX);
          seen.push(...batch.records);
          if (batch.nextCheckpoint === checkpoint) return { seen, end: checkpoint };
          checkpoint = batch.nextCheckpoint;
        }
      }

      it('gives a follower exactly the matching changesets of a mixed store, once each and in global order', async () => {
        const start = (await globalOrder()).length;
        const category = stream('account');
        const [hit, miss] = [`${category}-1`, `other-${category}`];
        const type = `deposited-${category}`;
        await commitAll(hit, [[{ type }], [{ type: 'withdrawn' }], ['not an object', { type }]]);
        await commitAll(miss, [[{ type }], [{ type: 'withdrawn' }]]);
        await commitAll(`${category}-2`, [[{ type: 'withdrawn' }], [{ type: `${type}-not` }, { type: 1 }]]);
        const all = (await globalOrder()).slice(start);
        const label = (record: StoredChangeset): string => `${record.streamId.slice(category.length)}#${record.changesetId}`;

        const byPrefix = await followFiltered(start, { streamPrefix: category, types: [] });
        expect(byPrefix.seen.map(label)).toEqual(all.filter((r) => r.streamId.startsWith(category)).map(label));
        expect(byPrefix.seen.map(label)).toEqual(['-1#1', '-1#2', '-1#3', '-2#1', '-2#2']);
        const byType = await followFiltered(start, { streamPrefix: undefined, types: [type, 'never'] });
        expect(byType.seen.map((r) => `${r.streamId === hit ? 'hit' : r.streamId === miss ? 'miss' : r.streamId}#${r.changesetId}`)).toEqual(['hit#1', 'hit#3', 'miss#1']);
        const both = await followFiltered(start, { streamPrefix: category, types: [type] });
        expect(both.seen.map(label)).toEqual(['-1#1', '-1#3']);
        const checkpoints = both.seen.map((r) => r.checkpoint!);
        expect(checkpoints).toEqual([...checkpoints].sort((a, b) => a - b));
        expect(both.end).toBe(start + all.length);
      });

      it('advances a filter that matches nothing to the head', async () => {
        const start = (await globalOrder()).length;
        await commitAll(stream('unmatched'), [['a'], ['b'], ['c']]);
        const followed = await followFiltered(0, { streamPrefix: stream('nobody'), types: [] });
        expect(followed.seen).toEqual([]);
        expect(followed.end).toBe(start + 3);
      });
    });

    describe('stream heads and listing', () => {
      it('reads a stream head with its last commit time, without its changesets', async () => {
        const id = stream('head');
        await commitAll(id, [['a', 'b'], ['c']]);
        const read = await engine.readStream(id, 'changeset', ALL, HUGE);
        expect(await engine.readStreamSummary(id)).toEqual({ streamId: id, lastChangesetId: 2, lastEventId: 3, committedAt: read.records[1]!.committedAt });
        expect(read.records[1]!.committedAt).toMatch(/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/);
        expect(await engine.readStreamSummary(stream('no-such'))).toBeUndefined();
      });

      it(`pages over ${options.listedStreams ?? 250} streams by prefix in the order of their UTF-8 bytes, without duplicates or gaps`, { timeout: 300_000 }, async () => {
        const prefix = stream('list');
        const count = options.listedStreams ?? 250;
        // Ids that sort differently by UTF-16 and by UTF-8 bytes: "\uffff" and an astral character.
        const ids = Array.from({ length: count }, (_, index) => `${prefix}-${index % 3 === 0 ? '\uffff' : index % 3 === 1 ? '😀' : ''}${index}`);
        for (let start = 0; start < ids.length; start += 200) {
          const outcomes = await Promise.all(ids.slice(start, start + 200).map((id) => engine.commit(changeset(id, ['x']))));
          expect(outcomes.every((outcome) => outcome.status === 'committed')).toBe(true);
        }
        await commitAll(`${prefix.slice(0, -1)}`, [['outside the prefix']]);
        await harness.settle();
        const listed: string[] = [];
        let afterId: string | undefined;
        for (;;) {
          const page = await engine.listStreams(prefix, afterId, 100);
          expect(page.streams.length).toBeLessThanOrEqual(100);
          listed.push(...page.streams.map((summary) => summary.streamId));
          if (!page.more) break;
          afterId = page.streams.at(-1)!.streamId;
        }
        const byUtf8 = [...ids].sort((a, b) => Buffer.compare(Buffer.from(a), Buffer.from(b)));
        expect(listed).toEqual(byUtf8);
        const first = await engine.listStreams(prefix, undefined, 1);
        expect(first.streams[0]).toMatchObject({ streamId: byUtf8[0], lastChangesetId: 1, lastEventId: 1 });
        expect(await engine.listStreams(`${prefix}-none`, undefined, 10)).toEqual({ streams: [], more: false });
      });
    });

    describe('positions by commit time', () => {
      /** Waits for the clock to pass the millisecond of `time`, so the next commit is later. */
      async function clockPast(time: string): Promise<void> {
        const deadline = Date.now() + 5_000;
        while (new Date().toISOString() <= time) {
          if (Date.now() > deadline) throw new Error('the clock did not move');
          await new Promise((resolve) => setImmediate(resolve));
        }
      }

      it('lands on the first changeset committed at or after a time, with equal times among neighbours', async () => {
        const id = stream('since');
        await commitAll(id, [['first']]);
        await harness.settle();
        await clockPast((await engine.readStreamSummary(id))!.committedAt);
        // Concurrent commits: on SQLite they share one transaction and one commit time.
        await Promise.all([stream('since-a'), stream('since-b'), stream('since-c')].map((other) => engine.commit(changeset(other, ['together']))));
        await harness.settle();
        const order = await globalOrder();
        const times = order.map((r) => r.committedAt!);
        const mine = order.findIndex((r) => r.streamId === id);
        const skewMs = harness.commitTimeSkewMs ?? 0;
        for (const probe of order.slice(mine)) {
          const landed = await engine.checkpointAtTime(probe.committedAt!);
          // Never late, on every engine: nothing before where it lands was committed at or after the time.
          expect(times.slice(0, landed).filter((time) => time >= probe.committedAt!)).toEqual([]);
          expect(landed).toBeLessThanOrEqual(probe.checkpoint!);
          // Never earlier than the engine's skew allows (exactly the first such changeset on SQLite).
          const earliest = new Date(Date.parse(probe.committedAt!) - skewMs).toISOString();
          if (landed > 0) expect(times[landed - 1]! < earliest).toBe(true);
          if (skewMs === 0) expect(times[landed]! >= probe.committedAt!).toBe(true);
        }
        expect(await engine.checkpointAtTime('9999-12-31T23:59:59.999Z')).toBe(order.length);
        expect(await engine.checkpointAtTime('1970-01-01T00:00:00.000Z')).toBe(0);
      });
    });

    describe('idempotent commits', () => {
      const withId = (request: NewChangeset, commitId: string): NewChangeset => ({ ...request, commitId });

      it('answers a retry with the original changeset, whatever the stream received since; another body is refused', async () => {
        const id = stream('retry');
        const first = await engine.commit(withId(changeset(id, ['a']), 'key-1'));
        expect(first).toMatchObject({ status: 'committed', changesetId: 1 });
        expect(await engine.commit(withId(changeset(id, ['a']), 'key-1'))).toEqual({ status: 'replayed', changesetId: 1 });
        expect((await engine.commit(withId(changeset(id, ['b'], after(1)), 'key-2'))).status).toBe('committed');
        expect(await engine.commit(withId(changeset(id, ['a']), 'key-1'))).toEqual({ status: 'replayed', changesetId: 1 });
        expect(await engine.commit(withId(changeset(id, ['b'], afterEvent(1)), 'key-2'))).toEqual({ status: 'replayed', changesetId: 2 });
        expect(await engine.commit(withId(changeset(id, ['other']), 'key-1'))).toEqual({ status: 'commit_id_reused', changesetId: 1 });
        // Another key, or none, on an outdated expectation: the conflict it always was.
        expect((await engine.commit(withId(changeset(id, ['a']), 'key-3'))).status).toBe('behind');
        expect((await engine.commit(changeset(id, ['a']))).status).toBe('behind');
        expect((await engine.readStream(id, 'changeset', ALL, HUGE)).records.map((r) => r.events)).toEqual(['["a"]', '["b"]']);
      });

      it('stores one changeset when a commit and its retry race', async () => {
        for (const round of [0, 1]) {
          const id = stream(`race-retry-${round}`);
          if (round === 1) await commitAll(id, [['before']]);
          const request = withId(changeset(id, ['once'], after(round)), `race-${round}`);
          const outcomes = await Promise.all([engine.commit(request), engine.commit(request), engine.commit(request)]);
          expect(outcomes.map((outcome) => outcome.status).sort()).toEqual(['committed', 'replayed', 'replayed']);
          expect(new Set(outcomes.map((outcome) => ('changesetId' in outcome ? outcome.changesetId : 0)))).toEqual(new Set([round + 1]));
          expect((await engine.readStream(id, 'changeset', ALL, HUGE)).records).toHaveLength(round + 1);
        }
      });
    });
  });
}
