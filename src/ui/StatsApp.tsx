import { useApp, useInput, useStdin, useStdout } from 'ink';
import { useEffect, useState } from 'react';
import { rateBetween, type RatePoint, type StatsReading } from '../client/stats-readings.js';
import { StatsView } from './StatsView.js';

export interface StatsAppProps {
  readonly endpoint: string;
  readonly source: string;
  readonly server: string | undefined;
  readonly read: () => Promise<StatsReading>;
  readonly watch: boolean;
  readonly intervalMs: number;
  /** Called with the error when a single (non-watch) reading fails. */
  readonly onFailure: (error: unknown) => void;
}

/** How many rate points to keep: the sparkline's last few minutes. */
const HISTORY = 120;

export function StatsApp(props: StatsAppProps) {
  const { exit } = useApp();
  const { isRawModeSupported } = useStdin();
  const { stdout } = useStdout();
  const [reading, setReading] = useState<StatsReading | undefined>(undefined);
  const [rates, setRates] = useState<readonly RatePoint[]>([]);
  const [error, setError] = useState<string | undefined>(undefined);
  const [width, setWidth] = useState(stdout.columns ?? 80);

  useInput(
    (input, key) => {
      if (input === 'q' || key.escape || (key.ctrl && input === 'c')) exit();
    },
    { isActive: isRawModeSupported === true },
  );

  useEffect(() => {
    const onResize = (): void => setWidth(stdout.columns ?? 80);
    stdout.on('resize', onResize);
    return () => {
      stdout.off('resize', onResize);
    };
  }, [stdout]);

  useEffect(() => {
    let stopped = false;
    let previous: StatsReading | undefined;
    let timer: NodeJS.Timeout | undefined;
    const tick = async (): Promise<void> => {
      try {
        const next = await props.read();
        if (stopped) return;
        if (previous !== undefined) {
          const point = rateBetween(previous, next);
          setRates((points) => [...points, point].slice(-HISTORY));
        }
        previous = next;
        setReading(next);
        setError(undefined);
      } catch (caught) {
        if (stopped) return;
        setError(caught instanceof Error ? caught.message : String(caught));
        if (!props.watch) props.onFailure(caught);
      }
      if (props.watch && !stopped) timer = setTimeout(() => void tick(), props.intervalMs);
    };
    void tick();
    return () => {
      stopped = true;
      clearTimeout(timer);
    };
    // One polling loop for the life of the view.
  }, []);

  // A single reading exits once it is on screen (after the render that shows it).
  useEffect(() => {
    if (!props.watch && (reading !== undefined || error !== undefined)) exit();
  }, [reading, error]); // one-shot mode only

  return (
    <StatsView
      endpoint={props.endpoint}
      source={props.source}
      server={props.server}
      reading={reading}
      rates={rates}
      error={error}
      watching={props.watch}
      intervalMs={props.intervalMs}
      width={width}
    />
  );
}
