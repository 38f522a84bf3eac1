import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { parseChangesetBody } from '../../src/core/changeset.js';
import { EesError, ERROR_TABLE, EXIT_CODES, exitCodeOf, httpStatusOf, isErrorCode } from '../../src/core/errors.js';
import { expectationAheadError, expectationBehindMessage, judgeExpectation } from '../../src/core/expectations.js';
import { splitJsonArray } from '../../src/core/json-array.js';
import { BudgetedRecords, eventRangeEnd, pageOfChangesets, pageOfEvents, pageOfGlobalOrder } from '../../src/core/pages.js';
import { applyToStatistics } from '../../src/core/statistics.js';
import { EMPTY_STATISTICS, type StoredChangeset } from '../../src/core/types.js';

const encode = (text: string): Uint8Array => new TextEncoder().encode(text);
const expectation = { kind: 'changeset', value: 0 } as const;

function record(changesetId: number, events: unknown[], checkpoint: number | null = changesetId - 1, firstEventId = changesetId): StoredChangeset {
  return {
    streamId: 's',
    changesetId,
    firstEventId,
    lastEventId: firstEventId + events.length - 1,
    events: JSON.stringify(events),
    metadata: '{}',
    checkpoint,
  };
}

describe('error table', () => {
  it('maps every code to a status and an exit code', () => {
    expect(httpStatusOf('OPTIMISTIC_CONCURRENCY_EXCEPTION')).toBe(409);
    expect(exitCodeOf('OPTIMISTIC_CONCURRENCY_EXCEPTION')).toBe(EXIT_CODES.conflict);
    expect(exitCodeOf('STREAM_NOT_FOUND')).toBe(EXIT_CODES.streamNotFound);
    expect(httpStatusOf('CHANGESET_TOO_LARGE')).toBe(413);
    expect(exitCodeOf('ENDPOINT_UNREACHABLE')).toBe(EXIT_CODES.unreachable);
    expect(exitCodeOf('UNAUTHORIZED')).toBe(EXIT_CODES.unauthorized);
    for (const entry of Object.values(ERROR_TABLE)) expect(Object.values(EXIT_CODES)).toContain(entry.exitCode);
    expect(new EesError('INVALID_LIMIT', 'x').status).toBe(400);
  });

  // The codes come from the documentation, not from the table, so a code the API documents but the
  // client would not recognise (or with another status) fails here.
  it('recognises every error code docs/api.md documents, with its documented status', () => {
    const documented = new Map<string, number>();
    const text = readFileSync(new URL('../../docs/api.md', import.meta.url), 'utf8');
    for (const match of text.matchAll(/\b([45]\d\d) `([A-Z][A-Z_]+)`/g)) documented.set(match[2]!, Number(match[1]));
    for (const match of text.matchAll(/\| `([A-Z][A-Z_]+)` \| ([45]\d\d) \|/g)) documented.set(match[1]!, Number(match[2]));
    expect(documented.size).toBeGreaterThanOrEqual(20);
    for (const [code, status] of documented) {
      expect(isErrorCode(code), code).toBe(true);
      if (isErrorCode(code)) expect(httpStatusOf(code), code).toBe(status);
    }
  });

  it('refuses what is no error code, including names every object inherits', () => {
    const notCodes: unknown[] = ['toString', 'constructor', '__proto__', 'hasOwnProperty', 'valueOf', 'invalid_limit', ' INVALID_LIMIT', 'INVALID_LIMIT ', 'INVALID', '', 'ERROR', 400, null, undefined, {}, ['INVALID_LIMIT'], new String('INVALID_LIMIT')];
    for (const value of notCodes) expect(isErrorCode(value), String(value)).toBe(false);
  });
});

