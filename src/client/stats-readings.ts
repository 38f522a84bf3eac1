import { EesError } from '../core/errors.js';
import type { EesClient, IndexingLag, Statistics } from './http-client.js';

/** One look at a target: its statistics and where the global order's head is. */
export interface StatsReading {
  /** When it was taken (ms since the epoch). */
  readonly at: number;
  readonly statistics: Statistics;
  /** The next checkpoint of the global order. */
  readonly headCheckpoint: number;
  /** How far the global order trails the commits; undefined from a server without `GET /lag`. */
  readonly lag?: IndexingLag | undefined;
}

export interface RatePoint {
  readonly changesetsPerSecond: number;
  readonly eventsPerSecond: number;
}

export async function takeReading(client: EesClient, now: () => number = Date.now): Promise<StatsReading> {
  const statistics = await client.statistics();
  const headCheckpoint = await client.headCheckpoint();
  return { at: now(), statistics, headCheckpoint, lag: await lagIfServed(client) };
}

/** The server's lag reading, or undefined from a server older than `GET /lag`. */
export async function lagIfServed(client: EesClient): Promise<IndexingLag | undefined> {
  try {
    return await client.lag();
  } catch (error) {
    if (error instanceof EesError && error.code === 'INVALID_ENDPOINT') return undefined;
    throw error;
  }
}

/** The indexing lag's fields as `ees stats --json` and `ees status --json` print them. */
export function lagAsJson(lag: IndexingLag | undefined): Record<string, unknown> {
  if (lag === undefined) return {};
  const { unindexed_changesets, unindexed_count_capped, oldest_unindexed_at, oldest_unindexed_age_ms } = lag;
  return { unindexed_changesets, unindexed_count_capped, oldest_unindexed_at, oldest_unindexed_age_ms };
}

/** One line for people: "up to date", or how many changesets wait and for how long. */
export function describeIndexingLag(lag: IndexingLag): string {
  if (lag.unindexed_changesets === 0) return 'up to date';
  const count = `${lag.unindexed_count_capped ? 'over ' : ''}${lag.unindexed_changesets.toLocaleString('en-US')}`;
  const age = lag.oldest_unindexed_age_ms === null ? '' : `, oldest ${describeAge(lag.oldest_unindexed_age_ms)} old`;
  return `${count} changeset${lag.unindexed_changesets === 1 ? '' : 's'} without a checkpoint${age}`;
}

function describeAge(ms: number): string {
  const seconds = Math.round(ms / 1000);
  if (seconds < 120) return `${seconds} s`;
  if (seconds < 7200) return `${Math.round(seconds / 60)} min`;
  if (seconds < 172_800) return `${Math.round(seconds / 3600)} h`;
  return `${Math.round(seconds / 86_400)} days`;
}

/** How far the statistics trail the global order, in changesets. */
export function statisticsLag(reading: StatsReading): number {
  return Math.max(0, reading.headCheckpoint - reading.statistics.statistics_version);
}

/**
 * The commit rate between two readings. Changesets come from the head checkpoint, which moves
 * with every commit; events from the projected totals, which may trail a little.
 */
export function rateBetween(previous: StatsReading, next: StatsReading): RatePoint {
  const seconds = Math.max((next.at - previous.at) / 1000, 1e-3);
  return {
    changesetsPerSecond: Math.max(0, next.headCheckpoint - previous.headCheckpoint) / seconds,
    eventsPerSecond: Math.max(0, next.statistics.total_events - previous.statistics.total_events) / seconds,
  };
}

/** The JSON object `ees stats --json` prints for one reading. */
export function readingAsJson(reading: StatsReading, rate?: RatePoint): Record<string, unknown> {
  return {
    ...reading.statistics,
    head_checkpoint: reading.headCheckpoint,
    statistics_lag: statisticsLag(reading),
    ...lagAsJson(reading.lag),
    at: new Date(reading.at).toISOString(),
    ...(rate === undefined ? {} : { changesets_per_second: round(rate.changesetsPerSecond), events_per_second: round(rate.eventsPerSecond) }),
  };
}

const round = (value: number): number => Math.round(value * 100) / 100;
