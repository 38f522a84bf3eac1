import { Box, Text } from 'ink';
import type { RatePoint, StatsReading } from '../client/stats-readings.js';
import { statisticsLag } from '../client/stats-readings.js';
import { sparkline } from './sparkline.js';

export interface StatsViewProps {
  readonly endpoint: string;
  readonly source: string;
  readonly server: string | undefined;
  readonly reading: StatsReading | undefined;
  readonly rates: readonly RatePoint[];
  readonly error: string | undefined;
  readonly watching: boolean;
  readonly intervalMs: number;
  /** Columns available; the view fits itself to them (80 or more shows everything). */
  readonly width: number;
}

const number = (value: number): string => value.toLocaleString('en-US');
const rate = (value: number): string => (value >= 100 ? Math.round(value).toLocaleString('en-US') : value.toFixed(1));

function Row({ label, value, detail }: { label: string; value: string; detail?: string }) {
  return (
    <Box>
      <Box width={18} flexShrink={0}>
        <Text dimColor>{label}</Text>
      </Box>
      <Text bold>{value}</Text>
      {detail === undefined ? null : <Text dimColor> {detail}</Text>}
    </Box>
  );
}

/** The `ees stats` panel: totals, the head and the statistics' lag, and the commit rate. */
export function StatsView(props: StatsViewProps) {
  const width = Math.max(40, Math.min(props.width, 100));
  const { reading } = props;
  const latest = props.rates.at(-1);
  const sparkWidth = Math.max(8, width - 40);
  return (
    <Box flexDirection="column" width={width} borderStyle="round" borderColor={props.error === undefined ? 'cyan' : 'red'} paddingX={1}>
      <Box flexDirection={width >= 70 ? 'row' : 'column'}>
        <Box flexShrink={0} marginRight={2}>
          <Text bold color="cyan">
            Elastic Event Store
          </Text>
        </Box>
        <Text dimColor wrap="truncate-end">
          {props.endpoint} ({props.source}){props.server === undefined ? '' : ` · ${props.server}`}
        </Text>
      </Box>
      {reading === undefined ? (
        <Text dimColor>{props.error === undefined ? 'Reading…' : ''}</Text>
      ) : (
        <Box flexDirection="column" marginTop={1}>
          <Row label="Streams" value={number(reading.statistics.total_streams)} />
          <Row label="Changesets" value={number(reading.statistics.total_changesets)} />
          <Row label="Events" value={number(reading.statistics.total_events)} />
          <Row label="Longest stream" value={number(reading.statistics.max_stream_length)} detail="changesets" />
          <Row label="Head checkpoint" value={number(reading.headCheckpoint)} />
          <Row
            label="Statistics lag"
            value={number(statisticsLag(reading))}
            detail={statisticsLag(reading) === 0 ? 'up to date' : `changesets behind (at ${number(reading.statistics.statistics_version)})`}
          />
        </Box>
      )}
      {props.watching && reading !== undefined ? (
        <Box marginTop={1}>
          <Box width={18} flexShrink={0}>
            <Text dimColor>Commit rate</Text>
          </Box>
          <Text color="green">{sparkline(props.rates.map((point) => point.changesetsPerSecond), sparkWidth)}</Text>
          <Text> {latest === undefined ? '…' : `${rate(latest.changesetsPerSecond)}/s`}</Text>
          <Text dimColor> {latest === undefined ? '' : `(${rate(latest.eventsPerSecond)} events/s)`}</Text>
        </Box>
      ) : null}
      {props.error === undefined ? null : (
        <Box marginTop={1}>
          <Text color="red" wrap="wrap">
            {props.error}
            {props.watching ? ` Retrying every ${props.intervalMs / 1000}s.` : ''}
          </Text>
        </Box>
      )}
      {props.watching ? (
        <Text dimColor>
          every {props.intervalMs / 1000}s · q to quit
        </Text>
      ) : null}
    </Box>
  );
}
