import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LIMITS } from '../../src/core/limits.js';
import { DATABASE_FILE } from '../../src/dev/embedded.js';
import { SqliteEngine } from '../../src/engines/sqlite/engine.js';
import { runCli, startDevProcess, type DevProcess } from '../support/processes.js';

/**
 * Data stored before the nesting limit (or written by something else) can be nested far deeper
 * than JSON.stringify goes; the CLI's readers print it as stored, and a projection built with a
 * checkpoint file gets past it.
 */
describe('readers of deeply nested stored data', () => {
  const dataDir = mkdtempSync(join(tmpdir(), 'ees-deep-'));
  const depth = 100_000;
  const deepEvent = `${'{"a":['.repeat(depth)}1${']}'.repeat(depth)}`;
  let dev: DevProcess;

  beforeAll(async () => {
    expect(depth).toBeGreaterThan(LIMITS.nestingMaxDepth);
    // Stored below the API, as an older version (or another writer) could have stored it.
    const engine = new SqliteEngine({ path: join(dataDir, DATABASE_FILE) });
    await engine.commit({ streamId: 'deep', expectation: { kind: 'changeset', value: 0 }, events: `[${deepEvent}]`, eventCount: 1, metadata: '{}' });
    await engine.commit({ streamId: 'deep', expectation: { kind: 'changeset', value: 1 }, events: '[{"type":"after"}]', eventCount: 1, metadata: '{}' });
    await engine.close();
    dev = await startDevProcess(['--port', '0', '--data-dir', dataDir]);
  });
  afterAll(async () => {
    await dev.stop();
    rmSync(dataDir, { recursive: true, force: true });
  });

  it('ees read prints the changeset, its events and their data as stored', async () => {
    const env = { EES_ENDPOINT: dev.url };
    const changesets = await runCli(['read', 'deep', '--json'], { env });
    expect(changesets.code, changesets.stderr).toBe(0);
    expect(changesets.stdout.split('\n')[0]).toContain(`"events":[${deepEvent}]`);
    const events = await runCli(['read', 'deep', '--data-only'], { env });
    expect(events.code, events.stderr).toBe(0);
    expect(events.stdout).toBe(`${deepEvent}\n{"type":"after"}\n`);
  });

  it('ees tail with a checkpoint file gets past it', async () => {
    const checkpointFile = join(dataDir, 'projection.checkpoint');
    const env = { EES_ENDPOINT: dev.url };
    const first = await runCli(['tail', '--checkpoint-file', checkpointFile, '--json'], { env });
    expect(first.code, first.stderr).toBe(0);
    const lines = first.stdout.trim().split('\n');
    expect(lines).toHaveLength(2);
    expect(lines[0]).toContain(deepEvent);
    expect(JSON.parse(lines[1]!)).toMatchObject({ stream_id: 'deep', changeset_id: 2 });
    expect(readFileSync(checkpointFile, 'utf8').trim()).toMatch(/2/);
    const again = await runCli(['tail', '--checkpoint-file', checkpointFile, '--json'], { env });
    expect(again.code, again.stderr).toBe(0);
    expect(again.stdout).toBe('');
  });
});
