import { EesError } from './errors.js';
import type { CommitOutcome, NewChangeset } from './types.js';

/** The header a commit carries its client-chosen commit id in, and the one a replayed answer carries. */
export const IDEMPOTENCY_KEY_HEADER = 'idempotency-key';
export const REPLAYED_HEADER = 'idempotent-replayed';
export const COMMIT_ID_MAX_LENGTH = 128;
const COMMIT_ID = /^[\x21-\x7e]+$/;

/** The commit id of a request, or undefined without the header (an empty one is absent too). */
export function parseCommitId(streamId: string, header: string | string[] | undefined): string | undefined {
  if (Array.isArray(header)) throw invalidCommitId(streamId, 'The Idempotency-Key header is given more than once.');
  if (header === undefined || header === '') return undefined;
  if (header.length > COMMIT_ID_MAX_LENGTH || !COMMIT_ID.test(header)) {
    throw invalidCommitId(streamId, `The Idempotency-Key must be 1 to ${COMMIT_ID_MAX_LENGTH} visible ASCII characters (e.g. a UUID).`);
  }
  return header;
}

function invalidCommitId(streamId: string, message: string): EesError {
  return new EesError('INVALID_IDEMPOTENCY_KEY', message, { streamId });
}

/** The stored changeset directly after a commit's expectation, as the replay rule needs it. */
export interface ChangesetAfterExpectation {
  readonly changesetId: number;
  readonly firstEventId: number;
  readonly events: string;
  readonly metadata: string;
  readonly commitId: string | undefined;
}

/**
 * The one replay rule, for every engine. A commit that is behind is a retry of a stored one when
 * the changeset directly after its expectation (changeset N + 1, or the one starting at event N + 1)
 * carries its commit id: the original was accepted on that very expectation, so that is where it
 * landed, whatever the stream received since. The same id with another body is refused.
 */
export function replayOf(changeset: NewChangeset, after: ChangesetAfterExpectation | undefined): CommitOutcome | undefined {
  if (changeset.commitId === undefined || after === undefined || after.commitId !== changeset.commitId) return undefined;
  const landed = changeset.expectation.kind === 'changeset' ? after.changesetId === changeset.expectation.value + 1 : after.firstEventId === changeset.expectation.value + 1;
  if (!landed) return undefined;
  const sameBody = after.events === changeset.events && after.metadata === changeset.metadata;
  return { status: sameBody ? 'replayed' : 'commit_id_reused', changesetId: after.changesetId };
}

export function commitIdReusedError(streamId: string, changesetId: number): EesError {
  return new EesError(
    'IDEMPOTENCY_KEY_REUSED',
    `This Idempotency-Key was used for changeset ${changesetId} of this stream with a different body; a retry must send the same changeset.`,
    { streamId },
  );
}
