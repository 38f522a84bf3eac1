import { EesError, EXIT_CODES } from '../core/errors.js';
import type { Expectation } from '../core/types.js';

/**
 * The stream is not where the writer expected: it is behind the expectation (e.g. --expect 1 on
 * a stream that does not exist). For a script that is the same situation as a conflict (read the
 * stream again, decide again), so it exits 3; the JSON error keeps the API's own code.
 */
export class ExpectationAheadError extends EesError {
  override get exitCode(): number {
    return EXIT_CODES.conflict;
  }
}

const describe = (expectation: Expectation): string => `${expectation.kind} ${expectation.value}`;

/** What `ees append` reports when a commit fails: the server's error, explained for the writer. */
export function explainCommitFailure(error: unknown, streamId: string, expectation: Expectation): unknown {
  if (!(error instanceof EesError)) return error;
  const details = error.details;
  switch (error.code) {
    case 'OPTIMISTIC_CONCURRENCY_EXCEPTION': {
      const missed = (details?.['forthcoming_changesets'] as unknown[] | undefined)?.length ?? 0;
      return new EesError(
        'OPTIMISTIC_CONCURRENCY_EXCEPTION',
        `Conflict: "${streamId}" has moved past ${describe(expectation)}; ${missed} changeset(s) were committed after it. Read them (ees read ${streamId}) and retry.`,
        { streamId, details },
      );
    }
    case 'INVALID_EXPECTED_CHANGESET_ID':
    case 'INVALID_EXPECTED_EVENT_ID':
      // The expectation was checked locally before sending, so the server refused its value: ahead of the stream.
      return new ExpectationAheadError(error.code, `Conflict: ${error.message} Nothing was committed; see where it ends with ees info ${streamId}.`, {
        streamId,
        details,
      });
    case 'COMMIT_OUTCOME_UNKNOWN': {
      const check =
        expectation.kind === 'changeset'
          ? `ees read ${streamId} --from ${expectation.value + 1} shows whether changeset ${expectation.value + 1} is there`
          : `ees info ${streamId} shows whether its last event is past ${expectation.value}`;
      return new EesError('COMMIT_OUTCOME_UNKNOWN', `${error.message.replace(/\.$/, '')}; ${check}. Retrying with the same expectation is safe: it cannot commit twice.`, {
        streamId,
        cause: error,
      });
    }
    default:
      return error;
  }
}
