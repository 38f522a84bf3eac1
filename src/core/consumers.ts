import { EesError } from './errors.js';
import { parseDecimal } from './params.js';

/**
 * Consumers: named positions in the global order, kept by the event store. A position is the
 * next checkpoint the consumer reads (what `next_checkpoint` and checkpoint files hold), so it is
 * 0 to the head. Updates are compare-and-set: an advance names the position it moves from.
 */

const CONSUMER_NAME = /^[A-Za-z0-9][A-Za-z0-9._-]{0,99}$/;

/** At most this many consumers per store: the DynamoDB engine keeps them in one meta item (400 KB). */
export const MAX_CONSUMERS = 1000;

export interface ConsumerPosition {
  readonly name: string;
  readonly position: number;
}

/** What a compare-and-set save expects the stored position to be: absent, a position, or anything (reset). */
export type ConsumerExpectation = { readonly kind: 'absent' } | { readonly kind: 'at'; readonly position: number } | { readonly kind: 'any' };

export type ConsumerSaveOutcome =
  | { readonly status: 'saved' }
  /** The stored position was not the expected one; `current` is undefined when the consumer does not exist. */
  | { readonly status: 'conflict'; readonly current: number | undefined }
  | { readonly status: 'full' };

export function validateConsumerName(name: string): string {
  if (!CONSUMER_NAME.test(name)) {
    throw new EesError('INVALID_CONSUMER_NAME', 'A consumer name is 1 to 100 letters, digits, ".", "_" or "-", starting with a letter or digit.');
  }
  return name;
}

/** Decodes a path segment into a consumer name (names need no percent-encoding, so none is decoded). */
export function consumerNameOf(segment: string): string {
  return validateConsumerName(segment);
}

export function parsePosition(raw: string | undefined | null, parameter: string): number | undefined {
  const value = parseDecimal(raw);
  if (Number.isNaN(value)) throw new EesError('INVALID_POSITION', `"${raw}" is an invalid ${parameter}. Expected a checkpoint: an integer of 0 or more.`);
  return value;
}

export function requirePosition(raw: string | undefined | null, parameter: string): number {
  const value = parsePosition(raw, parameter);
  if (value === undefined) throw new EesError('INVALID_POSITION', `${parameter} is required: the checkpoint to move the consumer to.`);
  return value;
}

/** An advance moves forward only: moving a consumer back is a reset, which says so. */
export function checkAdvance(name: string, from: number, to: number): void {
  if (to < from) {
    throw new EesError('INVALID_POSITION', `An advance cannot move consumer ${name} back from ${from} to ${to}; reset it instead.`);
  }
}

export function checkWithinHead(position: number, head: number): void {
  if (position > head) {
    throw new EesError('POSITION_BEYOND_HEAD', `Position ${position} is beyond the head of the global order (${head}).`, { details: { head } });
  }
}

export function consumerNotFound(name: string): EesError {
  return new EesError('CONSUMER_NOT_FOUND', `The consumer ${name} does not exist.`);
}

export function positionConflict(name: string, expectation: ConsumerExpectation, current: number | undefined): EesError {
  const expected = expectation.kind === 'at' ? `at ${expectation.position}` : 'not to exist yet';
  const actual = current === undefined ? 'it does not exist' : `it is at ${current}`;
  return new EesError('CONSUMER_POSITION_CONFLICT', `The consumer ${name} was expected ${expected}, but ${actual}: another runner moved it.`, {
    details: current === undefined ? {} : { position: current },
  });
}

export function tooManyConsumers(): EesError {
  return new EesError('TOO_MANY_CONSUMERS', `A store keeps at most ${MAX_CONSUMERS} consumers: delete unused ones first.`);
}

/** The judgement of a compare-and-set against the stored position, shared by the engines. */
export function expectationHolds(expectation: ConsumerExpectation, current: number | undefined): boolean {
  switch (expectation.kind) {
    case 'any':
      return true;
    case 'absent':
      return current === undefined;
    case 'at':
      return current === expectation.position;
  }
}
