import { describe, expect, it } from 'vitest';
import { checkChangesetLocally, parseChangesetInput } from '../../src/client/input.js';

describe('ees append input', () => {
  it('accepts a changeset object, a bare array, JSON Lines, and a single event', () => {
    expect(parseChangesetInput('{"events": [1, 2], "metadata": {"a": 1}}', 'stdin')).toEqual({ events: [1, 2], metadata: { a: 1 } });
    expect(parseChangesetInput('[{"type": "x"}, 2]\n', 'stdin')).toEqual({ events: [{ type: 'x' }, 2] });
    expect(parseChangesetInput('{"type": "a"}\n\n{"type": "b"}\n', 'stdin')).toEqual({ events: [{ type: 'a' }, { type: 'b' }] });
    expect(parseChangesetInput('{"type": "only"}', 'stdin')).toEqual({ events: [{ type: 'only' }] });
  });

  it('lets --metadata replace the input metadata', () => {
    expect(parseChangesetInput('{"events": [1], "metadata": {"a": 1}}', 'f', { metadata: '{"b": 2}' })).toEqual({ events: [1], metadata: { b: 2 } });
  });

  it('refuses empty input, malformed lines, empty events and bad metadata, naming the problem', () => {
    expect(() => parseChangesetInput('  \n', 'stdin')).toThrow(/stdin is empty/);
    expect(() => parseChangesetInput('{"a": 1}\n{oops\n', 'events.jsonl')).toThrow(/events.jsonl: line 2 is not valid JSON/);
    expect(() => parseChangesetInput('[]', 'stdin')).toThrow(/no events/);
    expect(() => parseChangesetInput('{"events": {}}', 'stdin')).toThrow(/"events" must be an array/);
    expect(() => parseChangesetInput('[1]', 'stdin', { metadata: '[1]' })).toThrow(/--metadata must be a JSON object/);
    expect(() => parseChangesetInput('[1]', 'stdin', { metadata: '{' })).toThrow(/--metadata is not valid JSON/);
  });

  it('applies the server\'s own size and stream id rules before sending', () => {
    const expectation = { kind: 'changeset', value: 0 } as const;
    expect(() => checkChangesetLocally('s', expectation, { events: ['x'.repeat(400_001)] })).toThrow(expect.objectContaining({ code: 'CHANGESET_TOO_LARGE' }));
    expect(() => checkChangesetLocally('s', expectation, { events: [1] })).not.toThrow();
  });

  it('refuses what looks like a changeset envelope without "events", unless --raw', () => {
    expect(() => parseChangesetInput('{"evnets": [{"type": "a"}], "metadata": {}}', 'stdin')).toThrow(/"evnets" looks like a misspelt "events"/);
    expect(() => parseChangesetInput('{"Events": [1]}', 'stdin')).toThrow(/"Events" looks like a misspelt "events"/);
    expect(() => parseChangesetInput('{"event": {"type": "a"}}', 'stdin')).toThrow(/misspelt/);
    expect(() => parseChangesetInput('{"metadata": {"by": "x"}, "type": "a"}', 'stdin')).toThrow(/"metadata" but no "events"/);
    expect(parseChangesetInput('{"evnets": [1], "metadata": {}}', 'stdin', { raw: true })).toEqual({ events: [{ evnets: [1], metadata: {} }] });
    // Keys that are not one edit away are plain event data.
    expect(parseChangesetInput('{"extents": [1]}', 'stdin')).toEqual({ events: [{ extents: [1] }] });
    // JSON Lines events may carry a metadata field of their own.
    expect(parseChangesetInput('{"type": "a", "metadata": {}}\n{"type": "b"}\n', 'stdin')).toEqual({ events: [{ type: 'a', metadata: {} }, { type: 'b' }] });
  });

  it("recognises ees's own read and tail output and points to --data-only", () => {
    const changesets = '{"stream_id":"a","changeset_id":1,"events":[1],"metadata":{}}\n{"stream_id":"a","changeset_id":2,"events":[2],"metadata":{}}\n';
    expect(() => parseChangesetInput(changesets, 'stdin')).toThrow(/ees's own output \(records of stream "a"\).*ees read a --data-only \| ees append TARGET/);
    expect(() => parseChangesetInput('{"stream_id":"a","changeset_id":1,"events":[1],"metadata":{},"checkpoint":0}', 'stdin')).toThrow(/ees's own output/);
    expect(() => parseChangesetInput('{"stream_id":"a","event_id":1,"data":{"x":1}}\n', 'stdin')).toThrow(/ees's own output/);
    expect(() => parseChangesetInput('{"events":[1]}\n{"events":[2]}\n', 'stdin')).toThrow(/several changeset objects/);
    expect(parseChangesetInput(changesets, 'stdin', { raw: true }).events).toHaveLength(2);
  });
});
