/** The log file as group commit sees it: something to flush to disk, then to close. */
export interface DurableLog {
  /** Flushes everything written so far; may throw instead of rejecting. */
  flush(): Promise<void>;
  /** A flush in place for a lone commit, when the log has one (cheaper than the thread pool). */
  readonly flushInPlace: (() => void) | undefined;
  /** Releases the file; closing twice does nothing. */
  close(): void;
}

/** What writing a batch gave: an outcome (or an error of its own) per request, in order. */
export interface WrittenBatch<Outcome> {
  readonly outcomes: readonly (Outcome | Error)[];
  /** Called once the batch is durable, just before its outcomes are delivered. */
  readonly onDurable: () => void;
}

export interface GroupCommitLogOptions<Request, Outcome> {
  /** Writes a batch in one transaction; throws when nothing of it was written. */
  readonly write: (batch: readonly Request[]) => WrittenBatch<Outcome>;
  /** The log to flush before acknowledging; undefined when the storage makes writes durable itself. */
  readonly log: DurableLog | undefined;
  /** Off, every request is written and flushed at once, alone. */
  readonly grouped: boolean;
  /** Called after a batch is written and its flush has started: housekeeping that overlaps the disk wait. */
  readonly afterWrite?: (requests: number) => void;
}

interface Pending<Request, Outcome> {
  readonly request: Request;
  readonly resolve: (outcome: Outcome) => void;
  readonly reject: (error: unknown) => void;
}

/**
 * Group commit over a write-ahead log. Requests that arrive before the next turn of the event loop,
 * or while the log is being flushed, share one write and the next flush; every outcome waits for
 * the flush of the write that produced it. No batch is written while a flush runs: writing to a file
 * that is being flushed makes the flush wait for the new pages too.
 *
 * A failed flush leaves unknown what reached the disk: the batch and everything queued fail, the log
 * is closed at once (nothing will flush it again), and every later request fails with the same error.
 */
export class GroupCommitLog<Request, Outcome> {
  private queue: Pending<Request, Outcome>[] = [];
  private writeScheduled = false;
  /** The flush in progress; requests queue behind it. */
  private flushing: Promise<void> | undefined;
  private failed: Error | undefined;
  private closing: Promise<void> | undefined;

  constructor(private readonly options: GroupCommitLogOptions<Request, Outcome>) {}

  /** Set once a flush failed: no request is taken until a restart. */
  get failure(): Error | undefined {
    return this.failed;
  }

  get closed(): boolean {
    return this.closing !== undefined;
  }

  submit(request: Request): Promise<Outcome> {
    if (this.closing !== undefined) return Promise.reject(new Error('The event store is closed.'));
    if (this.failed !== undefined) return Promise.reject(this.failed);
    return new Promise((resolve, reject) => {
      this.queue.push({ request, resolve, reject });
      if (this.options.grouped) this.scheduleWrite();
      else this.writeQueued();
    });
  }

  /** Finishes what was accepted (the flush in progress, then whatever queued behind it), then closes the log. */
  close(): Promise<void> {
    this.closing ??= this.finishAndClose();
    return this.closing;
  }

  private async finishAndClose(): Promise<void> {
    while (this.flushing !== undefined || this.queue.length > 0) {
      if (this.flushing !== undefined) await this.flushing;
      else this.writeQueued();
    }
    this.options.log?.close();
  }

  private scheduleWrite(): void {
    if (this.writeScheduled || this.flushing !== undefined || this.queue.length === 0) return;
    this.writeScheduled = true;
    setImmediate(() => {
      this.writeScheduled = false;
      if (this.flushing === undefined) this.writeQueued();
    });
  }

  /** Writes the queued requests in one transaction, then has them flushed and acknowledged. */
  private writeQueued(): void {
    const batch = this.queue;
    this.queue = [];
    if (batch.length === 0) return;
    let written: WrittenBatch<Outcome>;
    try {
      written = this.options.write(batch.map((pending) => pending.request));
    } catch (error) {
      // Nothing of this batch was written.
      for (const pending of batch) pending.reject(error);
      return;
    }
    const log = this.options.log;
    if (log === undefined) {
      this.acknowledge(batch, written);
      return;
    }
    if (batch.length === 1 && log.flushInPlace !== undefined) {
      // A lone request: nothing else is waiting to be parsed, so flushing here costs the event loop
      // less than a round trip through the thread pool.
      try {
        log.flushInPlace();
      } catch (error) {
        this.failFlush(batch, error);
        return;
      }
      this.acknowledge(batch, written);
    } else {
      // A flush that throws instead of rejecting fails its batch all the same.
      this.flushing = new Promise<void>((resolve) => resolve(log.flush())).then(
        () => {
          this.flushing = undefined;
          this.acknowledge(batch, written);
          this.scheduleWrite();
        },
        (error: unknown) => {
          this.flushing = undefined;
          this.failFlush(batch, error);
        },
      );
    }
    this.options.afterWrite?.(batch.length);
  }

  private acknowledge(batch: readonly Pending<Request, Outcome>[], written: WrittenBatch<Outcome>): void {
    written.onDurable();
    batch.forEach((pending, index) => {
      const outcome = written.outcomes[index]!;
      if (outcome instanceof Error) pending.reject(outcome);
      else pending.resolve(outcome);
    });
  }

  private failFlush(batch: readonly Pending<Request, Outcome>[], error: unknown): void {
    this.failed = new Error(
      `The event store could not flush its log to disk: the commits it was flushing may or may not be stored, and it takes no more commits until it is restarted. ${String(error)}`,
      { cause: error },
    );
    for (const pending of [...batch, ...this.queue]) pending.reject(this.failed);
    this.queue = [];
    this.options.log?.close();
  }
}
