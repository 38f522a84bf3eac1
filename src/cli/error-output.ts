import { EesError, type ErrorCode } from '../core/errors.js';

/** An error's message as one line: what ees prints on stderr after `ees: `. */
export function oneLine(message: string): string {
  return message
    .split('\n')
    .map((line) => line.trim())
    .filter((line) => line !== '')
    .join(' ');
}

/** The code an error reports under --json: the API's own when the server sent one. */
export function errorCodeOf(error: unknown, exitCode: number): ErrorCode {
  if (error instanceof EesError) return error.code;
  return exitCode === 2 ? 'INVALID_USAGE' : 'INTERNAL_ERROR';
}

/**
 * The one JSON object every failure prints on stdout under --json:
 * `{"error": CODE, "message": …, "exit_code": N}`, plus the API error body's other keys (such as
 * a conflict's forthcoming_changesets) and any the command adds.
 */
export function errorJson(error: unknown, message: string, exitCode: number, extras: Record<string, unknown> = {}): Record<string, unknown> {
  const details = error instanceof EesError ? (error.details ?? {}) : {};
  const streamId: Record<string, unknown> = error instanceof EesError && error.streamId !== undefined ? { stream_id: error.streamId } : {};
  const { error: _code, message: _message, exit_code: _exit, ...rest } = { ...streamId, ...details, ...extras };
  return { error: errorCodeOf(error, exitCode), message, exit_code: exitCode, ...rest };
}

/** Reports a failure the way every ees command does: one line on stderr, and the JSON object on stdout under --json. */
export function reportFailure(error: unknown, options: { exitCode: number; json: boolean; extras?: Record<string, unknown> }): void {
  const message = oneLine(error instanceof Error ? error.message : String(error));
  process.stderr.write(`ees: ${message}\n`);
  if (options.json) process.stdout.write(`${JSON.stringify(errorJson(error, message, options.exitCode, options.extras))}\n`);
}
