import { sleep } from '../core/sleep.js';

/** How one attempt ended. */
export type Attempt<T> = { readonly ok: true; readonly value: T } | { readonly ok: false; readonly error: unknown };

export interface RetryOptions<T> {
  /** Ends a pause at once and stops further attempts. */
  readonly signal?: AbortSignal | undefined;
  /** The pause before trying again after attempt `attempt` (0-based), or undefined to settle with this outcome. May throw. */
  readonly retryAfter: (outcome: Attempt<T>, attempt: number) => number | undefined;
}

/**
 * Runs `fn` until `retryAfter` settles on an outcome: its value is returned, its error thrown.
 * `fn` runs afresh per attempt (a signature made for one attempt goes stale by the next).
 * An abort ends the pause at once and throws the signal's reason.
 */
export async function retrying<T>(fn: (attempt: number) => Promise<T>, options: RetryOptions<T>): Promise<T> {
  for (let attempt = 0; ; attempt++) {
    let outcome: Attempt<T>;
    try {
      outcome = { ok: true, value: await fn(attempt) };
    } catch (error) {
      if (options.signal?.aborted === true) throw error;
      outcome = { ok: false, error };
    }
    const pauseMs = options.retryAfter(outcome, attempt);
    if (pauseMs === undefined) {
      if (outcome.ok) return outcome.value;
      throw outcome.error;
    }
    await sleep(pauseMs, options.signal);
    options.signal?.throwIfAborted();
  }
}
