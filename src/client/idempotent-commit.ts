import { randomUUID } from 'node:crypto';
import { EesError } from '../core/errors.js';
import type { ChangesetBody, CommitResult, EesClient, ExpectationParam } from './http-client.js';
import { retrying } from './retrying.js';

export interface IdempotentCommitOptions {
  /** The commit id sent as Idempotency-Key; a new UUID by default. */
  readonly commitId?: string | undefined;
  /** Attempts in all while the outcome is unknown (4). */
  readonly attempts?: number | undefined;
  readonly retryBaseMs?: number | undefined;
  readonly signal?: AbortSignal | undefined;
  /** Told before each retry, e.g. to say so on stderr. */
  readonly onRetry?: ((notice: { error: EesError; attempt: number; retryInMs: number }) => void) | undefined;
}

/** Failures of a later attempt that leave unknown whether an earlier attempt was stored. */
const LATER_FAILURES = new Set(['INTERNAL_ERROR', 'ENDPOINT_UNREACHABLE']);

/**
 * Commits with a commit id, retrying while the outcome is unknown (a timeout, a dropped connection):
 * the server answers a retry of a stored commit with its changeset (replayed), so a flaky
 * network gives neither a duplicate changeset nor a spurious conflict. A conflict or a refusal is
 * never retried.
 */
export async function commitWithRetries(
  client: EesClient,
  streamId: string,
  changeset: ChangesetBody,
  expectation: ExpectationParam,
  options: IdempotentCommitOptions = {},
): Promise<CommitResult & { readonly commit_id: string }> {
  const commitId = options.commitId ?? randomUUID();
  const attempts = options.attempts ?? 4;
  let maybeStored = false;
  try {
    const result = await retrying(() => client.commit(streamId, changeset, expectation, { commitId }), {
      signal: options.signal,
      retryAfter: (outcome, attempt) => {
        // Only a commit sent without an answer (a timeout, a dropped connection) is retried; a 5xx is an answer.
        if (outcome.ok || !(outcome.error instanceof EesError) || outcome.error.code !== 'COMMIT_OUTCOME_UNKNOWN') return undefined;
        maybeStored = true;
        if (attempt + 1 >= attempts) return undefined;
        const retryInMs = (options.retryBaseMs ?? 200) * 3 ** attempt;
        options.onRetry?.({ error: outcome.error, attempt, retryInMs });
        return retryInMs;
      },
    });
    return { ...result, commit_id: commitId };
  } catch (error) {
    // An attempt that may have landed makes the whole outcome unknown, whatever the last one said.
    if (maybeStored && error instanceof EesError && LATER_FAILURES.has(error.code)) {
      throw new EesError('COMMIT_OUTCOME_UNKNOWN', `An attempt of the commit may be stored, and the last one failed: ${error.message}`, { cause: error });
    }
    if (error instanceof EesError && error.code === 'COMMIT_OUTCOME_UNKNOWN') {
      throw new EesError('COMMIT_OUTCOME_UNKNOWN', `${error.message.replace(/\.$/, '')} (after ${attempts} attempts with commit id ${commitId}; retrying with --commit-id ${commitId} is safe).`, {
        cause: error,
      });
    }
    throw error;
  }
}
