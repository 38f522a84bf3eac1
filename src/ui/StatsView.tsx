import { Box, Text } from 'ink';
import type { RatePoint, StatsReading } from '../client/stats-readings.js';
import { describeIndexingLag, statisticsLag } from '../client/stats-readings.js';
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

function Row({ label, value, detail, labelWidth }: { label: string; value: string; detail?: string; labelWidth: number }) {
  return (
    <Box>
      <Box width={labelWidth} flexShrink={0}>
        <Text dimColor wrap="truncate-end">
          {label}
        </Text>
      </Box>
      <Box flexShrink={0}>
        <Text bold>{value}</Text>
      </Box>
      {detail === undefined ? null : (
        <Text dimColor wrap="truncate-end">
          {' '}
          {detail}
        </Text>
      )}
    </Box>
  );
}

/**
 * The commit-rate line within `columns`: the figures first, the sparkline in what is left, and
 * the events rate only when there is room for it, so the line never wraps.
 */
export function rateLine(rates: readonly RatePoint[], columns: number): { spark: string; changesets: string; events: string } {
  const latest = rates.at(-1);
  const changesets = latest === undefined ? '…' : `${rate(latest.changesetsPerSecond)}/s`;
  const events = latest === undefined ? '' : `(${rate(latest.eventsPerSecond)} events/s)`;
  const withEvents = columns - changesets.length - 1 - events.length - 1;
  const showEvents = events !== '' && withEvents >= 8;
  const sparkWidth = Math.min(60, showEvents ? withEvents : columns - changesets.length - 1);
  const spark = sparkWidth >= 4 ? sparkline(rates.map((point) => point.changesetsPerSecond), sparkWidth) : '';
  return { spark, changesets, events: showEvents ? events : '' };
}

/** The `ees stats` panel: totals, the head and the statistics' lag, and the commit rate. */
export function StatsView(props: StatsViewProps) {
  // The panel never outgrows the terminal (a wider panel would wrap into garbage): labels and
  // details shrink first, then the sparkline and the events rate give way.
  const width = Math.max(20, Math.min(props.width, 100));
  const inner = width - 4;
  const labelWidth = inner >= 40 ? 18 : Math.max(8, Math.min(16, inner - 10));
  const { reading } = props;
  const line = rateLine(props.rates, inner - labelWidth);
  // flexShrink lets the layout itself narrow the panel when the terminal shrinks, before React has
  // re-rendered with the new width: that first frame must not be wider than the terminal either.
  return (
    <Box>
      <Box flexDirection="column" flexBasis={width} flexShrink={1} flexGrow={0} borderStyle="round" borderColor={props.error === undefined ? 'cyan' : 'red'} paddingX={1}>
      <Box flexDirection={width >= 70 ? 'row' : 'column'}>
        <Box flexShrink={0} marginRight={2}>
          <Text bold color="cyan" wrap="truncate-end">
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
          <Row labelWidth={labelWidth} label="Streams" value={number(reading.statistics.total_streams)} />
          <Row labelWidth={labelWidth} label="Changesets" value={number(reading.statistics.total_changesets)} />
          <Row labelWidth={labelWidth} label="Events" value={number(reading.statistics.total_events)} />
          <Row labelWidth={labelWidth} label="Longest stream" value={number(reading.statistics.max_stream_length)} detail="changesets" />
          <Row labelWidth={labelWidth} label="Head checkpoint" value={number(reading.headCheckpoint)} />
          {reading.lag === undefined ? null : (
            <Row labelWidth={labelWidth} label="Indexing lag" value={number(reading.lag.unindexed_changesets)} detail={describeIndexingLag(reading.lag)} />
          )}
          <Row
            labelWidth={labelWidth}
            label="Statistics lag"
            value={number(statisticsLag(reading))}
            detail={statisticsLag(reading) === 0 ? 'up to date' : `changesets behind (at ${number(reading.statistics.statistics_version)})`}
          />
        </Box>
      )}
      {props.watching && reading !== undefined ? (
        <Box marginTop={1}>
          <Box width={labelWidth} flexShrink={0}>
            <Text dimColor wrap="truncate-end">
              Commit rate
            </Text>
          </Box>
          {line.spark === '' ? null : <Text color="green">{line.spark} </Text>}
          <Text>{line.changesets}</Text>
          {line.events === '' ? null : <Text dimColor> {line.events}</Text>}
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
        <Text dimColor wrap="truncate-end">
          every {props.intervalMs / 1000}s · q to quit
        </Text>
      ) : null}
      </Box>
    </Box>
  );
}
