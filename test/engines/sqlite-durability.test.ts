import { fdatasync, fstatSync, mkdtempSync, rmSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import Database from 'better-sqlite3';
import { afterAll, describe, expect, it } from 'vitest';
import { pageOfGlobalOrder } from '../../src/core/pages.js';
import { SqliteEngine } from '../../src/engines/sqlite/engine.js';
import { changeset } from '../conformance/engine-suite.js';

const ALL = { maxRecords: 1_000, maxBytes: 5e6 };
const realFlush = promisify(fdatasync);

/** A log flush that waits until the test lets it go, standing in for a slow disk. */
function gatedFlush(): { flush: (fd: number) => Promise<void>; started: () => number; release: () => void } {
  let started = 0;
  let open = (): void => {};
  let gate = new Promise<void>((resolve) => (open = resolve));
  return {
    flush: async (fd) => {
      started++;
      await gate;
      await realFlush(fd);
    },
    started: () => started,
    release: () => {
      open();
      gate = new Promise<void>((resolve) => (open = resolve));
    },
  };
}

async function until(condition: () => boolean): Promise<void> {
  while (!condition()) await new Promise((resolve) => setImmediate(resolve));
}

describe('the SQLite engine acknowledges a commit only after flushing its log', () => {
  const directory = mkdtempSync(join(tmpdir(), 'ees-durable-'));
  afterAll(() => rmSync(directory, { recursive: true, force: true }));

  it('keeps a written changeset from readers and followers until its flush completes', async () => {
    const disk = gatedFlush();
    const engine = new SqliteEngine({ path: join(directory, 'gated.sqlite'), flushFile: disk.flush });
    let acknowledged = false;
    const commit = engine.commit(changeset('s', ['e1'])).then((outcome) => {
      acknowledged = true;
      return outcome;
    });
    let followerWoke = false;
    // An hour: only the flush's wake-up, not the time limit, can end it within the test.
    const follower = engine.waitForCheckpoint(0, 3_600_000).then(() => (followerWoke = true));
    await until(() => disk.started() === 1);

    // Written to the table, not yet on disk: invisible and unacknowledged.
    expect(acknowledged).toBe(false);
    expect(followerWoke).toBe(false);
    expect(await engine.readGlobal(0, ALL)).toEqual([]);
    const read = await engine.readStream('s', 'changeset', { from: 1, to: Number.POSITIVE_INFINITY }, ALL);
    expect(read.head.lastChangesetId).toBe(0);
    expect(read.records).toEqual([]);

    // Commits arriving meanwhile wait for the flush; they are judged against the written head.
    const racing = engine.commit(changeset('s', ['e2'], { kind: 'changeset', value: 0 }));
    const following = engine.commit(changeset('s', ['e2'], { kind: 'changeset', value: 1 }));
    disk.release();
    expect(await commit).toEqual({ status: 'committed', changesetId: 1, checkpoint: 0 });
    await follower;
    expect((await engine.readGlobal(0, ALL)).map((record) => record.checkpoint)).toEqual([0]);

    // The two queued commits share the next transaction and the next flush.
    await until(() => disk.started() === 2);
    disk.release();
    expect(await racing).toMatchObject({ status: 'behind' });
    expect(await following).toEqual({ status: 'committed', changesetId: 2, checkpoint: 1 });
    expect(disk.started()).toBe(2);
    await engine.close();
  });

  it('refuses the commits of a failed flush, never shows them, and takes no more commits', async () => {
    const path = join(directory, 'failing.sqlite');
    let failing = false;
    const engine = new SqliteEngine({
      path,
      flushFile: async (fd) => {
        if (failing) throw Object.assign(new Error('EIO: i/o error, fdatasync'), { code: 'EIO' });
        await realFlush(fd);
      },
    });
    expect(await engine.commit(changeset('before', ['x']))).toMatchObject({ status: 'committed', checkpoint: 0 });

    failing = true;
    const lost = await Promise.allSettled([engine.commit(changeset('a', ['x'])), engine.commit(changeset('b', ['y']))]);
    expect(lost.map((result) => result.status)).toEqual(['rejected', 'rejected']);
    expect(((lost[0] as PromiseRejectedResult).reason as Error).message).toMatch(/could not flush its log to disk/);
    expect((await engine.readGlobal(0, ALL)).map((record) => record.streamId)).toEqual(['before']);

    failing = false;
    await expect(engine.commit(changeset('later', ['z']))).rejects.toThrow(/until it is restarted/);
    await engine.close();
  });

  it('checkpoints the log every so many commits, lone or grouped, so it does not grow without end', async () => {
    // The log file on disk: after a checkpoint SQLite writes the log from its start again, so its
    // size is the most frames it ever held between two checkpoints (a 32-byte header, then frames
    // of a 24-byte header and a page).
    const framesInLog = (path: string): number => {
      const reader = new Database(path, { readonly: true, fileMustExist: true });
      const size = reader.pragma('page_size', { simple: true }) as number;
      reader.close();
      return Math.round((statSync(`${path}-wal`).size - 32) / (size + 24));
    };
    const lonePath = join(directory, 'checkpoints-lone.sqlite');
    const lone = new SqliteEngine({ path: lonePath, checkpointEveryRows: 20 });
    for (let index = 0; index < 100; index++) await lone.commit(changeset('lone', [index], { kind: 'changeset', value: index }));
    // Each commit writes a few pages; without checkpoints the log would hold about 200 of them.
    expect(framesInLog(lonePath)).toBeLessThan(60);
    await lone.close();

    const groupedPath = join(directory, 'checkpoints-grouped.sqlite');
    const grouped = new SqliteEngine({ path: groupedPath, checkpointEveryRows: 20 });
    for (let round = 0; round < 100; round++) {
      await Promise.all(Array.from({ length: 10 }, (_, writer) => grouped.commit(changeset(`group-${writer}`, [round], { kind: 'changeset', value: round }))));
    }
    // Without checkpoints: about 230 frames.
    expect(framesInLog(groupedPath)).toBeLessThan(60);
    expect((await grouped.readGlobal(0, ALL)).length).toBe(1_000);
    await grouped.close();
  });

  it('flushes the log of the real database file when opened through a symbolic link', async () => {
    const real = join(directory, 'real.sqlite');
    const link = join(directory, 'link.sqlite');
    new Database(real).close();
    symlinkSync(real, link);
    // A stray file where a careless engine would look for the log.
    writeFileSync(`${link}-wal`, '');
    const flushedFiles = new Set<number>();
    const engine = new SqliteEngine({
      path: link,
      flushFile: async (fd) => {
        flushedFiles.add(fstatSync(fd).ino);
        await realFlush(fd);
      },
    });
    expect(await engine.commit(changeset('s', ['x']))).toMatchObject({ status: 'committed' });
    expect([...flushedFiles]).toEqual([statSync(`${real}-wal`).ino]);
    await engine.close();
  });

  it('closes once, however often it is asked, after finishing what was accepted', async () => {
    const disk = gatedFlush();
    const engine = new SqliteEngine({ path: join(directory, 'closing.sqlite'), flushFile: disk.flush });
    const first = engine.commit(changeset('a', ['x']));
    await until(() => disk.started() === 1);
    const queued = engine.commit(changeset('b', ['y']));
    let closed = 0;
    const closes = [engine.close(), engine.close()].map((closing) => closing.then(() => closed++));
    await new Promise((resolve) => setImmediate(resolve));
    expect(closed).toBe(0);
    disk.release();
    await until(() => disk.started() === 2);
    disk.release();
    await Promise.all(closes);
    expect(closed).toBe(2);
    expect((await first).status).toBe('committed');
    expect((await queued).status).toBe('committed');
  });

  it('acknowledges commits on a path that skips its own flush (synchronous NORMAL) and on the per-commit baseline', async () => {
    for (const options of [{ synchronous: 'NORMAL' as const }, { groupCommit: false }]) {
      const engine = new SqliteEngine({ path: join(directory, `${JSON.stringify(options).replace(/\W/g, '')}.sqlite`), ...options });
      const outcomes = await Promise.all(['a', 'b', 'c'].map((stream) => engine.commit(changeset(stream, ['x']))));
      expect(outcomes.map((outcome) => outcome.status)).toEqual(['committed', 'committed', 'committed']);
      const order = pageOfGlobalOrder(await engine.readGlobal(0, ALL), 0, 100);
      expect(order.changesets.map((record) => record.streamId)).toEqual(['a', 'b', 'c']);
      await engine.close();
    }
  });
});

describe('the SQLite engine opening data of an earlier schema', () => {
  const directory = mkdtempSync(join(tmpdir(), 'ees-schema-'));
  afterAll(() => rmSync(directory, { recursive: true, force: true }));

  it('drops the event index of schema 1 and still reads by event id', async () => {
    const path = join(directory, 'ees.sqlite');
    const first = new SqliteEngine({ path });
    await first.commit(changeset('s', ['e1', 'e2']));
    await first.commit(changeset('s', ['e3'], { kind: 'changeset', value: 1 }));
    await first.close();
    // Put the database back to schema 1 as an earlier release left it.
    const earlier = new Database(path);
    earlier.exec('CREATE UNIQUE INDEX changesets_by_last_event ON changesets (stream_id, last_event_id)');
    earlier.pragma('user_version = 1');
    earlier.close();

    const engine = new SqliteEngine({ path });
    const read = await engine.readStream('s', 'event', { from: 3, to: 3 }, ALL);
    expect(read.records.map((record) => record.changesetId)).toEqual([2]);
    await engine.close();
    const reopened = new Database(path, { readonly: true });
    expect(reopened.pragma('user_version', { simple: true })).toBe(2);
    expect(reopened.prepare("SELECT name FROM sqlite_master WHERE type = 'index' AND name = 'changesets_by_last_event'").all()).toEqual([]);
    reopened.close();
  });
});