describe('expectations', () => {
  const head = { lastChangesetId: 2, lastEventId: 5 };
  it('judges each kind against the head', () => {
    expect(judgeExpectation({ kind: 'changeset', value: 2 }, head)).toBe('accept');
    expect(judgeExpectation({ kind: 'changeset', value: 1 }, head)).toBe('behind');
    expect(judgeExpectation({ kind: 'changeset', value: 3 }, head)).toBe('ahead');
    expect(judgeExpectation({ kind: 'event', value: 5 }, head)).toBe('accept');
    expect(judgeExpectation({ kind: 'event', value: 4 }, head)).toBe('behind');
    expect(judgeExpectation({ kind: 'event', value: 6 }, head)).toBe('ahead');
  });
  it('words the errors exactly as API.md', () => {
    expect(expectationAheadError('s', { kind: 'changeset', value: 3 }, head).message).toBe(
      'The specified expected changeset(3) doesn\'t exist. The "s" stream\'s most recent changeset is 2.',
    );
    const byEvent = expectationAheadError('s', { kind: 'event', value: 9 }, head);
    expect(byEvent.code).toBe('INVALID_EXPECTED_CHANGESET_ID');
    expect(byEvent.message).toBe('The specified expected event(9) doesn\'t exist. The "s" stream\'s most recent event is 5.');
    expect(expectationBehindMessage({ kind: 'event', value: 4 })).toBe('The expected last event (4) is outdated, review the event(s) appended after it.');
  });
});

describe('parseChangesetBody', () => {
  it('stores compact JSON and defaults metadata to {}', () => {
    const parsed = parseChangesetBody('s', expectation, encode('{ "events": [ {"a": 1} , 2 ], "other": true }'));
    expect(parsed).toEqual({ streamId: 's', expectation, events: '[{"a":1},2]', eventCount: 2, metadata: '{}' });
    expect(parseChangesetBody('s', expectation, encode('{"events":[1],"metadata":null}')).metadata).toBe('{}');
  });
  it('refuses bodies that are not JSON, or not a changeset', () => {
    const cases: [string | Uint8Array, string][] = [
      ['', 'INVALID_JSON'],
      ['{"events": [1]', 'INVALID_JSON'],
      [new Uint8Array([0x7b, 0xff, 0x7d]), 'INVALID_JSON'],
      ['[1]', 'INVALID_CHANGESET'],
      ['null', 'INVALID_CHANGESET'],
      ['{}', 'INVALID_CHANGESET'],
      ['{"events": []}', 'INVALID_CHANGESET'],
      ['{"events": {"0": 1}}', 'INVALID_CHANGESET'],
      ['{"events": [1], "metadata": [1]}', 'INVALID_CHANGESET'],
      ['{"events": [1], "metadata": "x"}', 'INVALID_CHANGESET'],
      ['{"events": [1e999]}', 'INVALID_CHANGESET'],
      ['{"events": [1], "metadata": {"n": -2E+400}}', 'INVALID_CHANGESET'],
    ];
    for (const [body, code] of cases) {
      expect(() => parseChangesetBody('s', expectation, typeof body === 'string' ? encode(body) : body), String(body)).toThrow(
        expect.objectContaining({ code, streamId: 's' }),
      );
    }
  });
  it('refuses nesting deeper than the stack allows without crashing', () => {
    const deep = `{"events":[${'['.repeat(200_000)}${']'.repeat(200_000)}]}`;
    expect(() => parseChangesetBody('s', expectation, encode(deep))).toThrow(expect.objectContaining({ code: 'INVALID_CHANGESET' }));
  });
  it('refuses more than 400,000 bytes of events and metadata, counting UTF-8 bytes', () => {
    const fits = JSON.stringify({ events: ['x'.repeat(400_000 - 6)] });
    expect(parseChangesetBody('s', expectation, encode(fits)).events.length + 2).toBe(400_000);
    const over = JSON.stringify({ events: ['é'.repeat(200_000)] });
    expect(() => parseChangesetBody('s', expectation, encode(over))).toThrow(expect.objectContaining({ code: 'CHANGESET_TOO_LARGE' }));
  });
});

describe('splitJsonArray', () => {
  it('splits compact JSON arrays into their elements', () => {
    const values = [1, 'a,b', { x: [1, 2], 'y]': '}' }, [[], {}], null, 'quote " and \\ backslash', '🚀', -0.5e-7];
    const parts = splitJsonArray(JSON.stringify(values));
    expect(parts.map((part) => JSON.parse(part))).toEqual(values);
    expect(splitJsonArray('[]')).toEqual([]);
    expect(splitJsonArray('["\\\\"]')).toEqual(['"\\\\"']);
  });
});

