import type { EesClient, Statistics } from './http-client.js';

/** One look at a target: its statistics and where the global order's head is. */
export interface StatsReading {
  /** When it was taken (ms since the epoch). */
  readonly at: number;
  readonly statistics: Statistics;
  /** The next checkpoint of the global order. */
  readonly headCheckpoint: number;
}

export interface RatePoint {
  readonly changesetsPerSecond: number;
  readonly eventsPerSecond: number;
}

export async function takeReading(client: EesClient, now: () => number = Date.now): Promise<StatsReading> {
  const statistics = await client.statistics();
  const headCheckpoint = await client.headCheckpoint();
  return { at: now(), statistics, headCheckpoint };
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
    at: new Date(reading.at).toISOString(),
    ...(rate === undefined ? {} : { changesets_per_second: round(rate.changesetsPerSecond), events_per_second: round(rate.eventsPerSecond) }),
  };
}

const round = (value: number): number => Math.round(value * 100) / 100;
