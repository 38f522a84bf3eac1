import type { ChalkInstance } from 'chalk';
import type { StreamEvent } from '../client/http-client.js';
import type { TailedChangeset } from '../client/follow.js';

/** Human-readable lines for a terminal. Machine output is JSON and never goes through here. */

const compact = (value: unknown): string => JSON.stringify(value);

export function formatChangeset(color: ChalkInstance, changeset: TailedChangeset, options: { showStream: boolean }): string[] {
  const position = changeset.checkpoint === undefined ? '' : `${color.dim(`@${changeset.checkpoint}`)} `;
  const stream = options.showStream ? `${color.cyan(changeset.stream_id)} ` : '';
  const count = changeset.events.length === 1 ? '1 event' : `${changeset.events.length} events`;
  const metadata = Object.keys(changeset.metadata).length === 0 ? '' : ` ${color.dim(compact(changeset.metadata))}`;
  const header = `${position}${stream}${color.bold(`#${changeset.changeset_id}`)} ${color.dim(count)}${metadata}`;
  return [header, ...changeset.events.map((event) => `    ${compact(event)}`)];
}

export function formatEvent(color: ChalkInstance, event: StreamEvent): string {
  return `${color.bold(String(event.id).padStart(6))}  ${compact(event.data)}`;
}
