import { LIMITS } from '../core/limits.js';
import { globalBudget } from '../core/pages.js';
import { applyToStatistics } from '../core/statistics.js';
import type { Statistics } from '../core/types.js';
import type { EventStoreEngine } from '../engines/port.js';

const BATCH = globalBudget(LIMITS.globalMaxLimit);

/**
 * Brings the statistics up to the head of the global order, batch by batch, from
 * `statistics_version`. Each batch is saved only if nobody saved before it, so a projector that
 * crashes and reruns, or two that run at once, count nothing twice. Returns the final state.
 */
export async function projectStatistics(engine: EventStoreEngine): Promise<Statistics> {
  let current = await engine.readStatistics();
  for (;;) {
    const records = await engine.readGlobal(current.statistics_version, BATCH);
    const next = applyToStatistics(current, records);
    if (next.statistics_version === current.statistics_version) return current;
    if (!(await engine.saveStatistics(next, current.statistics_version))) {
      // Another projector moved on: continue from what it saved.
      current = await engine.readStatistics();
      continue;
    }
    current = next;
  }
}

/**
 * Runs the projection soon after commits: many commits in a burst cause one run, and a commit
 * during a run causes one more after it.
 */
export class StatisticsScheduler {
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<void> | undefined;
  private again = false;

  constructor(
    private readonly engine: EventStoreEngine,
    private readonly delayMs = 100,
    private readonly onError: (error: unknown) => void = () => {},
  ) {}

  trigger(): void {
    if (this.running !== undefined) {
      this.again = true;
      return;
    }
    this.timer ??= setTimeout(() => this.run(), this.delayMs);
  }

  private run(): void {
    this.timer = undefined;
    this.running = projectStatistics(this.engine)
      .then(
        () => undefined,
        (error: unknown) => this.onError(error),
      )
      .finally(() => {
        this.running = undefined;
        if (this.again) {
          this.again = false;
          this.trigger();
        }
      });
  }

  /** Cancels a pending run and waits for one in progress. */
  async stop(): Promise<void> {
    clearTimeout(this.timer);
    this.timer = undefined;
    this.again = false;
    await this.running;
  }
}
