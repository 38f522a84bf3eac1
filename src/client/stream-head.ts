import { EesError } from '../core/errors.js';
import type { EesClient, StreamChangeset } from './http-client.js';

export interface StreamHead {
  readonly stream_id: string;
  readonly last_changeset_id: number;
  readonly last_event_id: number;
  /** When the last changeset was committed, on servers that send it. */
  readonly committed_at?: string;
}

/** The largest id for which `exists` holds, knowing it holds for 1: doubling, then bisecting. */
async function lastId(exists: (id: number) => Promise<boolean>): Promise<number> {
  let low = 1;
  let high = 2;
  while (await exists(high)) {
    low = high;
    high *= 2;
  }
  while (high - low > 1) {
    const middle = Math.floor((low + high) / 2);
    if (await exists(middle)) low = middle;
    else high = middle;
  }
  return low;
}

/**
 * Where a stream ends, with what `--expect` and `--expect-event` need, without reading it: one
 * request to the head route; a server without it (INVALID_ENDPOINT) is probed instead.
 * A stream without changesets is STREAM_NOT_FOUND.
 */
export async function readStreamHead(client: EesClient, streamId: string): Promise<StreamHead> {
  try {
    return await client.streamHead(streamId);
  } catch (error) {
    if (!(error instanceof EesError && error.code === 'INVALID_ENDPOINT')) throw error;
  }
  return probeStreamHead(client, streamId);
}

/** The head from one-item ranges of the read endpoints (about 2·log₂ n requests), for servers without the head route. */
export async function probeStreamHead(client: EesClient, streamId: string): Promise<StreamHead> {
  let last: StreamChangeset | undefined;
  const changesetExists = async (id: number): Promise<boolean> => {
    for await (const page of client.readStream(streamId, 'changesets', { from: id, to: id })) {
      if (page.length > 0) last = page[0]!.changeset_id >= (last?.changeset_id ?? 0) ? page[0] : last;
      return page.length > 0;
    }
    return false;
  };
  await changesetExists(1);
  const lastChangesetId = await lastId(changesetExists);
  const eventExists = async (id: number): Promise<boolean> => {
    for await (const page of client.readStream(streamId, 'events', { from: id, to: id })) return page.length > 0;
    return false;
  };
  const lastEventId = await lastId(eventExists);
  return {
    stream_id: streamId,
    last_changeset_id: lastChangesetId,
    last_event_id: lastEventId,
    ...(last?.committed_at === undefined ? {} : { committed_at: last.committed_at }),
  };
}
