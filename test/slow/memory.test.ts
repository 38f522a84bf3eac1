import { readFileSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { DATABASE_FILE } from '../../src/dev/embedded.js';
import { SqliteEngine } from '../../src/engines/sqlite/engine.js';
import { startDevProcess } from '../support/processes.js';

const CHANGESETS = 100_000;

/** Resident memory of a process, from /proc (Linux). */
function residentBytes(pid: number): number {
  const match = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  return Number(match![1]) * 1024;
}

describe('memory while paging a long stream', () => {
  const dataDir = mkdtempSync(join(tmpdir(), 'ees-memory-'));
  afterAll(() => rmSync(dataDir, { recursive: true, force: true }));

  it('stays bounded while a client pages through 100,000 changesets (about 100 MB of events)', async () => {
    const engine = new SqliteEngine({ path: join(dataDir, DATABASE_FILE), synchronous: 'NORMAL' });
    const events = JSON.stringify([{ type: 'Padded', padding: 'x'.repeat(1_000) }]);
    // Commits queued together share one transaction, each checked against the one before it.
    for (let start = 0; start < CHANGESETS; start += 1_000) {
      await Promise.all(
        Array.from({ length: 1_000 }, (_, offset) =>
          engine.commit({ streamId: 'long', expectation: { kind: 'changeset', value: start + offset }, events, eventCount: 1, metadata: '{}' }),
        ),
      );
    }
    await engine.close();

    const dev = await startDevProcess(['--port', '0', '--data-dir', dataDir]);
    try {
      const pid = dev.child.pid!;
      await fetch(`${dev.url}/streams/long/changesets?from=1&to=10`);
      const baseline = residentBytes(pid);
      let peak = baseline;
      let from: number | undefined = 1;
      let seen = 0;
      let pages = 0;
      while (from !== undefined) {
        const page = (await (await fetch(`${dev.url}/streams/long/changesets?from=${from}`)).json()) as { changesets: unknown[]; next_from?: number };
        seen += page.changesets.length;
        from = page.next_from;
        pages++;
        peak = Math.max(peak, residentBytes(pid));
      }
      expect(seen).toBe(CHANGESETS);
      expect(pages).toBeGreaterThanOrEqual(20);
      // Each page is about 5 MB; holding the stream would take over 100 MB more.
      expect(peak - baseline).toBeLessThan(80 * 1024 * 1024);
    } finally {
      await dev.stop();
    }
  });
});
