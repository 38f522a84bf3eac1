/**
 * The one error table: every error code the API or the CLI can report, with its HTTP status and
 * the exit code the CLI uses for it. Callers match on `code`, never on message text.
 */
export const ERROR_TABLE = {
  MISSING_STREAM_ID: { status: 400, exitCode: 2 },
  INVALID_STREAM_ID: { status: 400, exitCode: 2 },
  INVALID_EXPECTED_CHANGESET_ID: { status: 400, exitCode: 2 },
  INVALID_EXPECTED_EVENT_ID: { status: 400, exitCode: 2 },
  BOTH_EXPECTED_CHANGESET_AND_EVENT_ARE_SET: { status: 400, exitCode: 2 },
  INVALID_JSON: { status: 400, exitCode: 2 },
  INVALID_CHANGESET: { status: 400, exitCode: 2 },
  CHANGESET_TOO_LARGE: { status: 413, exitCode: 2 },
  UNSUPPORTED_MEDIA_TYPE: { status: 415, exitCode: 2 },
  OPTIMISTIC_CONCURRENCY_EXCEPTION: { status: 409, exitCode: 3 },
  INVALID_CHANGESET_FILTERING_PARAMS: { status: 400, exitCode: 2 },
  INVALID_EVENT_FILTERING_PARAMS: { status: 400, exitCode: 2 },
  STREAM_NOT_FOUND: { status: 404, exitCode: 4 },
  INVALID_CHECKPOINT: { status: 400, exitCode: 2 },
  INVALID_LIMIT: { status: 400, exitCode: 2 },
  INVALID_WAIT: { status: 400, exitCode: 2 },
  INVALID_ENDPOINT: { status: 404, exitCode: 1 },
  // Consumers (named positions in the global order).
  INVALID_CONSUMER_NAME: { status: 400, exitCode: 2 },
  INVALID_POSITION: { status: 400, exitCode: 2 },
  CONSUMER_NOT_FOUND: { status: 404, exitCode: 4 },
  CONSUMER_POSITION_CONFLICT: { status: 409, exitCode: 3 },
  POSITION_BEYOND_HEAD: { status: 409, exitCode: 2 },
  TOO_MANY_CONSUMERS: { status: 409, exitCode: 2 },
  // Filtered reads, stream listing, positions by time, idempotent commits.
  INVALID_STREAM_PREFIX: { status: 400, exitCode: 2 },
  INVALID_TYPE_FILTER: { status: 400, exitCode: 2 },
  INVALID_SINCE: { status: 400, exitCode: 2 },
  INVALID_STREAM_LISTING_PARAMS: { status: 400, exitCode: 2 },
  INVALID_IDEMPOTENCY_KEY: { status: 400, exitCode: 2 },
  IDEMPOTENCY_KEY_REUSED: { status: 422, exitCode: 2 },
  METHOD_NOT_ALLOWED: { status: 405, exitCode: 1 },
  UNAUTHORIZED: { status: 401, exitCode: 6 },
  FORBIDDEN: { status: 403, exitCode: 6 },
  INTERNAL_ERROR: { status: 500, exitCode: 1 },
  // Refused by the HTTP layer before the API saw the request.
  MALFORMED_REQUEST: { status: 400, exitCode: 1 },
  REQUEST_TIMEOUT: { status: 408, exitCode: 5 },
  EXPECTATION_FAILED: { status: 417, exitCode: 1 },
  REQUEST_HEADERS_TOO_LARGE: { status: 431, exitCode: 2 },
  // Client-side only: never sent by the server.
  INVALID_USAGE: { status: 400, exitCode: 2 },
  ENDPOINT_UNREACHABLE: { status: 503, exitCode: 5 },
  // The endpoint answered, but not as an ees server (a wrong URL, a proxy's page).
  NOT_AN_EES_SERVER: { status: 502, exitCode: 5 },
  // A commit was sent and no answer came back: it may or may not be stored.
  COMMIT_OUTCOME_UNKNOWN: { status: 504, exitCode: 7 },
  // `ees tail --exec`: the command failed on a batch; the position was kept.
  EXEC_FAILED: { status: 500, exitCode: 8 },
  // `ees dlq show|redrive ID`: no such message in the dead-letter queues.
  DEAD_LETTER_NOT_FOUND: { status: 404, exitCode: 4 },
} as const satisfies Record<string, { status: number; exitCode: number }>;

export type ErrorCode = keyof typeof ERROR_TABLE;

/** CLI exit codes, as documented in the README and `ees --help`. */
export const EXIT_CODES = {
  success: 0,
  unexpected: 1,
  invalidInput: 2,
  conflict: 3,
  streamNotFound: 4,
  unreachable: 5,
  unauthorized: 6,
  outcomeUnknown: 7,
  execFailed: 8,
} as const;

export function isErrorCode(value: unknown): value is ErrorCode {
  return typeof value === 'string' && Object.hasOwn(ERROR_TABLE, value);
}

export function httpStatusOf(code: ErrorCode): number {
  return ERROR_TABLE[code].status;
}

export function exitCodeOf(code: ErrorCode): number {
  return ERROR_TABLE[code].exitCode;
}

/**
 * A rule was broken. `details` are extra keys of the API error body (e.g. forthcoming_changesets);
 * `streamId` is included whenever the request named a stream.
 */
export class EesError extends Error {
  readonly code: ErrorCode;
  readonly streamId: string | undefined;
  readonly details: Record<string, unknown> | undefined;

  constructor(code: ErrorCode, message: string, options: { streamId?: string | undefined; details?: Record<string, unknown> | undefined; cause?: unknown } = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'EesError';
    this.code = code;
    this.streamId = options.streamId;
    this.details = options.details;
  }

  get status(): number {
    return httpStatusOf(this.code);
  }

  get exitCode(): number {
    return exitCodeOf(this.code);
  }
}
