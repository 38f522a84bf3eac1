import { EesError, type ErrorCode } from '../core/errors.js';
import type { Changeset, Expect } from './types.js';

export { EesError };
export type { ErrorCode };

/**
 * One class per family of API errors. Each is an EesError with the API's own `code` (and the CLI's
 * exit code), so callers match on the class or the code, never on message text.
 */
export class InvalidRequestError extends EesError {}

/** A stream or consumer that does not exist. */
export class NotFoundError extends EesError {}

/** The server refused the credentials (401) or the access (403). */
export class UnauthorizedError extends EesError {}

/** No answer from the endpoint, or not an ees answer (a wrong URL, a proxy's page). */
export class UnreachableError extends EesError {}

/** The server failed (5xx) or gave up on the request (408). Reads retry these themselves. */
export class ServerError extends EesError {}

/** A consumer's position moved under this runner, or cannot move there. */
export class ConsumerConflictError extends EesError {}

/**
 * A commit was sent and its answer was lost: it may be stored. Read the stream (or retry with the
 * same expectation, which cannot commit twice) to settle it; never retried blindly by the client.
 */
export class OutcomeUnknownError extends EesError {}

/**
 * The stream is not where the writer expected: another writer committed after the expectation
 * (`OPTIMISTIC_CONCURRENCY_EXCEPTION`), or the expectation is ahead of the stream
 * (`INVALID_EXPECTED_CHANGESET_ID` answered to a well-formed expectation, e.g. a stream that does not exist).
 */
export class ConflictError<E = unknown> extends EesError {
  readonly expected: Expect;
  /** The changesets committed after the expectation, oldest first (at most 100: the API's cap). */
  readonly forthcoming: readonly Changeset<E>[];
  /** The stream's last changeset as the conflict showed it (the last forthcoming one), when known. */
  readonly actualChangesetId: number | undefined;

  constructor(error: EesError, expected: Expect, forthcoming: readonly Changeset<E>[]) {
    super(error.code, error.message, { ...optionsOf(error), cause: error.cause });
    this.expected = expected;
    this.forthcoming = forthcoming;
    this.actualChangesetId = forthcoming.at(-1)?.changesetId;
  }
}

type ErrorFamily = new (code: ErrorCode, message: string, options: { streamId?: string; details?: Record<string, unknown>; cause?: unknown }) => EesError;

const FAMILY_OF: Partial<Record<ErrorCode, ErrorFamily>> = {
  STREAM_NOT_FOUND: NotFoundError,
  CONSUMER_NOT_FOUND: NotFoundError,
  UNAUTHORIZED: UnauthorizedError,
  FORBIDDEN: UnauthorizedError,
  ENDPOINT_UNREACHABLE: UnreachableError,
  NOT_AN_EES_SERVER: UnreachableError,
  INVALID_ENDPOINT: UnreachableError,
  INTERNAL_ERROR: ServerError,
  REQUEST_TIMEOUT: ServerError,
  COMMIT_OUTCOME_UNKNOWN: OutcomeUnknownError,
  CONSUMER_POSITION_CONFLICT: ConsumerConflictError,
  POSITION_BEYOND_HEAD: ConsumerConflictError,
  TOO_MANY_CONSUMERS: ConsumerConflictError,
};

function optionsOf(error: EesError): { streamId?: string; details?: Record<string, unknown> } {
  return { ...(error.streamId === undefined ? {} : { streamId: error.streamId }), ...(error.details === undefined ? {} : { details: error.details }) };
}

/** The typed error for a failure of the low-level client; anything that is not an EesError passes through. */
export function typedError(error: unknown): unknown {
  if (!(error instanceof EesError) || error.constructor !== EesError) return error;
  const Family = FAMILY_OF[error.code] ?? (error.status >= 400 && error.status < 500 ? InvalidRequestError : ServerError);
  return new Family(error.code, error.message, { ...optionsOf(error), cause: error.cause });
}

export const isEesError = (error: unknown): error is EesError => error instanceof EesError;
export const isConflict = (error: unknown): error is ConflictError => error instanceof ConflictError;
export const isNotFound = (error: unknown): error is NotFoundError => error instanceof NotFoundError;
export const isInvalidRequest = (error: unknown): error is InvalidRequestError => error instanceof InvalidRequestError;
export const isUnauthorized = (error: unknown): error is UnauthorizedError => error instanceof UnauthorizedError;
export const isUnreachable = (error: unknown): error is UnreachableError => error instanceof UnreachableError;
export const isServerError = (error: unknown): error is ServerError => error instanceof ServerError;
export const isOutcomeUnknown = (error: unknown): error is OutcomeUnknownError => error instanceof OutcomeUnknownError;
export const isConsumerConflict = (error: unknown): error is ConsumerConflictError => error instanceof ConsumerConflictError;
