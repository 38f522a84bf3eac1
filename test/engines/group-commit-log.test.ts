import { describe, expect, it } from 'vitest';
import { GroupCommitLog, type DurableLog } from '../../src/engines/sqlite/group-commit-log.js';

/** A log whose flushes wait until the test lets them go (or fail them), standing in for a disk. */
class GatedLog implements DurableLog {
  readonly flushInPlace = undefined;
  closes = 0;
  private readonly gates: { resolve: () => void; reject: (error: Error) => void }[] = [];

  flush(): Promise<void> {
    return new Promise((resolve, reject) => this.gates.push({ resolve, reject }));
  }

  get flushesWaiting(): number {
    return this.gates.length;
  }

  release(): void {
    this.gates.shift()!.resolve();
  }

  fail(): void {
    this.gates.shift()!.reject(new Error('EIO: i/o error, fdatasync'));
  }

  close(): void {
    this.closes++;
  }
}

/** Waits for a condition the log reaches on a later turn of the event loop, with a deadline. */
async function until(condition: () => boolean): Promise<void> {
  const deadline = Date.now() + 5_000;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error('condition not reached');
    await new Promise((resolve) => setImmediate(resolve));
  }
}

function recordingLog(log: DurableLog | undefined, options: { failWrite?: (batch: readonly number[]) => boolean } = {}) {
  const writes: number[][] = [];
  const durable: number[][] = [];
  const groupLog = new GroupCommitLog<number, string>({
    grouped: true,
    log,
    write: (batch) => {
      if (options.failWrite?.(batch) === true) throw new Error('disk full');
      writes.push([...batch]);
      return {
        outcomes: batch.map((request) => (request < 0 ? new Error(`refused ${request}`) : `done ${request}`)),
        onDurable: () => durable.push([...batch]),
      };
    },
  });
  return { groupLog, writes, durable };
}

describe('the group-commit log', () => {
  it('acknowledges a batch only after its flush, and groups what arrives meanwhile into the next write', async () => {
    const disk = new GatedLog();
    const { groupLog, writes, durable } = recordingLog(disk);
    const settled: string[] = [];
    const first = groupLog.submit(1).then((outcome) => settled.push(outcome));
    await until(() => disk.flushesWaiting === 1);
    expect(writes).toEqual([[1]]);

    const later = [2, 3, 4].map((request) => groupLog.submit(request).then((outcome) => settled.push(outcome)));
    // Nothing is written while a flush runs, and nothing is acknowledged before it completes.
    await new Promise((resolve) => setImmediate(resolve));
    expect(writes).toEqual([[1]]);
    expect(settled).toEqual([]);
    expect(durable).toEqual([]);

    disk.release();
    await first;
    expect(durable).toEqual([[1]]);
    await until(() => disk.flushesWaiting === 1);
    expect(writes).toEqual([[1], [2, 3, 4]]);
    expect(settled).toEqual(['done 1']);

    disk.release();
    await Promise.all(later);
    expect(settled).toEqual(['done 1', 'done 2', 'done 3', 'done 4']);
    expect(durable).toEqual([[1], [2, 3, 4]]);
  });

  it('fails a request alone when its write gives an error for it, after the flush', async () => {
    const disk = new GatedLog();
    const { groupLog } = recordingLog(disk);
    const results = Promise.allSettled([groupLog.submit(1), groupLog.submit(-1)]);
    await until(() => disk.flushesWaiting === 1);
    disk.release();
    expect((await results).map((result) => result.status)).toEqual(['fulfilled', 'rejected']);
  });

  it('rejects the whole batch when its write throws, and keeps taking requests', async () => {
    const { groupLog, writes } = recordingLog(undefined, { failWrite: (batch) => batch.includes(13) });
    const results = await Promise.allSettled([groupLog.submit(12), groupLog.submit(13)]);
    expect(results.map((result) => result.status)).toEqual(['rejected', 'rejected']);
    expect(await groupLog.submit(14)).toBe('done 14');
    expect(writes).toEqual([[14]]);
  });

  it('after a failed flush, fails its batch and the queue, closes the log at once, and takes no more requests', async () => {
    const disk = new GatedLog();
    const { groupLog, durable } = recordingLog(disk);
    const flushed = groupLog.submit(1);
    await until(() => disk.flushesWaiting === 1);
    const queued = groupLog.submit(2);
    disk.fail();
    await expect(flushed).rejects.toThrow(/could not flush its log to disk/);
    await expect(queued).rejects.toThrow(/could not flush its log to disk/);
    expect(groupLog.failure?.message).toMatch(/until it is restarted/);
    expect(disk.closes).toBe(1);
    expect(durable).toEqual([]);
    await expect(groupLog.submit(3)).rejects.toBe(groupLog.failure);
    await groupLog.close();
    expect(disk.closes).toBeGreaterThanOrEqual(1);
  });

  it('fails the batch of a flush that throws instead of rejecting', async () => {
    const throwing: DurableLog = {
      flushInPlace: undefined,
      flush: () => {
        throw new Error('EBADF');
      },
      close: () => {},
    };
    const { groupLog } = recordingLog(throwing);
    await expect(groupLog.submit(1)).rejects.toThrow(/EBADF/);
  });

  it('on close, finishes the flush in progress and what queued behind it, then closes the log', async () => {
    const disk = new GatedLog();
    const { groupLog, writes } = recordingLog(disk);
    const first = groupLog.submit(1);
    await until(() => disk.flushesWaiting === 1);
    const second = groupLog.submit(2);
    const closed = groupLog.close();
    await expect(groupLog.submit(3)).rejects.toThrow(/closed/);
    disk.release();
    await until(() => disk.flushesWaiting === 1);
    expect(disk.closes).toBe(0);
    disk.release();
    await closed;
    expect(await Promise.all([first, second])).toEqual(['done 1', 'done 2']);
    expect(writes).toEqual([[1], [2]]);
    expect(disk.closes).toBe(1);
  });
});
