import { EesError } from './errors.js';
import type { Expectation, StreamHead } from './types.js';

export type Verdict = 'accept' | 'behind' | 'ahead';

/** Compares an expectation with the stream's head: the whole concurrency rule of a commit. */
export function judgeExpectation(expectation: Expectation, head: StreamHead): Verdict {
  const last = expectation.kind === 'changeset' ? head.lastChangesetId : head.lastEventId;
  if (expectation.value === last) return 'accept';
  return expectation.value < last ? 'behind' : 'ahead';
}

/** The 400 for an expectation the stream has not reached (rule 7). */
export function expectationAheadError(streamId: string, expectation: Expectation, head: StreamHead): EesError {
  return expectation.kind === 'changeset'
    ? new EesError(
        'INVALID_EXPECTED_CHANGESET_ID',
        `The specified expected changeset(${expectation.value}) doesn't exist. The "${streamId}" stream's most recent changeset is ${head.lastChangesetId}.`,
        { streamId },
      )
    : new EesError(
        'INVALID_EXPECTED_CHANGESET_ID',
        `The specified expected event(${expectation.value}) doesn't exist. The "${streamId}" stream's most recent event is ${head.lastEventId}.`,
        { streamId },
      );
}

/** The message of the 409 for an expectation another writer overtook (rule 6). */
export function expectationBehindMessage(expectation: Expectation): string {
  return expectation.kind === 'changeset'
    ? `The expected last changeset (${expectation.value}) is outdated, review the changeset(s) appended after it.`
    : `The expected last event (${expectation.value}) is outdated, review the event(s) appended after it.`;
}