describe('pages', () => {
  const budget = { maxRecords: 2, maxBytes: 1e6 };
  it('sets next_from to the first changeset not returned', () => {
    expect(pageOfChangesets({ records: [record(1, [1]), record(2, [2]), record(3, [3])], exhausted: true }, budget).nextFrom).toBe(3);
    expect(pageOfChangesets({ records: [record(1, [1]), record(2, [2])], exhausted: false }, budget).nextFrom).toBe(3);
    expect(pageOfChangesets({ records: [record(1, [1]), record(2, [2])], exhausted: true }, budget).nextFrom).toBeUndefined();
  });
  it('keeps at least one changeset however large, and cuts by bytes', () => {
    const large = 'x'.repeat(100);
    const page = pageOfChangesets({ records: [record(1, [large]), record(2, [large])], exhausted: true }, { maxRecords: 10, maxBytes: 50 });
    expect(page.changesets.map((r) => r.changesetId)).toEqual([1]);
    expect(page.nextFrom).toBe(2);
  });
  it('cuts events inside a changeset and stops at the range end', () => {
    const records = [record(1, ['a', 'b', 'c'], 0, 1), record(2, ['d', 'e'], 1, 4)];
    expect(pageOfEvents({ records, exhausted: true }, { from: 2, to: Infinity }, { maxRecords: 2, maxBytes: 1e6 })).toEqual({
      events: [
        { id: 2, data: '"b"' },
        { id: 3, data: '"c"' },
      ],
      nextFrom: 4,
    });
    expect(pageOfEvents({ records, exhausted: false }, { from: 1, to: 4 }, { maxRecords: 10, maxBytes: 1e6 }).nextFrom).toBeUndefined();
    expect(pageOfEvents({ records, exhausted: false }, { from: 1, to: Infinity }, { maxRecords: 10, maxBytes: 1e6 }).nextFrom).toBe(6);
  });
  it('stops reading rows at the first that does not fit, or past the range end, and says which', () => {
    let pulled = 0;
    function* rows(): Generator<StoredChangeset> {
      for (let id = 1; id <= 10; id++) {
        pulled++;
        yield record(id, [id, id], id - 1, 2 * id - 1);
      }
    }
    const cut = new BudgetedRecords({ maxRecords: 3, maxBytes: 1e6 });
    expect(cut.takeFrom(rows(), (row) => row)).toBe(false);
    expect(cut.batch()).toMatchObject({ exhausted: false, records: [{ changesetId: 1 }, { changesetId: 2 }, { changesetId: 3 }] });
    expect(pulled).toBe(4);
    pulled = 0;
    const ended = new BudgetedRecords({ maxRecords: 100, maxBytes: 1e6 }, eventRangeEnd({ from: 1, to: 4 }));
    expect(ended.takeFrom(rows(), (row) => row)).toBe(false);
    expect(ended.batch()).toMatchObject({ exhausted: true, records: [{ changesetId: 1 }, { changesetId: 2 }] });
    expect(pulled).toBe(3);
    const all = new BudgetedRecords({ maxRecords: 100, maxBytes: 1e6 });
    expect(all.takeFrom(rows(), (row) => row)).toBe(true);
    expect(all.batch().exhausted).toBe(true);
  });
  it('never steps over a missing checkpoint in the global order', () => {
    const records = [record(1, [1], 4), record(2, [2], 5), record(3, [3], 7)];
    expect(pageOfGlobalOrder(records, 4, 10)).toEqual({ changesets: records.slice(0, 2), nextCheckpoint: 6 });
    expect(pageOfGlobalOrder(records, 3, 10)).toEqual({ changesets: [], nextCheckpoint: 3 });
    expect(pageOfGlobalOrder(records, 4, 1).nextCheckpoint).toBe(5);
  });
});

describe('applyToStatistics', () => {
  it('counts streams, changesets, events and the longest stream', () => {
    const records = [record(1, [1, 2], 0), { ...record(1, [1], 1), streamId: 't' }, record(2, [3], 2, 3)];
    expect(applyToStatistics(EMPTY_STATISTICS, records)).toEqual({
      total_streams: 2,
      total_changesets: 3,
      total_events: 4,
      max_stream_length: 2,
      statistics_version: 3,
    });
  });
  it('ignores what it already counted and stops at a gap', () => {
    const once = applyToStatistics(EMPTY_STATISTICS, [record(1, [1], 0)]);
    expect(applyToStatistics(once, [record(1, [1], 0)])).toEqual(once);
    expect(applyToStatistics(once, [record(2, [1], 2)])).toEqual(once);
  });
});
