import { describe, expect, it } from 'vitest';
import { FILTER_EXAMINE_MAX, FilteredScan, parseGlobalFilter, parseSince } from '../../src/core/global-filter.js';
import type { StoredChangeset } from '../../src/core/types.js';

const record = (checkpoint: number, streamId: string, events: unknown[]): StoredChangeset => ({
  streamId,
  changesetId: 1,
  firstEventId: 1,
  lastEventId: events.length,
  events: JSON.stringify(events),
  metadata: '{}',
  checkpoint,
});

describe('the filtered scan', () => {
  it('examines at most FILTER_EXAMINE_MAX checkpoints, and advances past all of them when none matches', () => {
    const scan = new FilteredScan(5, { streamPrefix: 'a-', types: [] }, { maxRecords: 10, maxBytes: 1e9 });
    let examined = 0;
    for (let checkpoint = 5; scan.examine(checkpoint, record(checkpoint, 'b-1', [1])); checkpoint++) examined++;
    expect(examined + 1).toBe(FILTER_EXAMINE_MAX);
    expect(scan.result()).toEqual({ records: [], nextCheckpoint: 5 + FILTER_EXAMINE_MAX });
  });

  it('stops at a gap, and at a full budget before the record that did not fit', () => {
    const gap = new FilteredScan(0, { streamPrefix: undefined, types: ['x'] }, { maxRecords: 10, maxBytes: 1e9 });
    expect(gap.examine(0, record(0, 's', [{ type: 'x' }]))).toBe(true);
    expect(gap.examine(2, record(2, 's', [{ type: 'x' }]))).toBe(false);
    expect(gap.result().nextCheckpoint).toBe(1);
    const full = new FilteredScan(0, { streamPrefix: undefined, types: ['x'] }, { maxRecords: 1, maxBytes: 1e9 });
    expect(full.examine(0, record(0, 's', [{ type: 'y' }]))).toBe(true);
    expect(full.examine(1, record(1, 's', [{ type: 'x' }]))).toBe(true);
    expect(full.examine(2, record(2, 's', [{ type: 'x' }]))).toBe(false);
    expect(full.result()).toMatchObject({ nextCheckpoint: 2 });
    expect(full.result().records.map((r) => r.checkpoint)).toEqual([1]);
  });

  it("matches an event's type field only: not a string elsewhere, not a non-string type", () => {
    const scan = new FilteredScan(0, { streamPrefix: undefined, types: ['paid'] }, { maxRecords: 10, maxBytes: 1e9 });
    const cases = [[{ note: 'paid' }], ['paid'], [{ type: ['paid'] }], [{ type: 'paid' }], [1, { type: 'paid', n: 2 }]];
    cases.forEach((events, index) => scan.examine(index, record(index, 's', events)));
    expect(scan.result().records.map((r) => r.checkpoint)).toEqual([3, 4]);
  });
});

describe('the filter and since parameters', () => {
  it('treats empty values as absent and refuses bad ones', () => {
    expect(parseGlobalFilter(new URLSearchParams('stream_prefix=&type='))).toBeUndefined();
    expect(parseGlobalFilter(new URLSearchParams('type=a&type=b&type=a'))).toEqual({ streamPrefix: undefined, types: ['a', 'b'] });
    expect(() => parseGlobalFilter(new URLSearchParams(`type=${'x'.repeat(257)}`))).toThrow(expect.objectContaining({ code: 'INVALID_TYPE_FILTER' }));
  });

  it('normalizes since to the commit times’ form, and refuses a time without a zone', () => {
    expect(parseSince('2026-12-01T11:00:00+01:00')).toBe('2026-12-01T10:00:00.000Z');
    expect(parseSince('2026-12-01T10:00Z')).toBe('2026-12-01T10:00:00.000Z');
    for (const bad of ['2026-12-01T10:00:00', '2026-12-01', 'now', '2026-13-01T00:00:00Z']) expect(() => parseSince(bad), bad).toThrow(expect.objectContaining({ code: 'INVALID_SINCE' }));
  });
});
