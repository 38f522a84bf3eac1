import { EesError } from '../core/errors.js';
import type { EesClient, GlobalChangeset, GlobalFilterParams, StreamChangeset } from './http-client.js';
import { retrying } from './retrying.js';
import type { ReconnectNotice } from './types.js';

/** One changeset as `ees tail` prints it; `checkpoint` is known when it came from the global order. */
export interface TailedChangeset extends StreamChangeset {
  readonly stream_id: string;
  readonly checkpoint?: number;
  /** Sent by servers that number the global order's events; else learnt by EventNumbering. */
  readonly first_event_id?: number;
}

export interface TailBatch {
  readonly changesets: readonly TailedChangeset[];
  /** The global checkpoint to resume from after this batch, when walking the global order. */
  readonly nextCheckpoint?: number | undefined;
}

/** The longest long poll the API allows; a follower waits this long per request when idle. */
const WAIT_SECONDS = 20;

function isAbort(error: unknown, signal: AbortSignal | undefined): boolean {
  return signal?.aborted === true || (error as { name?: string }).name === 'AbortError';
}

/** Failures a follower outlives: the server went away or answered 5xx for a while (a restart). */
function isTransient(error: unknown): error is EesError {
  return error instanceof EesError && (error.code === 'ENDPOINT_UNREACHABLE' || error.code === 'INTERNAL_ERROR' || error.code === 'REQUEST_TIMEOUT');
}

export type { ReconnectNotice };

export interface FollowRetry {
  /** Give up once it has failed for this long (undefined: never). */
  readonly maxWaitMs?: number | undefined;
  readonly onReconnecting?: ((notice: ReconnectNotice) => void) | undefined;
  readonly onReconnected?: (() => void) | undefined;
  /** Backoff: the first pause, doubled up to the cap. */
  readonly firstPauseMs?: number | undefined;
  readonly maxPauseMs?: number | undefined;
}

/**
 * The global order from `from`, one page per batch. With `follow` it then waits for new
 * changesets with long polls (never a busy loop) until `signal` aborts, and outlives a server
 * restart: it retries with backoff from the last checkpoint, until `retry.maxWaitMs` if given.
 */
export async function* tailGlobal(
  client: EesClient,
  options: { from: number; limit: number; follow: boolean; signal?: AbortSignal | undefined; retry?: FollowRetry | undefined; filter?: GlobalFilterParams | undefined },
): AsyncGenerator<TailBatch> {
  let checkpoint = options.from;
  let failingSince: number | undefined;
  let nextPauseMs = options.retry?.firstPauseMs ?? 500;
  while (options.signal?.aborted !== true) {
    let page;
    try {
      page = await retrying(() => client.readGlobal(checkpoint, options.limit, options.follow ? WAIT_SECONDS : 0, options.signal, options.filter), {
        signal: options.signal,
        retryAfter: (outcome) => {
          if (outcome.ok) return undefined;
          const error = outcome.error;
          if (isAbort(error, options.signal) || !options.follow || !isTransient(error)) return undefined;
          // Counted from the first failure (not from when a long poll was sent: waiting is not failing).
          failingSince ??= Date.now();
          const failingForMs = Date.now() - failingSince;
          const maxWaitMs = options.retry?.maxWaitMs;
          if (maxWaitMs !== undefined && failingForMs + nextPauseMs > maxWaitMs) {
            throw new EesError(error.code, `${error.message.replace(/\.$/, '')}; gave up after --max-wait ${maxWaitMs / 1000}s. Resume with --from-checkpoint ${checkpoint}.`, {
              cause: error,
            });
          }
          options.retry?.onReconnecting?.({ error, checkpoint, failingForMs, retryInMs: nextPauseMs });
          const pauseMs = nextPauseMs;
          nextPauseMs = Math.min(nextPauseMs * 2, options.retry?.maxPauseMs ?? 10_000);
          return pauseMs;
        },
      });
    } catch (error) {
      if (isAbort(error, options.signal)) return;
      throw error;
    }
    if (failingSince !== undefined) {
      failingSince = undefined;
      nextPauseMs = options.retry?.firstPauseMs ?? 500;
      options.retry?.onReconnected?.();
    }
    if (page.changesets.length > 0) {
      yield { changesets: page.changesets, nextCheckpoint: page.next_checkpoint };
      checkpoint = page.next_checkpoint;
    } else if (page.next_checkpoint > checkpoint) {
      // A filtered page without a match still moves past what the server examined.
      checkpoint = page.next_checkpoint;
    } else if (!options.follow) {
      return;
    }
  }
}

/**
 * One stream's changesets from changeset `from`. With `follow`, new ones are then picked out of
 * the global order from the head as it was before the catch-up read, so none falls between the
 * two; changesets already printed are skipped. Without a start point, following prints only new
 * changesets.
 */
