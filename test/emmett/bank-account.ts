import { IllegalStateError, type Event } from '@event-driven-io/emmett';

/** A small decider, the shape Emmett's CommandHandler and DeciderSpecification work with. */
export type AccountOpened = Event<'AccountOpened', { accountId: string; owner: string }>;
export type MoneyDeposited = Event<'MoneyDeposited', { accountId: string; amount: number }>;
export type MoneyWithdrawn = Event<'MoneyWithdrawn', { accountId: string; amount: number }>;
export type AccountEvent = AccountOpened | MoneyDeposited | MoneyWithdrawn;

export type AccountCommand =
  | { type: 'OpenAccount'; data: { accountId: string; owner: string } }
  | { type: 'Deposit'; data: { accountId: string; amount: number } }
  | { type: 'Withdraw'; data: { accountId: string; amount: number } };

export type Account = { status: 'none' } | { status: 'open'; owner: string; balance: number };

export const initialState = (): Account => ({ status: 'none' });

export function evolve(state: Account, event: AccountEvent): Account {
  switch (event.type) {
    case 'AccountOpened':
      return { status: 'open', owner: event.data.owner, balance: 0 };
    case 'MoneyDeposited':
      return state.status === 'open' ? { ...state, balance: state.balance + event.data.amount } : state;
    case 'MoneyWithdrawn':
      return state.status === 'open' ? { ...state, balance: state.balance - event.data.amount } : state;
  }
}

export function decide(command: AccountCommand, state: Account): AccountEvent {
  switch (command.type) {
    case 'OpenAccount':
      if (state.status !== 'none') throw new IllegalStateError('The account is already open.');
      return { type: 'AccountOpened', data: command.data };
    case 'Deposit':
      if (state.status !== 'open') throw new IllegalStateError('The account is not open.');
      return { type: 'MoneyDeposited', data: command.data };
    case 'Withdraw':
      if (state.status !== 'open') throw new IllegalStateError('The account is not open.');
      if (state.balance < command.data.amount) throw new IllegalStateError('Insufficient funds.');
      return { type: 'MoneyWithdrawn', data: command.data };
  }
}
