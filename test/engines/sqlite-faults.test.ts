import { mkdtempSync, readdirSync, readlinkSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { pageOfGlobalOrder } from '../../src/core/pages.js';
import { SqliteEngine } from '../../src/engines/sqlite/engine.js';
import { changeset } from '../conformance/engine-suite.js';

describe('the SQLite engine when the disk is full in the middle of a group commit', () => {
  const directory = mkdtempSync(join(tmpdir(), 'ees-full-'));
  afterAll(() => rmSync(directory, { recursive: true, force: true }));

  it('refuses the whole batch, writes nothing of it, and keeps checkpoints dense', async () => {
    const path = join(directory, 'ees.sqlite');
    const engine = new SqliteEngine({ path });
    expect((await engine.commit(changeset('before', ['x']))).status).toBe('committed');
    await engine.close();
    // A process whose files may not grow past 200 KB (ulimit -f counts 512-byte blocks): the small
    // changesets fit, a batch holding a 300 KB one does not.
    const child = spawnSync('/bin/sh', ['-c', `ulimit -f 400; exec "${process.execPath}" "$0" "$1"`, fileURLToPath(new URL('../support/sqlite-full-disk-child.mjs', import.meta.url)), path], { encoding: 'utf8' });
    expect(child.status, child.stderr).toBe(0);
    const outcomes = JSON.parse(child.stdout) as { batch: string[]; after: unknown };
    expect(outcomes.batch).toEqual([expect.stringMatching(/^rejected/), expect.stringMatching(/^rejected/), expect.stringMatching(/^rejected/)]);
    expect(outcomes.after).toMatchObject({ status: 'committed', checkpoint: 1 });

    const reader = new SqliteEngine({ path });
    const order = pageOfGlobalOrder(await reader.readGlobal(0, { maxRecords: 100, maxBytes: 5e6 }), 0, 100);
    expect(order.changesets.map((record) => [record.streamId, record.checkpoint])).toEqual([
      ['before', 0],
      ['after', 1],
    ]);
    await reader.close();
  });
});

describe('the SQLite engine when the flush of its log fails at opening', () => {
  const directory = mkdtempSync(join(tmpdir(), 'ees-open-flush-'));
  afterAll(() => rmSync(directory, { recursive: true, force: true }));
  const openDescriptors = (): number => readdirSync('/proc/self/fd').length;

  it('refuses to open and closes the log file it opened for the flush', async () => {
    const path = join(directory, 'ees.sqlite');
    await new SqliteEngine({ path }).close();
    const before = openDescriptors();
    const failingFlush = (): void => {
      throw Object.assign(new Error('EIO: i/o error, fdatasync'), { code: 'EIO' });
    };
    for (let attempt = 0; attempt < 5; attempt++) {
      expect(() => new SqliteEngine({ path, flushFileAtOpening: failingFlush })).toThrow(/EIO/);
    }
    expect(openDescriptors()).toBe(before);
    const engine = new SqliteEngine({ path });
    expect((await engine.commit(changeset('after', ['x']))).status).toBe('committed');
    await engine.close();
  });
});

describe('the SQLite engine when the flush of its log fails while committing', () => {
  const directory = mkdtempSync(join(tmpdir(), 'ees-commit-flush-'));
  afterAll(() => rmSync(directory, { recursive: true, force: true }));
  /** Descriptors of this process open on the database's log: SQLite's own, and the one the engine flushes. */
  const logDescriptors = (path: string): number =>
    readdirSync('/proc/self/fd').filter((fd) => {
      try {
        return readlinkSync(`/proc/self/fd/${fd}`) === `${path}-wal`;
      } catch {
        return false;
      }
    }).length;

  it('closes the descriptor it opened for flushing at once, and close() closes nothing twice', async () => {
    const path = join(directory, 'ees.sqlite');
    const engine = new SqliteEngine({
      path,
      flushFile: async () => {
        throw Object.assign(new Error('EIO: i/o error, fdatasync'), { code: 'EIO' });
      },
    });
    expect(logDescriptors(path)).toBe(2);
    await expect(engine.commit(changeset('lost', ['x']))).rejects.toThrow(/could not flush its log to disk/);
    expect(logDescriptors(path)).toBe(1);
    await engine.close();
    expect(logDescriptors(path)).toBe(0);
  });
});

describe('the SQLite engine when the clock is set back', () => {
  it('stores commit times that never go back along the global order, so since finds the first at or after a time', async () => {
    const times = ['2026-12-01T10:00:00.000Z', '2026-12-01T10:00:05.000Z', '2026-12-01T09:59:00.000Z', '2026-12-01T10:00:07.000Z'];
    let next = 0;
    const engine = new SqliteEngine({ path: ':memory:', clock: () => new Date(times[next++]!) });
    for (const index of times.keys()) expect((await engine.commit(changeset(`clock-${index}`, [index]))).status).toBe('committed');
    const stored = (await engine.readGlobal(0, { maxRecords: 10, maxBytes: 1e9 })).map((record) => record.committedAt);
    expect(stored).toEqual(['2026-12-01T10:00:00.000Z', '2026-12-01T10:00:05.000Z', '2026-12-01T10:00:05.000Z', '2026-12-01T10:00:07.000Z']);
    expect(await engine.checkpointAtTime('2026-12-01T10:00:05.000Z')).toBe(1);
    expect(await engine.checkpointAtTime('2026-12-01T10:00:06.000Z')).toBe(3);
    expect(await engine.checkpointAtTime('2026-12-01T09:00:00.000Z')).toBe(0);
    await engine.close();
  });
});
