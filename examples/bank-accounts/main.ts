import type { EventStoreClient } from 'elastic-event-store/client';
import type { AccountEvent } from './account.js';
import { Bank } from './bank.js';
import { Balances } from './read-model.js';

export interface ExampleReport {
  readonly accounts: number;
  readonly commands: number;
  /** Appends that lost a race to another teller and were decided again. */
  readonly conflictsRetried: number;
  /** Balances as the read model has them, and as the write side computes them. */
  readonly balances: Record<string, number>;
  readonly consistent: boolean;
}

/**
 * Opens accounts, lets several tellers deposit and withdraw on them at once (so their appends
 * race), and checks that the read model, fed by `subscribe`, ends with the balances the events say.
 */
export async function runExample(store: EventStoreClient<AccountEvent>, options: { accounts?: number; tellers?: number; operations?: number } = {}): Promise<ExampleReport> {
  const run = Math.random().toString(36).slice(2, 8);
  const accountIds = Array.from({ length: options.accounts ?? 3 }, (_, index) => `${run}-${index + 1}`);
  const bank = new Bank(store);
  const balances = new Balances();
  balances.position = await store.headCheckpoint();
  const stop = new AbortController();
  const following = balances.follow(store, stop.signal);
  try {
    for (const accountId of accountIds) await bank.execute(accountId, { type: 'Open', owner: `owner of ${accountId}` });
    let commands = accountIds.length;
    const operations = options.operations ?? 10;
    const tellers = Array.from({ length: options.tellers ?? 4 }, async (_, teller) => {
      for (let operation = 0; operation < operations; operation++) {
        const accountId = accountIds[(teller + operation) % accountIds.length]!;
        await bank.execute(accountId, operation % 3 === 2 ? { type: 'Withdraw', amount: 1 } : { type: 'Deposit', amount: teller + 1 });
        commands++;
      }
    });
    await Promise.all(tellers);
    await balances.caughtUpWith(await store.headCheckpoint());
    const expected: Record<string, number> = {};
    for (const accountId of accountIds) {
      const { account } = await bank.load(accountId);
      expected[accountId] = account.status === 'open' ? account.balance : 0;
    }
    const seen = Object.fromEntries(accountIds.map((accountId) => [accountId, balances.balances.get(accountId) ?? Number.NaN]));
    return {
      accounts: accountIds.length,
      commands,
      conflictsRetried: bank.conflicts,
      balances: seen,
      consistent: accountIds.every((accountId) => seen[accountId] === expected[accountId]),
    };
  } finally {
    stop.abort();
    await following;
  }
}
