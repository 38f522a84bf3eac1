import type { EventPage, GlobalPage, ChangesetPage } from '../core/pages.js';
import type { Statistics, StoredChangeset, StreamSummary } from '../core/types.js';
import type { EesError } from '../core/errors.js';

/*
 * Response bodies are built as text around the stored JSON, which is returned as it was stored,
 * never parsed and serialised again. Keys keep the order API.md shows them in.
 */

const quote = JSON.stringify;

/** Additive keys: after every key of the original, so its readers see what they always saw first. */
const committedAt = (record: StoredChangeset): string => (record.committedAt === undefined ? '' : `,"committed_at":${quote(record.committedAt)}`);

function streamChangeset(record: StoredChangeset): string {
  return `{"changeset_id":${record.changesetId},"events":${record.events},"metadata":${record.metadata}${committedAt(record)}}`;
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
        `{"stream_id":${quote(record.streamId)},"changeset_id":${record.changesetId},"events":${record.events},"metadata":${record.metadata},"checkpoint":${record.checkpoint},"first_event_id":${record.firstEventId}${committedAt(record)}}`,
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

function streamSummary(summary: StreamSummary): string {
  return `{"stream_id":${quote(summary.streamId)},"last_changeset_id":${summary.lastChangesetId},"last_event_id":${summary.lastEventId},"committed_at":${quote(summary.committedAt)}}`;
}

export function renderStreamHead(summary: StreamSummary): string {
  return streamSummary(summary);
}

export function renderStreamList(prefix: string, streams: readonly StreamSummary[], more: boolean): string {
  const next = more && streams.length > 0 ? `,"next_after":${quote(streams.at(-1)!.streamId)}` : '';
  return `{"prefix":${quote(prefix)},"streams":[${streams.map(streamSummary).join(',')}]${next}}`;
}
