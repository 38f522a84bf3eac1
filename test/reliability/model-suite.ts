import { randomUUID } from 'node:crypto';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { pageOfEvents } from '../../src/core/pages.js';
import type { ReadBudget } from '../../src/core/pages.js';
import type { CommitOutcome, Expectation, IdRange, StoredChangeset, StreamHead } from '../../src/core/types.js';
import type { EventStoreEngine } from '../../src/engines/port.js';
import type { EngineHarness } from '../conformance/engine-suite.js';

/** The part of the engine suite's harness the model needs: an engine, settling and disposal. */
export type ModelHarness = Pick<EngineHarness, 'engine' | 'settle' | 'dispose'>;

export interface ModelOptions {
  /** Property runs per test; each run is one random sequence of operations. */
  readonly numRuns: number;
  /** Longest sequence of operations in one run. */
  readonly maxOperations?: number;
  /** Passed to fc.assert, to replay a failure. */
  readonly seed?: number;
}

// ---------------------------------------------------------------------------------------------
// The model: the rules of API.md, written down again from the contract, independently of src/.
// ---------------------------------------------------------------------------------------------

interface ModelChangeset {
  readonly streamId: string;
  readonly changesetId: number;
  readonly firstEventId: number;
  readonly lastEventId: number;
  /** Each event's compact JSON, in order. */
  readonly eventTexts: readonly string[];
  readonly metadata: string;
  /** Position in this run's part of the global order (0 for the run's first commit). */
  readonly position: number;
}

type ModelOutcome =
  | { readonly status: 'committed'; readonly changesetId: number; readonly position: number }
  | { readonly status: 'behind' | 'ahead'; readonly head: StreamHead };

class Model {
  private readonly streams = new Map<string, ModelChangeset[]>();
  readonly global: ModelChangeset[] = [];

  changesetsOf(streamId: string): readonly ModelChangeset[] {
    return this.streams.get(streamId) ?? [];
  }

  head(streamId: string): StreamHead {
    const last = this.changesetsOf(streamId).at(-1);
    return last === undefined ? { lastChangesetId: 0, lastEventId: 0 } : { lastChangesetId: last.changesetId, lastEventId: last.lastEventId };
  }

  /**
   * A commit lands only when the expectation names exactly the stream's last changeset (or last
   * event). An older one means somebody else committed since (behind); a newer one names
   * something the stream does not have (ahead).
   */
  commit(streamId: string, expectation: Expectation, events: readonly unknown[], metadata: string): ModelOutcome {
    const head = this.head(streamId);
    const current = expectation.kind === 'changeset' ? head.lastChangesetId : head.lastEventId;
    if (expectation.value > current) return { status: 'ahead', head };
    if (expectation.value < current) return { status: 'behind', head };
    const changeset: ModelChangeset = {
      streamId,
      changesetId: head.lastChangesetId + 1,
      firstEventId: head.lastEventId + 1,
      lastEventId: head.lastEventId + events.length,
      eventTexts: events.map((event) => JSON.stringify(event)),
      metadata,
      position: this.global.length,
    };
    const list = this.streams.get(streamId) ?? [];
    list.push(changeset);
    this.streams.set(streamId, list);
    this.global.push(changeset);
    return { status: 'committed', changesetId: changeset.changesetId, position: changeset.position };
  }

  /** The changesets a stream read must return: those in the range, at most `maxRecords`. */
  readStream(streamId: string, by: 'changeset' | 'event', range: IdRange, maxRecords: number) {
    const inRange = this.changesetsOf(streamId).filter((changeset) =>
      by === 'changeset'
        ? changeset.changesetId >= range.from && changeset.changesetId <= range.to
        : changeset.lastEventId >= range.from && changeset.firstEventId <= range.to,
    );
    return { head: this.head(streamId), records: inRange.slice(0, maxRecords), exhausted: inRange.length <= maxRecords };
  }

  /** The events of a range, from the changesets returned: ids and each event's JSON. */
  static eventsOf(records: readonly ModelChangeset[], range: IdRange): { id: number; data: string }[] {
    return records.flatMap((changeset) =>
      changeset.eventTexts.map((data, index) => ({ id: changeset.firstEventId + index, data })).filter((event) => event.id >= range.from && event.id <= range.to),
    );
  }
}

// ---------------------------------------------------------------------------------------------
// Random operations. Values are relative to the model's state when the operation runs, so that
// shrinking keeps them meaningful ("stale by 2" stays stale after earlier commits are removed).
// ---------------------------------------------------------------------------------------------

type Relation = 'right' | 'stale' | 'ahead' | 'absolute';

interface CommitOp {
  readonly type: 'commit';
  readonly stream: number;
  readonly kind: 'changeset' | 'event';
  readonly relation: Relation;
  readonly delta: number;
  readonly absolute: number;
  readonly events: readonly unknown[];
  readonly metadata: Record<string, unknown> | null;
}

