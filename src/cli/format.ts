import type { ChalkInstance } from 'chalk';
import { toJsonText } from '../core/json-text.js';
import type { StreamEvent } from '../client/http-client.js';
import type { TailedChangeset, TailRecord } from '../client/follow.js';
import type { Changeset, GlobalChangeset } from '../client/types.js';

/** Human-readable lines for a terminal. Machine output is JSON and never goes through here. */

/** A changeset of the client library as the CLI prints it: the API's own shape (snake_case). */
export function wireChangeset(changeset: Changeset | GlobalChangeset): TailedChangeset {
  const checkpoint = 'checkpoint' in changeset ? changeset.checkpoint : undefined;
  const firstEventId = 'firstEventId' in changeset ? changeset.firstEventId : undefined;
  return {
    stream_id: changeset.streamId,
    changeset_id: changeset.changesetId,
    events: changeset.events,
    metadata: changeset.metadata,
    ...(changeset.committedAt === undefined ? {} : { committed_at: changeset.committedAt }),
    ...(checkpoint === undefined ? {} : { checkpoint }),
    ...(firstEventId === undefined ? {} : { first_event_id: firstEventId }),
  };
}

// Stored data may be nested deeper than JSON.stringify can go.
const compact = (value: unknown): string => toJsonText(value);

export function formatChangeset(color: ChalkInstance, changeset: TailedChangeset, options: { showStream: boolean }): string[] {
  const position = changeset.checkpoint === undefined ? '' : `${color.dim(`@${changeset.checkpoint}`)} `;
  const stream = options.showStream ? `${color.cyan(changeset.stream_id)} ` : '';
  const count = changeset.events.length === 1 ? '1 event' : `${changeset.events.length} events`;
  const metadata = Object.keys(changeset.metadata).length === 0 ? '' : ` ${color.dim(compact(changeset.metadata))}`;
  // Commit times are shown where the server sends them.
  const committedAt = changeset.committed_at === undefined ? '' : ` ${color.dim(changeset.committed_at)}`;
  const header = `${position}${stream}${color.bold(`#${changeset.changeset_id}`)} ${color.dim(count)}${committedAt}${metadata}`;
  return [header, ...changeset.events.map((event) => `    ${compact(event)}`)];
}

export function formatEvent(color: ChalkInstance, event: StreamEvent): string {
  return `${color.bold(String(event.id).padStart(6))}  ${compact(event.data)}`;
}

/** The lines of one `ees tail` record: JSON (Lines) for machines, text at a terminal. */
export function formatTailRecord(color: ChalkInstance, record: TailRecord, options: { json: boolean; showStream: boolean }): string[] {
  const { changeset } = record;
  if (record.kind === 'changeset') return options.json ? [compact(changeset)] : formatChangeset(color, changeset, options);
  if (record.eventId === undefined) return [compact(record.data)];
  if (options.json) {
    const committedAt = changeset.committed_at === undefined ? {} : { committed_at: changeset.committed_at };
    return [compact({ stream_id: changeset.stream_id, changeset_id: changeset.changeset_id, event_id: record.eventId, checkpoint: changeset.checkpoint, ...committedAt, data: record.data })];
  }
  return [`${color.dim(`@${changeset.checkpoint ?? '-'}`)} ${color.cyan(changeset.stream_id)} ${color.bold(`#${changeset.changeset_id}.${record.eventId}`)} ${compact(record.data)}`];
}
