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
});