interface ReadStreamOp {
  readonly type: 'readStream';
  readonly stream: number;
  readonly by: 'changeset' | 'event';
  /** The range's start is 1 + fromSeed modulo (the stream's last id + 3). */
  readonly fromSeed: number;
  /** null: open-ended. */
  readonly span: number | null;
  readonly maxRecords: number;
}

interface ReadGlobalOp {
  readonly type: 'readGlobal';
  /** The start is this run's first checkpoint + seed modulo (the run's commits + 3). */
  readonly checkpointSeed: number;
  readonly maxRecords: number;
}

type Operation = CommitOp | ReadStreamOp | ReadGlobalOp;

const STREAM_NAMES = ['a', 'b-ünï', 'c 🚀', 'd"\\'];

const eventArb: fc.Arbitrary<unknown> = fc.oneof(
  fc.jsonValue({ maxDepth: 2, depthSize: 'small' }),
  fc.jsonValue({ maxDepth: 2, depthSize: 'small', stringUnit: 'binary' }),
  fc.record({ type: fc.constantFrom('opened', 'deposited', 'closed'), text: fc.string({ unit: 'grapheme', maxLength: 8 }) }),
);

function operationArb(streams: number): fc.Arbitrary<Operation> {
  const stream = fc.nat({ max: streams - 1 });
  const commit: fc.Arbitrary<CommitOp> = fc.record({
    type: fc.constant('commit' as const),
    stream,
    kind: fc.constantFrom('changeset' as const, 'event' as const),
    relation: fc.oneof(
      { arbitrary: fc.constant('right' as const), weight: 5 },
      { arbitrary: fc.constant('stale' as const), weight: 2 },
      { arbitrary: fc.constant('ahead' as const), weight: 2 },
      { arbitrary: fc.constant('absolute' as const), weight: 1 },
    ),
    delta: fc.integer({ min: 1, max: 3 }),
    absolute: fc.nat({ max: 8 }),
    events: fc.array(eventArb, { minLength: 1, maxLength: 3 }),
    metadata: fc.option(fc.dictionary(fc.string({ maxLength: 5 }), fc.jsonValue({ maxDepth: 1 }), { maxKeys: 3 })),
  });
  const readStream: fc.Arbitrary<ReadStreamOp> = fc.record({
    type: fc.constant('readStream' as const),
    stream,
    by: fc.constantFrom('changeset' as const, 'event' as const),
    fromSeed: fc.nat({ max: 50 }),
    span: fc.option(fc.nat({ max: 6 })),
    maxRecords: fc.integer({ min: 1, max: 4 }),
  });
  const readGlobal: fc.Arbitrary<ReadGlobalOp> = fc.record({
    type: fc.constant('readGlobal' as const),
    checkpointSeed: fc.nat({ max: 50 }),
    maxRecords: fc.integer({ min: 1, max: 6 }),
  });
  return fc.oneof({ arbitrary: commit, weight: 6 }, { arbitrary: readStream, weight: 3 }, { arbitrary: readGlobal, weight: 1 });
}

function scenarioArb(maxOperations: number): fc.Arbitrary<{ streams: number; operations: Operation[] }> {
  return fc
    .integer({ min: 2, max: 4 })
    .chain((streams) => fc.record({ streams: fc.constant(streams), operations: fc.array(operationArb(streams), { minLength: 1, maxLength: maxOperations, size: 'medium' }) }));
}

const commitOp = (stream: number, kind: CommitOp['kind'], relation: Relation, delta: number, events: unknown[]): CommitOp => ({
  type: 'commit',
  stream,
  kind,
  relation,
  delta,
  absolute: 0,
  events,
  metadata: null,
});

/** A hand-written scenario reaching every verdict of both kinds, paged event reads and a global read. */
const KNOWN_SCENARIO: { streams: number; operations: Operation[] } = {
  streams: 2,
  operations: [
    commitOp(0, 'changeset', 'right', 1, [{ type: 'opened' }, 'two']),
    commitOp(0, 'event', 'right', 1, [3]),
    commitOp(0, 'changeset', 'stale', 1, ['late']),
    commitOp(0, 'event', 'stale', 2, ['late, in the middle of changeset 1']),
    commitOp(0, 'changeset', 'ahead', 1, ['early']),
    commitOp(1, 'event', 'ahead', 2, ['early on an empty stream']),
    { ...commitOp(1, 'changeset', 'absolute', 1, [null, [], {}]), metadata: { by: 'ann' } },
    { type: 'readStream', stream: 0, by: 'event', fromSeed: 1, span: 1, maxRecords: 1 },
    { type: 'readStream', stream: 0, by: 'changeset', fromSeed: 0, span: null, maxRecords: 4 },
    { type: 'readGlobal', checkpointSeed: 1, maxRecords: 2 },
  ],
};

