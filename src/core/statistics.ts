import type { Statistics, StoredChangeset } from './types.js';

/**
 * Folds the next changesets of the global order into the statistics. Only the contiguous run
 * starting at `statistics_version` counts, so applying a batch twice or out of order changes
 * nothing: the projection is idempotent.
 */
export function applyToStatistics(statistics: Statistics, records: readonly StoredChangeset[]): Statistics {
  let { total_streams, total_changesets, total_events, max_stream_length, statistics_version } = statistics;
  for (const record of records) {
    if (record.checkpoint !== statistics_version) {
      if (record.checkpoint !== null && record.checkpoint < statistics_version) continue;
      break;
    }
    if (record.changesetId === 1) total_streams++;
    total_changesets++;
    total_events += record.lastEventId - record.firstEventId + 1;
    max_stream_length = Math.max(max_stream_length, record.changesetId);
    statistics_version++;
  }
  return { total_streams, total_changesets, total_events, max_stream_length, statistics_version };
}
