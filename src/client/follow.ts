import { EesError } from '../core/errors.js';
import type { EesClient, GlobalChangeset, StreamChangeset } from './http-client.js';

/** One changeset as `ees tail` prints it; `checkpoint` is known when it came from the global order. */
export interface TailedChangeset extends StreamChangeset {
  readonly stream_id: string;
  readonly checkpoint?: number;
}

export interface TailBatch {
  readonly changesets: readonly TailedChangeset[];
  /** The global checkpoint to resume from after this batch, when walking the global order. */
  readonly nextCheckpoint?: number;
}

/** The longest long poll the API allows; a follower waits this long per request when idle. */
const WAIT_SECONDS = 20;

function isAbort(error: unknown, signal: AbortSignal | undefined): boolean {
  return signal?.aborted === true || (error as { name?: string }).name === 'AbortError';
}

/**
 * The global order from `from`, one page per batch. With `follow` it then waits for new
 * changesets with long polls (never a busy loop) until `signal` aborts.
 */
export async function* tailGlobal(
  client: EesClient,
  options: { from: number; limit: number; follow: boolean; signal?: AbortSignal },
): AsyncGenerator<TailBatch> {
  let checkpoint = options.from;
  while (options.signal?.aborted !== true) {
    let page;
    try {
      page = await client.readGlobal(checkpoint, options.limit, options.follow ? WAIT_SECONDS : 0, options.signal);
    } catch (error) {
      if (isAbort(error, options.signal)) return;
      throw error;
    }
    if (page.changesets.length > 0) {
      yield { changesets: page.changesets, nextCheckpoint: page.next_checkpoint };
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
  options: { from: number | undefined; limit: number; follow: boolean; signal?: AbortSignal },
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
  for await (const batch of tailGlobal(client, { from: globalStart, limit: options.limit, follow: true, signal: options.signal })) {
    const mine = batch.changesets.filter((changeset) => changeset.stream_id === streamId && changeset.changeset_id > lastSeen);
    if (mine.length > 0) {
      lastSeen = mine.at(-1)!.changeset_id;
      yield { changesets: mine };
    }
  }
}

/**
 * Event ids of changesets from the global order, which carries no event ids: a stream's event
 * numbering is learnt once (by summing its earlier changesets) and then followed.
 */
export class EventNumbering {
  private readonly lastEventOf = new Map<string, { changesetId: number; lastEventId: number }>();

  constructor(private readonly client: EesClient) {}

  async firstEventId(changeset: TailedChangeset): Promise<number> {
    const known = this.lastEventOf.get(changeset.stream_id);
    let before: number;
    if (changeset.changeset_id === 1) before = 0;
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

/** The last checkpoint-file position, or undefined when the file does not exist yet. */
export function parseCheckpointFile(text: string, path: string): number {
  const value = text.trim();
  if (!/^[0-9]+$/.test(value) || !Number.isSafeInteger(Number(value))) {
    throw new EesError('INVALID_USAGE', `${path} does not hold a checkpoint (a whole number); fix or remove it.`);
  }
  return Number(value);
}

export type { GlobalChangeset };
