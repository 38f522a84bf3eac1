import { describe, expect, it } from 'vitest';
import { EesError } from '../../src/core/errors.js';
import { decodeStreamId, parseDecimal, parseExpectation, parseGlobalReadParams, parseIdRange } from '../../src/core/params.js';

function codeOf(action: () => unknown): string | undefined {
  try {
    action();
  } catch (error) {
    if (error instanceof EesError) return error.code;
    throw error;
  }
  return undefined;
}

describe('parseDecimal', () => {
  it('treats empty and absent as absent', () => {
    expect(parseDecimal(undefined)).toBeUndefined();
    expect(parseDecimal('')).toBeUndefined();
  });
  it('accepts decimal digits only', () => {
    expect(parseDecimal('0')).toBe(0);
    expect(parseDecimal('007')).toBe(7);
    for (const raw of ['-1', '+1', '1.0', '1e3', '0x10', ' 1', 'abc', '١']) expect(parseDecimal(raw)).toBeNaN();
  });
  it('refuses integers too large to be exact', () => {
    expect(parseDecimal('9007199254740991')).toBe(9007199254740991);
    expect(parseDecimal('9007199254740992')).toBeNaN();
  });
});

describe('decodeStreamId', () => {
  it('decodes percent-encoded unicode', () => {
    expect(decodeStreamId('%C5%BElu%C5%A5ou%C4%8Dk%C3%BD%20k%C5%AF%C5%88')).toBe('žluťoučký kůň');
  });
  it('refuses empty, slashes, control characters, bad encodings and more than 512 bytes', () => {
    expect(codeOf(() => decodeStreamId(''))).toBe('MISSING_STREAM_ID');
    for (const segment of ['a%2Fb', 'a%00b', 'a%0Ab', 'a%7F', '%C2%85', '%ZZ', '%FF', 'x'.repeat(513), '%C3%A9'.repeat(257)]) {
      expect(codeOf(() => decodeStreamId(segment)), segment.slice(0, 20)).toBe('INVALID_STREAM_ID');
    }
    expect(decodeStreamId('x'.repeat(512))).toHaveLength(512);
    expect(decodeStreamId('%C3%A9'.repeat(256))).toHaveLength(256);
  });
});

describe('parseExpectation', () => {
  it('defaults to a new stream', () => {
    expect(parseExpectation('s', undefined, undefined)).toEqual({ kind: 'changeset', value: 0 });
    expect(parseExpectation('s', '', '')).toEqual({ kind: 'changeset', value: 0 });
  });
  it('takes either kind', () => {
    expect(parseExpectation('s', '3', undefined)).toEqual({ kind: 'changeset', value: 3 });
    expect(parseExpectation('s', '', '12')).toEqual({ kind: 'event', value: 12 });
  });
  it('refuses invalid values in the order of API.md, echoing the raw value', () => {
    const error = (() => {
      try {
        parseExpectation('s', '-1', 'x');
      } catch (caught) {
        return caught as EesError;
      }
    })();
    expect(error?.code).toBe('INVALID_EXPECTED_CHANGESET_ID');
    expect(error?.message).toBe('The specified expected changeset id("-1") is invalid. Expected a positive integer.');
    expect(error?.streamId).toBe('s');
    expect(codeOf(() => parseExpectation('s', '1', 'x'))).toBe('INVALID_EXPECTED_EVENT_ID');
    expect(codeOf(() => parseExpectation('s', '1', '2'))).toBe('BOTH_EXPECTED_CHANGESET_AND_EVENT_ARE_SET');
  });
});

describe('parseIdRange', () => {
  const code = 'INVALID_CHANGESET_FILTERING_PARAMS' as const;
  it('opens the range where from or to is absent, empty or 0', () => {
    expect(parseIdRange('s', undefined, undefined, code)).toEqual({ from: 1, to: Infinity });
    expect(parseIdRange('s', '0', '0', code)).toEqual({ from: 1, to: Infinity });
    expect(parseIdRange('s', '2', '', code)).toEqual({ from: 2, to: Infinity });
    expect(parseIdRange('s', '2', '2', code)).toEqual({ from: 2, to: 2 });
  });
  it('refuses non-digits and an inverted range', () => {
    expect(codeOf(() => parseIdRange('s', 'a', undefined, code))).toBe(code);
    expect(codeOf(() => parseIdRange('s', '1', '-2', 'INVALID_EVENT_FILTERING_PARAMS'))).toBe('INVALID_EVENT_FILTERING_PARAMS');
    expect(() => parseIdRange('s', '5', '3', code)).toThrow('The higher boundary cannot be lower than the lower boundary: 5(from) > 3(to)');
  });
});

describe('parseGlobalReadParams', () => {
  it('applies defaults and caps', () => {
    expect(parseGlobalReadParams(undefined, undefined, undefined)).toEqual({ checkpoint: 0, limit: 10, waitMs: 0 });
    expect(parseGlobalReadParams('', '', '')).toEqual({ checkpoint: 0, limit: 10, waitMs: 0 });
    expect(parseGlobalReadParams('5', '5000', '90')).toEqual({ checkpoint: 5, limit: 1000, waitMs: 20_000 });
    expect(parseGlobalReadParams('5', '99999999999999999999', '99999999999999999999')).toEqual({ checkpoint: 5, limit: 1000, waitMs: 20_000 });
  });
  it('refuses bad values with their own codes and messages', () => {
    expect(() => parseGlobalReadParams('-1', undefined, undefined)).toThrow('"-1" is an invalid checkpoint value. Expected a positive integer value.');
    expect(() => parseGlobalReadParams('1', '0', undefined)).toThrow('"0" is an invalid limit value. Expected an integer value greater than 0.');
    expect(codeOf(() => parseGlobalReadParams('1', '000', undefined))).toBe('INVALID_LIMIT');
    expect(codeOf(() => parseGlobalReadParams('1', '1.5', undefined))).toBe('INVALID_LIMIT');
    expect(() => parseGlobalReadParams('1', '1', '1s')).toThrow('"1s" is an invalid wait value. Expected 0 to 20 seconds.');
  });
});
