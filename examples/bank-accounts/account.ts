/** The domain: an account is opened, then takes deposits and withdrawals, never going below zero. */
export type AccountEvent =
  | { readonly type: 'AccountOpened'; readonly owner: string }
  | { readonly type: 'MoneyDeposited'; readonly amount: number }
  | { readonly type: 'MoneyWithdrawn'; readonly amount: number };

export type AccountCommand =
  | { readonly type: 'Open'; readonly owner: string }
  | { readonly type: 'Deposit'; readonly amount: number }
  | { readonly type: 'Withdraw'; readonly amount: number };

export type Account = { readonly status: 'none' } | { readonly status: 'open'; readonly owner: string; readonly balance: number };

export const NO_ACCOUNT: Account = { status: 'none' };

export function evolve(account: Account, event: AccountEvent): Account {
  if (event.type === 'AccountOpened') return { status: 'open', owner: event.owner, balance: 0 };
  if (account.status !== 'open') return account;
  return { ...account, balance: account.balance + (event.type === 'MoneyDeposited' ? event.amount : -event.amount) };
}

export class RefusedCommand extends Error {}

export function decide(command: AccountCommand, account: Account): AccountEvent[] {
  if (command.type === 'Open') {
    if (account.status === 'open') throw new RefusedCommand('The account is already open.');
    return [{ type: 'AccountOpened', owner: command.owner }];
  }
  if (account.status !== 'open') throw new RefusedCommand('The account is not open.');
  if (!(command.amount > 0)) throw new RefusedCommand('The amount must be positive.');
  if (command.type === 'Withdraw' && account.balance < command.amount) throw new RefusedCommand('Insufficient funds.');
  return [command.type === 'Deposit' ? { type: 'MoneyDeposited', amount: command.amount } : { type: 'MoneyWithdrawn', amount: command.amount }];
}
