import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
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
