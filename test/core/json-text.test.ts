import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { toJsonText } from '../../src/core/json-text.js';

describe('JSON text of stored data at any depth', () => {
  it('prints values nested far deeper than JSON.stringify can', () => {
    for (const depth of [10_000, 100_000, 500_000]) {
      const text = `${'{"a":['.repeat(depth)}1${']}'.repeat(depth)}`;
      const parsed: unknown = JSON.parse(text);
      expect(() => JSON.stringify(parsed)).toThrow(RangeError);
      expect(toJsonText(parsed)).toBe(text);
    }
  });

  it('prints what JSON.stringify prints, also for any content below a depth it cannot reach', () => {
    const depth = 20_000;
    fc.assert(
      fc.property(fc.jsonValue(), (value) => {
        expect(toJsonText(value)).toBe(JSON.stringify(value));
        let deep: unknown = value;
        for (let level = 0; level < depth; level++) deep = [deep];
        expect(toJsonText(deep)).toBe(`${'['.repeat(depth)}${JSON.stringify(value)}${']'.repeat(depth)}`);
      }),
      { numRuns: 30 },
    );
  });
});
