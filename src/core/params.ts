import { EesError, type ErrorCode } from './errors.js';
import { LIMITS } from './limits.js';
import type { Expectation, IdRange } from './types.js';

const DIGITS = /^[0-9]+$/;
// C0 controls, DEL and C1 controls.
const CONTROL_CHARACTERS = /[\u0000-\u001f\u007f-\u009f]/;

/**
 * Parses a decimal integer parameter. `undefined` and `''` both mean absent. Returns NaN when the
 * value is not decimal digits, or too large to be exact (above 2^53 - 1); callers turn that into
 * their own error code.
 */
export function parseDecimal(raw: string | undefined | null): number | undefined {
  if (raw === undefined || raw === null || raw === '') return undefined;
  if (!DIGITS.test(raw)) return Number.NaN;
  const value = Number(raw);
  return Number.isSafeInteger(value) ? value : Number.NaN;
}

/** Decodes one percent-encoded path segment into a stream id, enforcing the stream id rules. */
export function decodeStreamId(segment: string): string {
  let streamId: string;
  try {
    streamId = decodeURIComponent(segment);
  } catch {
    throw invalidStreamId();
  }
  if (streamId === '') throw new EesError('MISSING_STREAM_ID', 'stream_id is a required value');
  validateStreamId(streamId);
  return streamId;
}

export function validateStreamId(streamId: string): void {
  const bytes = Buffer.byteLength(streamId, 'utf8');
  if (bytes === 0) throw new EesError('MISSING_STREAM_ID', 'stream_id is a required value');
  if (bytes > LIMITS.streamIdMaxBytes || streamId.includes('/') || CONTROL_CHARACTERS.test(streamId) || hasLoneSurrogate(streamId)) {
    throw invalidStreamId();
  }
}

function hasLoneSurrogate(text: string): boolean {
  return !text.isWellFormed();
}

function invalidStreamId(): EesError {
  return new EesError('INVALID_STREAM_ID', 'The stream id must be 1 to 512 UTF-8 bytes, without control characters or "/".');
}

/** The concurrency expectation of a commit, from its query parameters (rules 2 to 4 of API.md). */
export function parseExpectation(streamId: string, rawChangeset: string | undefined, rawEvent: string | undefined): Expectation {
  const changeset = parseDecimal(rawChangeset);
  if (Number.isNaN(changeset)) {
    throw new EesError(
      'INVALID_EXPECTED_CHANGESET_ID',
      `The specified expected changeset id("${rawChangeset}") is invalid. Expected a positive integer.`,
      { streamId },
    );
  }
  const event = parseDecimal(rawEvent);
  if (Number.isNaN(event)) {
    throw new EesError(
      'INVALID_EXPECTED_EVENT_ID',
      `The specified expected event id("${rawEvent}") is invalid. Expected a positive integer.`,
      { streamId },
    );
  }
  if (changeset !== undefined && event !== undefined) {
    throw new EesError(
      'BOTH_EXPECTED_CHANGESET_AND_EVENT_ARE_SET',
      'Cannot use both "last_changeset_id" and "last_event_id" for concurrency management. Specify only one value.',
      { streamId },
    );
  }
  if (event !== undefined) return { kind: 'event', value: event };
  // Concurrency control is mandatory: no expectation means "the stream must not exist yet".
  return { kind: 'changeset', value: changeset ?? 0 };
}

/**
 * A read range from `from`/`to`. Empty or 0 counts as absent, as in the original; the range is
 * then open at that end.
 */
export function parseIdRange(
  streamId: string,
  rawFrom: string | undefined,
  rawTo: string | undefined,
  code: 'INVALID_CHANGESET_FILTERING_PARAMS' | 'INVALID_EVENT_FILTERING_PARAMS',
): IdRange {
  const from = parseDecimal(rawFrom);
  const to = parseDecimal(rawTo);
  if (Number.isNaN(from) || Number.isNaN(to)) {
    throw new EesError(code, 'The filtering params(from, to) have to be positive integer values', { streamId });
  }
  const lower = from || undefined;
  const upper = to || undefined;
  if (lower !== undefined && upper !== undefined && lower > upper) {
    throw new EesError(code, `The higher boundary cannot be lower than the lower boundary: ${lower}(from) > ${upper}(to)`, { streamId });
  }
  return { from: lower ?? 1, to: upper ?? Number.POSITIVE_INFINITY };
}

export interface GlobalReadParams {
  readonly checkpoint: number;
  /** The limit in force, after capping. */
  readonly limit: number;
  /** Long-poll time in milliseconds, after capping. */
  readonly waitMs: number;
}

export function parseGlobalReadParams(rawCheckpoint: string | undefined, rawLimit: string | undefined, rawWait: string | undefined): GlobalReadParams {
  const checkpoint = parseDecimal(rawCheckpoint);
  if (Number.isNaN(checkpoint)) {
    throw new EesError('INVALID_CHECKPOINT', `"${rawCheckpoint}" is an invalid checkpoint value. Expected a positive integer value.`);
  }
  const limit = parseDecimal(rawLimit);
  if (Number.isNaN(limit) || limit === 0) {
    // Digits too large to be exact are still a valid request for "as many as allowed".
    if (!(rawLimit !== undefined && DIGITS.test(rawLimit) && /[1-9]/.test(rawLimit))) {
      throw new EesError('INVALID_LIMIT', `"${rawLimit}" is an invalid limit value. Expected an integer value greater than 0.`);
    }
  }
  const wait = parseDecimal(rawWait);
  if (Number.isNaN(wait) && !(rawWait !== undefined && DIGITS.test(rawWait))) {
    throw new EesError('INVALID_WAIT', `"${rawWait}" is an invalid wait value. Expected 0 to 20 seconds.`);
  }
  return {
    checkpoint: checkpoint ?? 0,
    limit: Number.isNaN(limit) ? LIMITS.globalMaxLimit : Math.min(limit ?? LIMITS.globalDefaultLimit, LIMITS.globalMaxLimit),
    waitMs: Number.isNaN(wait) ? LIMITS.waitMaxSeconds * 1000 : Math.min(wait ?? 0, LIMITS.waitMaxSeconds) * 1000,
  };
}

/**
 * A query parameter that may be given once. A repeated one is refused with the parameter's own
 * code: a proxy that takes the last value and a server that takes the first would judge two
 * different requests.
 */
export function singleParam(query: URLSearchParams, name: string, code: ErrorCode, streamId?: string): string | undefined {
  const values = query.getAll(name);
  if (values.length > 1) {
    throw new EesError(code, `The "${name}" parameter is given ${values.length} times; give it at most once.`, { streamId });
  }
  return values[0];
}

