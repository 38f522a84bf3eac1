import { render } from 'ink-testing-library';
import { describe, expect, it } from 'vitest';
import type { StatsReading } from '../../src/client/stats-readings.js';
import { rateBetween, readingAsJson, statisticsLag } from '../../src/client/stats-readings.js';
import { sparkline } from '../../src/ui/sparkline.js';
import { StatsView, type StatsViewProps } from '../../src/ui/StatsView.js';

const reading: StatsReading = {
  at: Date.parse('2026-11-27T12:00:00Z'),
  statistics: { total_streams: 12, total_changesets: 1_204, total_events: 3_911, max_stream_length: 42, statistics_version: 1_200 },
  headCheckpoint: 1_204,
};

function view(overrides: Partial<StatsViewProps> = {}): string {
  const props: StatsViewProps = {
    endpoint: 'http://127.0.0.1:3000',
    source: 'default',
    server: 'ees/0.1.0',
    reading,
    rates: [],
    error: undefined,
    watching: false,
    intervalMs: 2000,
    width: 80,
    ...overrides,
  };
  const { lastFrame, unmount } = render(<StatsView {...props} />);
  const frame = lastFrame() ?? '';
  unmount();
  return frame;
}

describe('the ees stats view', () => {
  it('shows the indexing lag when the server reports one', () => {
    const lag = { unindexed_changesets: 3, unindexed_count_capped: false, oldest_unindexed_at: '2026-11-27T11:55:00Z', oldest_unindexed_age_ms: 300_000, head_checkpoint: 1_204, statistics_version: 1_200, statistics_lag: 4 };
    expect(view({ reading: { ...reading, lag } })).toMatch(/Indexing lag\s+3 .*without a checkpoint, oldest 5 min old/);
    expect(view({ reading: { ...reading, lag: { ...lag, unindexed_changesets: 0, oldest_unindexed_at: null, oldest_unindexed_age_ms: null } } })).toMatch(/Indexing lag\s+0 up to date/);
    expect(view()).not.toMatch(/Indexing lag/);
  });

  it('shows the totals, the target and the statistics lag within 80 columns', () => {
    const frame = view();
    expect(frame).toMatch(/Streams\s+12/);
    expect(frame).toMatch(/Changesets\s+1,204/);
    expect(frame).toMatch(/Events\s+3,911/);
    expect(frame).toMatch(/Longest stream\s+42 changesets/);
    expect(frame).toMatch(/Head checkpoint\s+1,204/);
    expect(frame).toMatch(/Statistics lag\s+4 changesets behind \(at 1,200\)/);
    expect(frame).toContain('http://127.0.0.1:3000 (default) · ees/0.1.0');
    const lines = frame.split('\n');
    expect(Math.max(...lines.map((line) => [...line].length))).toBeLessThanOrEqual(80);
    expect(lines.length).toBeLessThanOrEqual(24);
  });

  it('says up to date when the statistics caught up', () => {
    expect(view({ reading: { ...reading, headCheckpoint: 1_200 } })).toMatch(/Statistics lag\s+0 up to date/);
  });

  it('draws the commit rate as a sparkline when watching', () => {
    const rates = [0, 5, 10, 20].map((changesetsPerSecond) => ({ changesetsPerSecond, eventsPerSecond: changesetsPerSecond * 3 }));
    const frame = view({ watching: true, rates });
    expect(frame).toMatch(/Commit rate\s+▁▃▅█ 20\.0\/s \(60\.0 events\/s\)/);
    expect(frame).toContain('q to quit');
  });

  it('fits a narrower terminal by stacking the header', () => {
    const frame = view({ width: 50 });
    const lines = frame.split('\n');
    expect(Math.max(...lines.map((line) => [...line].length))).toBeLessThanOrEqual(50);
    expect(frame).toContain('Elastic Event Store');
    expect(frame).toMatch(/Events\s+3,911/);
  });

  it('keeps every line, the rate line too, within 40, 30 and 20 columns', () => {
    const rates = [0, 5, 10, 120.5].map((changesetsPerSecond) => ({ changesetsPerSecond, eventsPerSecond: changesetsPerSecond * 30 }));
    for (const width of [40, 30, 20]) {
      const lines = view({ watching: true, rates, width }).split('\n');
      expect(Math.max(...lines.map((line) => [...line].length)), `at ${width} columns`).toBeLessThanOrEqual(width);
      expect(lines.find((line) => line.includes('Commit'))).toMatch(/121\/s/);
    }
  });

  it('shows an unreachable target clearly, and that it keeps retrying under --watch', () => {
    const message = 'Cannot reach http://127.0.0.1:3000: connection refused.';
    expect(view({ reading: undefined, error: message })).toContain(message);
    expect(view({ reading: undefined, error: message, watching: true, intervalMs: 2000 })).toContain('Retrying every 2s.');
  });
});

describe('readings', () => {
  const later: StatsReading = {
    at: reading.at + 2_000,
    statistics: { ...reading.statistics, total_events: 3_971 },
    headCheckpoint: 1_224,
  };
  it('computes rates between successive readings and the lag', () => {
    expect(rateBetween(reading, later)).toEqual({ changesetsPerSecond: 10, eventsPerSecond: 30 });
    expect(statisticsLag(reading)).toBe(4);
    expect(readingAsJson(later, rateBetween(reading, later))).toMatchObject({ head_checkpoint: 1_224, statistics_lag: 24, changesets_per_second: 10 });
  });

  it('scales sparklines to their largest value', () => {
    expect(sparkline([0, 0, 0], 10)).toBe('▁▁▁');
    expect(sparkline([1, 2, 3, 4, 5, 6, 7, 8], 4)).toBe('▅▆▇█');
  });
});
