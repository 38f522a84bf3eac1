interface Waiter {
  readonly checkpoint: number;
  readonly release: () => void;
}

/**
 * Long-poll readers waiting for a checkpoint. Commits wake them directly (no polling timer); the
 * only timer is each reader's own time limit.
 */
export class CheckpointWaiters {
  private readonly waiting = new Set<Waiter>();

  wait(checkpoint: number, timeoutMs: number, signal?: AbortSignal): Promise<void> {
    if (timeoutMs <= 0 || signal?.aborted) return Promise.resolve();
    return new Promise((resolve) => {
      const release = (): void => {
        clearTimeout(timer);
        signal?.removeEventListener('abort', release);
        this.waiting.delete(waiter);
        resolve();
      };
      const waiter: Waiter = { checkpoint, release };
      const timer = setTimeout(release, timeoutMs);
      signal?.addEventListener('abort', release, { once: true });
      this.waiting.add(waiter);
    });
  }

  /** Wakes every reader waiting for a checkpoint below `nextCheckpoint`. */
  notify(nextCheckpoint: number): void {
    for (const waiter of this.waiting) {
      if (waiter.checkpoint < nextCheckpoint) waiter.release();
    }
  }

  releaseAll(): void {
    for (const waiter of this.waiting) waiter.release();
  }
}
