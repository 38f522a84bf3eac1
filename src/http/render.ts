import type { EventPage, GlobalPage, ChangesetPage } from '../core/pages.js';
import type { Statistics, StoredChangeset } from '../core/types.js';
import type { EesError } from '../core/errors.js';

/*
 * Response bodies are built as text around the stored JSON, which is returned as it was stored,
 * never parsed and serialised again. Keys keep the order API.md shows them in.
 */

const quote = JSON.stringify;

function streamChangeset(record: StoredChangeset): string {
  return `{"changeset_id":${record.changesetId},"events":${record.events},"metadata":${record.metadata}}`;
}

export function renderStreamChangesets(streamId: string, page: ChangesetPage): string {
  const next = page.nextFrom === undefined ? '' : `,"next_from":${page.nextFrom}`;
  return `{"stream_id":${quote(streamId)},"changesets":[${page.changesets.map(streamChangeset).join(',')}]${next}}`;
}

export function renderStreamEvents(streamId: string, page: EventPage): string {
  const events = page.events.map((event) => `{"id":${event.id},"data":${event.data}}`).join(',');
  const next = page.nextFrom === undefined ? '' : `,"next_from":${page.nextFrom}`;
  return `{"stream_id":${quote(streamId)},"events":[${events}]${next}}`;
}

export function renderGlobalPage(checkpoint: number, limit: number, page: GlobalPage): string {
  const changesets = page.changesets
    .map(
      (record) =>
        `{"stream_id":${quote(record.streamId)},"changeset_id":${record.changesetId},"events":${record.events},"metadata":${record.metadata},"checkpoint":${record.checkpoint}}`,
    )
    .join(',');
  return `{"checkpoint":${checkpoint},"limit":${limit},"changesets":[${changesets}],"next_checkpoint":${page.nextCheckpoint}}`;
}

export function renderError(error: EesError): string {
  const streamId = error.streamId === undefined ? '' : `"stream_id":${quote(error.streamId)},`;
  const details = error.details === undefined ? '' : Object.entries(error.details).map(([key, value]) => `,${quote(key)}:${quote(value)}`).join('');
  return `{${streamId}"error":${quote(error.code)},"message":${quote(error.message)}${details}}`;
}

/** The 409 of a commit whose expectation another writer overtook, with what came after it. */
export function renderConflict(streamId: string, message: string, forthcoming: readonly StoredChangeset[]): string {
  return `{"stream_id":${quote(streamId)},"error":"OPTIMISTIC_CONCURRENCY_EXCEPTION","message":${quote(message)},"forthcoming_changesets":[${forthcoming.map(streamChangeset).join(',')}]}`;
}

export function renderStatistics(statistics: Statistics): string {
  return `{"total_streams":${statistics.total_streams},"total_changesets":${statistics.total_changesets},"total_events":${statistics.total_events},"max_stream_length":${statistics.max_stream_length},"statistics_version":${statistics.statistics_version}}`;
}
