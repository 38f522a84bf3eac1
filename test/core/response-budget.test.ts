import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { LIMITS } from '../../src/core/limits.js';
import { CHANGESET_FRAME_BYTES, escapedBytes, EVENT_FRAME_BYTES } from '../../src/core/pages.js';
import { renderGlobalPage, renderStreamChangesets, renderStreamEvents } from '../../src/http/render.js';
import type { StoredChangeset } from '../../src/core/types.js';

const utf8 = (text: string): number => Buffer.byteLength(text, 'utf8');

describe('the response budget', () => {
  it('measures a text as the Lambda runtime does: UTF-8 bytes of its escaped form', () => {
    const cases: [string, number][] = [
      ['a', 1],
      ['"', 2],
      ['\\', 2],
      ['\n', 2],
      ['\u0001', 6],
      ['é', 2],
      ['😀', 4],
      ['\ud800', 6],
    ];
    for (const [text, bytes] of cases) expect(escapedBytes(text), JSON.stringify(text)).toBe(bytes);
  });

  it('never counts stored JSON at more than twice its bytes, so a 400,000-byte changeset always fits a page alone', () => {
    // Stored JSON is JSON.stringify output: no raw control character, no lone surrogate, so every
    // byte escapes to at most two (a quote or a backslash).
    fc.assert(
      fc.property(fc.jsonValue(), fc.string({ unit: 'binary' }), (value, text) => {
        for (const json of [JSON.stringify(value), JSON.stringify([text])]) expect(escapedBytes(json)).toBeLessThanOrEqual(2 * utf8(json));
      }),
      { numRuns: 2_000 },
    );
    // The worst stream id: 512 bytes that each escape twice over (quoted once, escaped again).
    const worstStreamId = escapedBytes(JSON.stringify('"'.repeat(LIMITS.streamIdMaxBytes)));
    const largestChangeset = 2 * LIMITS.changesetMaxBytes + worstStreamId + CHANGESET_FRAME_BYTES;
    expect(largestChangeset).toBeLessThan(LIMITS.responseMaxBytes);
    expect(LIMITS.responseMaxBytes).toBeLessThan(LIMITS.lambdaResponseMaxBytes);
  });

  it('bounds the framing each page adds around a record', () => {
    const largest = Number.MAX_SAFE_INTEGER;
    const record: StoredChangeset = { streamId: 's', changesetId: largest, firstEventId: largest, lastEventId: largest, events: '[0]', metadata: '{}', checkpoint: largest, committedAt: '2026-12-01T10:00:00.000Z' };
    const framed = (render: (records: StoredChangeset[]) => string): number => escapedBytes(render([record, record])) - escapedBytes(render([record]));
    const contents = escapedBytes(record.events) + escapedBytes(record.metadata) + escapedBytes(JSON.stringify(record.streamId));
    expect(framed((records) => renderGlobalPage(0, 1, { changesets: records, nextCheckpoint: 0 })) - contents).toBeLessThanOrEqual(CHANGESET_FRAME_BYTES);
    expect(framed((records) => renderStreamChangesets('s', { changesets: records, nextFrom: undefined })) - contents).toBeLessThanOrEqual(CHANGESET_FRAME_BYTES);
    const event = { id: largest, data: '0' };
    const eventsFramed = escapedBytes(renderStreamEvents('s', { events: [event, event], nextFrom: undefined })) - escapedBytes(renderStreamEvents('s', { events: [event], nextFrom: undefined }));
    expect(eventsFramed - escapedBytes(event.data)).toBeLessThanOrEqual(EVENT_FRAME_BYTES);
  });
});
