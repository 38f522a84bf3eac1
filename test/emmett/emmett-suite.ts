import { randomUUID } from 'node:crypto';
import {
  CommandHandler,
  DeciderSpecification,
  IllegalStateError,
  isExpectedVersionConflictError,
  NO_CONCURRENCY_CHECK,
  STREAM_DOES_NOT_EXIST,
  STREAM_EXISTS,
} from '@event-driven-io/emmett';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { connect, type EventStoreClient } from '../../src/client/index.js';
import { getEesEventStore, type EesEventStore } from '../../src/emmett/index.js';
import { decide, evolve, initialState, type AccountEvent } from './bank-account.js';
import { caught } from '../support/caught.js';

const handle = CommandHandler({ evolve, initialState });

/** Emmett's EventStore on ees, through `ees dev` at the URL `start` gives. */
export function describeEmmettSuite(name: string, start: () => Promise<{ url: string; stop: () => Promise<unknown> }>): void {
  describe(`Emmett on ees: ${name}`, () => {
    let server: { url: string; stop: () => Promise<unknown> };
    let client: EventStoreClient;
    let eventStore: EesEventStore;
    const account = (label: string): string => `account-${label}-${randomUUID().slice(0, 8)}`;

    beforeAll(async () => {
      server = await start();
      client = await connect({ endpoint: server.url, env: {} });
      eventStore = getEesEventStore(client);
    });
    afterAll(async () => {
      await eventStore?.close();
      await client?.close();
      await server?.stop();
    });

    it('decides as the specification says (Emmett DeciderSpecification)', () => {
      const given = DeciderSpecification.for({ decide, evolve, initialState });
      given([])
        .when({ type: 'OpenAccount', data: { accountId: 'a', owner: 'ann' } })
        .then([{ type: 'AccountOpened', data: { accountId: 'a', owner: 'ann' } }]);
      given([{ type: 'AccountOpened', data: { accountId: 'a', owner: 'ann' } }, { type: 'MoneyDeposited', data: { accountId: 'a', amount: 5 } }])
        .when({ type: 'Withdraw', data: { accountId: 'a', amount: 10 } })
        .thenThrows(IllegalStateError);
    });

    it('handles commands with CommandHandler: versions are ees event ids, events keep their type', async () => {
      const id = account('handled');
      const opened = await handle(eventStore, id, (state) => decide({ type: 'OpenAccount', data: { accountId: id, owner: 'ann' } }, state));
      expect(opened.nextExpectedStreamVersion).toBe(1n);
      expect(opened.createdNewStream).toBe(true);
      await handle(eventStore, id, (state) => decide({ type: 'Deposit', data: { accountId: id, amount: 30 } }, state));
      const withdrawn = await handle(eventStore, id, (state) => decide({ type: 'Withdraw', data: { accountId: id, amount: 12 } }, state));
      expect(withdrawn.newState).toEqual({ status: 'open', owner: 'ann', balance: 18 });
      expect(withdrawn.nextExpectedStreamVersion).toBe(3n);
      expect((await client.head(id))?.lastEventId).toBe(3);
      // A rule of the decider holds across commands, with the state rebuilt from ees.
      expect(await caught(handle(eventStore, id, (state) => decide({ type: 'Withdraw', data: { accountId: id, amount: 100 } }, state)))).toBeInstanceOf(IllegalStateError);
      // As ees stores them: one event per Emmett event, with its type at the top.
      const stored = [];
      for await (const event of client.readStream<{ type: string; data: unknown; metadata: { messageId: string } }>(id, { by: 'event' })) stored.push(event.data);
      expect(stored.map((event) => event.type)).toEqual(['AccountOpened', 'MoneyDeposited', 'MoneyWithdrawn']);
      expect(stored[1]!.data).toEqual({ accountId: id, amount: 30 });
      expect(typeof stored[0]!.metadata.messageId).toBe('string');
      const read = await eventStore.readStream<AccountEvent>(id);
      expect(read.currentStreamVersion).toBe(3n);
      expect(read.events.map((event) => [event.type, event.metadata.streamPosition, event.metadata.streamName])).toEqual([
        ['AccountOpened', 1n, id],
        ['MoneyDeposited', 2n, id],
        ['MoneyWithdrawn', 3n, id],
      ]);
      expect(read.events[0]!.metadata.messageId).toBe(stored[0]!.metadata.messageId);
      expect((await eventStore.readStream<AccountEvent>(id, { from: 2n, maxCount: 1n })).events.map((event) => event.type)).toEqual(['MoneyDeposited']);
    });

    it('maps every expected stream version, and throws Emmett\'s own conflict error', async () => {
      const id = account('versions');
      const deposit = (amount: number): AccountEvent[] => [{ type: 'MoneyDeposited', data: { accountId: id, amount } }];
      expect(isExpectedVersionConflictError(await caught(eventStore.appendToStream(id, deposit(1), { expectedStreamVersion: STREAM_EXISTS })))).toBe(true);
      expect((await eventStore.appendToStream(id, deposit(1), { expectedStreamVersion: STREAM_DOES_NOT_EXIST })).nextExpectedStreamVersion).toBe(1n);
      expect(isExpectedVersionConflictError(await caught(eventStore.appendToStream(id, deposit(2), { expectedStreamVersion: STREAM_DOES_NOT_EXIST })))).toBe(true);
      expect((await eventStore.appendToStream(id, deposit(2), { expectedStreamVersion: 1n })).nextExpectedStreamVersion).toBe(2n);
      const stale = await caught(eventStore.appendToStream(id, deposit(3), { expectedStreamVersion: 1n }));
      expect(isExpectedVersionConflictError(stale)).toBe(true);
      expect(stale).toMatchObject({ current: '2', expected: '1' });
      expect((await eventStore.appendToStream(id, deposit(3), { expectedStreamVersion: STREAM_EXISTS })).nextExpectedStreamVersion).toBe(3n);
      expect((await eventStore.appendToStream(id, deposit(4), { expectedStreamVersion: NO_CONCURRENCY_CHECK })).nextExpectedStreamVersion).toBe(4n);
      expect((await eventStore.appendToStream(id, deposit(5))).nextExpectedStreamVersion).toBe(5n);
      expect(isExpectedVersionConflictError(await caught(eventStore.readStream(id, { expectedStreamVersion: 3n })))).toBe(true);
      const missing = await eventStore.aggregateStream(account('missing'), { evolve, initialState });
      expect(missing).toEqual({ currentStreamVersion: 0n, state: { status: 'none' }, streamExists: false });
    });

    it('lets racing command handlers through one at a time when they retry on conflict', async () => {
      const id = account('race');
      await handle(eventStore, id, (state) => decide({ type: 'OpenAccount', data: { accountId: id, owner: 'ann' } }, state));
      const deposits = Array.from({ length: 4 }, (_, index) =>
        handle(eventStore, id, (state) => decide({ type: 'Deposit', data: { accountId: id, amount: index + 1 } }, state), { retry: { onVersionConflict: 20 } }),
      );
      await Promise.all(deposits);
      const { state, currentStreamVersion } = await eventStore.aggregateStream(id, { evolve, initialState });
      expect(state).toEqual({ status: 'open', owner: 'ann', balance: 10 });
      expect(currentStreamVersion).toBe(5n);
    });
  });
}