function expectationFor(op: CommitOp, head: StreamHead): Expectation {
  const current = op.kind === 'changeset' ? head.lastChangesetId : head.lastEventId;
  const value =
    op.relation === 'right'
      ? current
      : op.relation === 'stale'
        ? Math.max(0, current - op.delta)
        : op.relation === 'ahead'
          ? current + op.delta
          : op.absolute;
  return { kind: op.kind, value };
}

// ---------------------------------------------------------------------------------------------
// Comparing the engine with the model.
// ---------------------------------------------------------------------------------------------

const HUGE_BYTES = 1e12;

function plain(record: StoredChangeset) {
  return {
    streamId: record.streamId,
    changesetId: record.changesetId,
    firstEventId: record.firstEventId,
    lastEventId: record.lastEventId,
    events: record.events,
    metadata: record.metadata,
  };
}

function plainModel(changeset: ModelChangeset) {
  return {
    streamId: changeset.streamId,
    changesetId: changeset.changesetId,
    firstEventId: changeset.firstEventId,
    lastEventId: changeset.lastEventId,
    // The engine stores the events array as the compact JSON it was given.
    events: `[${changeset.eventTexts.join(',')}]`,
    metadata: changeset.metadata,
  };
}

function expectOutcome(actual: CommitOutcome, expected: ModelOutcome, base: number, step: string): void {
  if (expected.status === 'committed') {
    expect(actual.status, step).toBe('committed');
    if (actual.status !== 'committed') return;
    expect(actual.changesetId, step).toBe(expected.changesetId);
    // Engines that index asynchronously answer null; the others the checkpoint it got.
    if (actual.checkpoint !== null) expect(actual.checkpoint, step).toBe(base + expected.position);
  } else {
    expect(actual, step).toEqual({ status: expected.status, head: expected.head });
  }
}

/** The next free checkpoint of the whole store, from `from` on (after settle). */
async function nextCheckpoint(engine: EventStoreEngine, from: number): Promise<number> {
  let checkpoint = from;
  for (;;) {
    const records = await engine.readGlobal(checkpoint, { maxRecords: 1000, maxBytes: HUGE_BYTES });
    const last = records.at(-1);
    if (last === undefined || last.checkpoint === null) return checkpoint;
    checkpoint = last.checkpoint + 1;
  }
}

/**
 * Model-based test of an engine: random sequences of commits (right, stale and ahead
 * expectations of both kinds) and reads on a few streams, each step compared with an in-memory
 * model of the rules. Every engine runs this one function with its own factory.
 */