export async function* tailStream(
  client: EesClient,
  streamId: string,
  options: { from: number | undefined; limit: number; follow: boolean; signal?: AbortSignal | undefined; retry?: FollowRetry | undefined },
): AsyncGenerator<TailBatch> {
  const globalStart = options.follow ? await client.headCheckpoint() : 0;
  let lastSeen = 0;
  if (options.from !== undefined || !options.follow) {
    try {
      for await (const changesets of client.readStream(streamId, 'changesets', { from: options.from ?? 1 })) {
        if (changesets.length === 0) continue;
        lastSeen = changesets.at(-1)!.changeset_id;
        yield { changesets: changesets.map((changeset) => ({ stream_id: streamId, ...changeset })) };
      }
    } catch (error) {
      // A stream that does not exist yet is fine to follow: it may be created.
      if (!(options.follow && error instanceof EesError && error.code === 'STREAM_NOT_FOUND')) throw error;
    }
  } else {
    lastSeen = Number.NEGATIVE_INFINITY;
  }
  if (!options.follow) return;
  for await (const batch of tailGlobal(client, { from: globalStart, limit: options.limit, follow: true, signal: options.signal, retry: options.retry })) {
    const mine = batch.changesets.filter((changeset) => changeset.stream_id === streamId && changeset.changeset_id > lastSeen);
    if (mine.length > 0) {
      lastSeen = mine.at(-1)!.changeset_id;
      yield { changesets: mine };
    }
  }
}

/**
 * Event ids of changesets from the global order. Servers that send `first_event_id` say it; from
 * older ones a stream's event numbering is learnt once (by summing its earlier changesets) and then followed.
 */
export class EventNumbering {
  private readonly lastEventOf = new Map<string, { changesetId: number; lastEventId: number }>();

  constructor(private readonly client: EesClient) {}

  async firstEventId(changeset: TailedChangeset): Promise<number> {
    const known = this.lastEventOf.get(changeset.stream_id);
    let before: number;
    if (changeset.first_event_id !== undefined) before = changeset.first_event_id - 1;
    else if (changeset.changeset_id === 1) before = 0;
    else if (known !== undefined && known.changesetId === changeset.changeset_id - 1) before = known.lastEventId;
    else before = await this.countEventsBefore(changeset.stream_id, changeset.changeset_id);
    this.lastEventOf.set(changeset.stream_id, { changesetId: changeset.changeset_id, lastEventId: before + changeset.events.length });
    return before + 1;
  }

  private async countEventsBefore(streamId: string, changesetId: number): Promise<number> {
    let count = 0;
    for await (const changesets of this.client.readStream(streamId, 'changesets', { from: 1, to: changesetId - 1 })) {
      for (const changeset of changesets) count += changeset.events.length;
    }
    return count;
  }
}

/** One printed unit of `ees tail`: a changeset, or one event of it. */
export type TailRecord =
  | { readonly kind: 'changeset'; readonly changeset: TailedChangeset }
  | { readonly kind: 'event'; readonly changeset: TailedChangeset; readonly eventId: number | undefined; readonly data: unknown };

export interface TailRecordBatch {
  readonly records: readonly TailRecord[];
  /** Where to resume after these records (for --checkpoint-file), when known. */
  readonly nextCheckpoint?: number | undefined;
}

/**
 * Turns batches into the records ees prints: changesets, or events (`unit: 'events'` numbers them,
 * `'data'` does not need to), stopping after `count` records. A batch cut short by `count`
 * resumes at the first changeset not printed whole.
 */
export async function* tailRecords(
  client: EesClient,
  batches: AsyncIterable<TailBatch>,
  options: { unit: 'changesets' | 'events' | 'data'; count?: number | undefined },
): AsyncGenerator<TailRecordBatch> {
  const numbering = options.unit === 'events' ? new EventNumbering(client) : undefined;
  let left = options.count ?? Number.POSITIVE_INFINITY;
  if (left <= 0) return;
  for await (const batch of batches) {
    const records: TailRecord[] = [];
    let resumeAt: number | undefined;
    for (const changeset of batch.changesets) {
      if (options.unit === 'changesets') {
        records.push({ kind: 'changeset', changeset });
        left--;
      } else {
        const first = numbering === undefined ? undefined : await numbering.firstEventId(changeset);
        const events = changeset.events.slice(0, left);
        events.forEach((data, index) => records.push({ kind: 'event', changeset, eventId: first === undefined ? undefined : first + index, data }));
        left -= events.length;
        if (events.length < changeset.events.length) resumeAt = changeset.checkpoint;
      }
      if (left <= 0) {
        resumeAt ??= changeset.checkpoint === undefined ? undefined : changeset.checkpoint + 1;
        break;
      }
    }
    const nextCheckpoint = left <= 0 ? resumeAt : batch.nextCheckpoint;
    yield { records, nextCheckpoint };
    if (left <= 0) return;
  }
}

/** The last checkpoint-file position, or undefined when the file does not exist yet. */
export function parseCheckpointFile(text: string, path: string): number {
  const value = text.trim();
  if (!/^[0-9]+$/.test(value) || !Number.isSafeInteger(Number(value))) {
    throw new EesError('INVALID_USAGE', `${path} does not hold a checkpoint (a whole number); fix or remove it.`);
  }
  return Number(value);
}

export type { GlobalChangeset };
