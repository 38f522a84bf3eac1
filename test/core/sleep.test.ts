import { describe, expect, it } from 'vitest';
import { sleep } from '../../src/core/sleep.js';

const pendingTimers = (): number => process.getActiveResourcesInfo().filter((kind) => kind === 'Timeout').length;

describe('sleep', () => {
  it('resolves (never rejects) as soon as its signal aborts, and clears its timer', async () => {
    const before = pendingTimers();
    const controller = new AbortController();
    // An hour: only the abort can end it within the test.
    const waiting = sleep(3_600_000, controller.signal);
    expect(pendingTimers()).toBe(before + 1);
    controller.abort();
    await expect(waiting).resolves.toBeUndefined();
    expect(pendingTimers()).toBe(before);
  });

  it('resolves at once, setting no timer, when the signal has already aborted', async () => {
    const before = pendingTimers();
    const waiting = sleep(3_600_000, AbortSignal.abort());
    expect(pendingTimers()).toBe(before);
    await expect(waiting).resolves.toBeUndefined();
  });

  it('waits out its time without a signal', async () => {
    let done = false;
    const waiting = sleep(1).then(() => (done = true));
    expect(done).toBe(false);
    await waiting;
    expect(done).toBe(true);
  });
});