export function modelConformance(name: string, createEngine: () => Promise<ModelHarness>, options: ModelOptions): void {
  const maxOperations = options.maxOperations ?? 15;

  describe(`model-based engine test: ${name}`, () => {
    let harness: ModelHarness;
    /** A lower bound of the store's next checkpoint, so each run need not scan from 0. */
    let knownHead = 0;
    /** Outcomes seen over all runs: the generator must reach every verdict, or the test is vacuous. */
    const seen = { committed: 0, behind: 0, ahead: 0, eventReads: 0, globalReads: 0 };

    beforeAll(async () => {
      harness = await createEngine();
    });
    afterAll(async () => {
      await harness?.dispose();
    });

    async function runScenario(scenario: { streams: number; operations: readonly Operation[] }): Promise<void> {
      const { engine, settle } = harness;
      // Unique per run (and per shrink attempt): the engine outlives runs.
      const prefix = `model-${process.pid}-${randomUUID().slice(0, 8)}`;
      const streamIds = STREAM_NAMES.slice(0, scenario.streams).map((label) => `${prefix}-${label}`);
      await settle();
      const base = await nextCheckpoint(engine, knownHead);
      knownHead = base;
      const model = new Model();

      for (const [index, op] of scenario.operations.entries()) {
        const step = `step ${index}: ${JSON.stringify(op)}`;
        switch (op.type) {
          case 'commit': {
            const streamId = streamIds[op.stream]!;
            const expectation = expectationFor(op, model.head(streamId));
            const metadata = JSON.stringify(op.metadata ?? {});
            const outcome = await engine.commit({ streamId, expectation, events: JSON.stringify(op.events), eventCount: op.events.length, metadata });
            expectOutcome(outcome, model.commit(streamId, expectation, op.events, metadata), base, step);
            // Commits without a commit id are never replays.
            if (outcome.status === 'committed' || outcome.status === 'behind' || outcome.status === 'ahead') seen[outcome.status]++;
            break;
          }
          case 'readStream': {
            const streamId = streamIds[op.stream]!;
            const head = model.head(streamId);
            const last = op.by === 'changeset' ? head.lastChangesetId : head.lastEventId;
            const from = 1 + (op.fromSeed % (last + 3));
            const range: IdRange = { from, to: op.span === null ? Number.POSITIVE_INFINITY : from + op.span };
            const budget: ReadBudget = { maxRecords: op.maxRecords, maxBytes: HUGE_BYTES };
            const read = await engine.readStream(streamId, op.by, range, budget);
            const expected = model.readStream(streamId, op.by, range, op.maxRecords);
            expect(read.head, step).toEqual(expected.head);
            expect(read.records.map(plain), step).toEqual(expected.records.map(plainModel));
            expect(read.exhausted, step).toBe(expected.exhausted);
            if (op.by === 'event') {
              seen.eventReads++;
              // The events of the page, ids and JSON, as the API returns them.
              const page = pageOfEvents(read, range, { maxRecords: 10_000, maxBytes: HUGE_BYTES });
              const events = Model.eventsOf(expected.records, range);
              expect(page.events, step).toEqual(events);
              expect(page.events[0]?.id, step).toBe(expected.records.length === 0 ? undefined : Math.max(range.from, expected.records[0]!.firstEventId));
              expect(page.nextFrom, step).toBe(expected.exhausted ? undefined : events.at(-1)!.id + 1);
            }
            break;
          }
          case 'readGlobal': {
            await settle();
            const checkpoint = base + (op.checkpointSeed % (model.global.length + 3));
            const records = await engine.readGlobal(checkpoint, { maxRecords: op.maxRecords, maxBytes: HUGE_BYTES });
            const expected = model.global.slice(checkpoint - base, checkpoint - base + op.maxRecords);
            expect(records.map(plain), step).toEqual(expected.map(plainModel));
            expect(records.map((record) => record.checkpoint), step).toEqual(expected.map((changeset) => base + changeset.position));
            seen.globalReads++;
            break;
          }
        }
      }

      // At the end, every stream read whole and the run's part of the global order agree too.
      for (const streamId of streamIds) {
        const read = await engine.readStream(streamId, 'changeset', { from: 1, to: Number.POSITIVE_INFINITY }, { maxRecords: 1000, maxBytes: HUGE_BYTES });
        expect(read.head, `final ${streamId}`).toEqual(model.head(streamId));
        expect(read.records.map(plain), `final ${streamId}`).toEqual(model.changesetsOf(streamId).map(plainModel));
        expect(read.exhausted).toBe(true);
      }
      await settle();
      const global = await engine.readGlobal(base, { maxRecords: 1000, maxBytes: HUGE_BYTES });
      expect(global.map(plain), 'final global order').toEqual(model.global.map(plainModel));
      expect(global.map((record) => record.checkpoint)).toEqual(model.global.map((changeset) => base + changeset.position));
      knownHead = base + model.global.length;
    }

    it('agrees with the model on random sequences of commits and reads', async () => {
      await fc.assert(fc.asyncProperty(scenarioArb(maxOperations), runScenario), {
        // Runs first, so that every verdict and read is compared at least once whatever the seed.
        examples: [[KNOWN_SCENARIO]],
        numRuns: options.numRuns,
        ...(options.seed === undefined ? {} : { seed: options.seed }),
      });
      expect(seen.committed).toBeGreaterThan(0);
      expect(seen.behind).toBeGreaterThan(0);
      expect(seen.ahead).toBeGreaterThan(0);
      expect(seen.eventReads).toBeGreaterThan(0);
      expect(seen.globalReads).toBeGreaterThan(0);
    });

    it('the model itself refuses what it should (guards against a vacuous model)', () => {
      const model = new Model();
      expect(model.commit('s', { kind: 'changeset', value: 1 }, ['x'], '{}')).toEqual({ status: 'ahead', head: { lastChangesetId: 0, lastEventId: 0 } });
      expect(model.commit('s', { kind: 'changeset', value: 0 }, ['x', 'y'], '{}')).toMatchObject({ status: 'committed', changesetId: 1 });
      expect(model.commit('s', { kind: 'changeset', value: 0 }, ['x'], '{}')).toEqual({ status: 'behind', head: { lastChangesetId: 1, lastEventId: 2 } });
      expect(model.commit('s', { kind: 'event', value: 1 }, ['x'], '{}')).toMatchObject({ status: 'behind' });
      expect(model.commit('s', { kind: 'event', value: 3 }, ['x'], '{}')).toMatchObject({ status: 'ahead' });
      expect(model.commit('s', { kind: 'event', value: 2 }, ['z'], '{}')).toMatchObject({ status: 'committed', changesetId: 2 });
      expect(model.readStream('s', 'event', { from: 2, to: 3 }, 10).records.map((c) => c.changesetId)).toEqual([1, 2]);
    });
  });
}
