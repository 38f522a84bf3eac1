import type { EventStoreClient, GlobalChangeset } from 'elastic-event-store/client';
import type { AccountEvent } from './account.js';

/**
 * The read side: every account's balance, kept up to date from the global order with `subscribe`.
 * It remembers the checkpoint it has applied, so a reader can wait until it has seen a write.
 */
export class Balances {
  readonly balances = new Map<string, number>();
  /** The next checkpoint to apply. */
  position = 0;
  private readonly waiters = new Set<() => void>();

  apply(changeset: GlobalChangeset<AccountEvent>): void {
    if (changeset.streamId.startsWith('account-')) {
      const accountId = changeset.streamId.slice('account-'.length);
      for (const event of changeset.events) {
        const balance = this.balances.get(accountId) ?? 0;
        if (event.type === 'AccountOpened') this.balances.set(accountId, 0);
        else this.balances.set(accountId, balance + (event.type === 'MoneyDeposited' ? event.amount : -event.amount));
      }
    }
    this.position = changeset.checkpoint + 1;
    for (const wake of this.waiters) wake();
  }

  /** Follows the store until `signal` aborts. */
  async follow(store: EventStoreClient<AccountEvent>, signal: AbortSignal): Promise<void> {
    for await (const changeset of store.subscribe({ from: this.position, signal })) this.apply(changeset);
  }

  /** Resolves once everything before `checkpoint` has been applied. */
  async caughtUpWith(checkpoint: number): Promise<void> {
    while (this.position < checkpoint) {
      await new Promise<void>((resolve) => {
        const wake = (): void => {
          this.waiters.delete(wake);
          resolve();
        };
        this.waiters.add(wake);
      });
    }
  }
}
