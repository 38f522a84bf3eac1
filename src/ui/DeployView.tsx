import { Box, Static, Text } from 'ink';
import { useEffect, useState, useSyncExternalStore } from 'react';
import type { ProgressStore } from '../deploy/progress.js';

function elapsed(ms: number): string {
  const seconds = Math.floor(ms / 1000);
  return `${Math.floor(seconds / 60)}m${String(seconds % 60).padStart(2, '0')}s`;
}

/** Deploy progress at a terminal: finished resources scroll by (Static), the live status stays below. */
export function DeployView({ store, now = Date.now }: { store: ProgressStore; now?: () => number }) {
  const snapshot = useSyncExternalStore(store.subscribe, store.getSnapshot);
  const [clock, setClock] = useState(now());
  useEffect(() => {
    const timer = setInterval(() => setClock(now()), 1000);
    return () => clearInterval(timer);
  }, [now]);
  return (
    <Box flexDirection="column">
      <Static items={[...snapshot.finished]}>
        {(line) => (
          <Text key={line.id} color={line.failed ? 'red' : 'green'}>
            {line.failed ? '✗' : '✓'} {line.text}
          </Text>
        )}
      </Static>
      {snapshot.warnings.map((warning) => (
        <Text key={warning} color="yellow">
          ! {warning}
        </Text>
      ))}
      <Box>
        <Text bold color="cyan">
          {snapshot.title}
        </Text>
        <Text dimColor>
          {'  '}
          {snapshot.finished.length} done
          {snapshot.inProgress.length > 0 ? `, ${snapshot.inProgress.length} in progress` : ''} · {elapsed(clock - snapshot.startedAt)}
        </Text>
      </Box>
      <Text dimColor wrap="truncate-end">
        {snapshot.inProgress.length > 0 ? `… ${snapshot.inProgress.slice(-3).join(', ')}` : snapshot.status}
      </Text>
    </Box>
  );
}
