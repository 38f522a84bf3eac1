import { isConflict, type EventStoreClient } from 'elastic-event-store/client';
import { decide, evolve, NO_ACCOUNT, type Account, type AccountCommand, type AccountEvent } from './account.js';

const streamOf = (accountId: string): string => `account-${accountId}`;

/**
 * The write side: a command is decided on the account as its events say, and appended with the
 * last event id it was decided on. When another writer got there first the append is refused as
 * a conflict, and the command is decided again on the newer state (never appended blindly).
 */
export class Bank {
  /** How many appends lost a race and were decided again. */
  conflicts = 0;

  constructor(
    private readonly store: EventStoreClient<AccountEvent>,
    private readonly maxAttempts = 20,
  ) {}

  async load(accountId: string): Promise<{ account: Account; lastEventId: number }> {
    let account = NO_ACCOUNT;
    let lastEventId = 0;
    try {
      for await (const event of this.store.readStream(streamOf(accountId), { by: 'event' })) {
        account = evolve(account, event.data);
        lastEventId = event.eventId;
      }
    } catch (error) {
      if ((error as { code?: string }).code !== 'STREAM_NOT_FOUND') throw error;
    }
    return { account, lastEventId };
  }

  async execute(accountId: string, command: AccountCommand): Promise<Account> {
    for (let attempt = 1; ; attempt++) {
      const { account, lastEventId } = await this.load(accountId);
      const events = decide(command, account);
      try {
        await this.store.append(streamOf(accountId), events, { expect: lastEventId === 0 ? 'new-stream' : { event: lastEventId }, metadata: { command: command.type } });
        return events.reduce(evolve, account);
      } catch (error) {
        if (!isConflict(error) || attempt >= this.maxAttempts) throw error;
        this.conflicts++;
      }
    }
  }
}
