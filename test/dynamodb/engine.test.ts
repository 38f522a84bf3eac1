import { PutItemCommand } from '@aws-sdk/client-dynamodb';
import { afterAll } from 'vitest';
import type { RunningDynamoDbStore } from '../../src/dev/dynamodb-store.js';
import { DynamoDbEngine } from '../../src/engines/dynamodb/engine.js';
import { engineConformance } from '../conformance/engine-suite.js';
import { startStore } from './support.js';

// One store for the file: the suite's tests use stream ids of their own and relative positions.
let store: Promise<RunningDynamoDbStore> | undefined;
afterAll(async () => {
  await (await store)?.close();
});

engineConformance('dynamodb', async () => {
  store ??= startStore('conformance');
  const running = await store;
  return {
    engine: running.engine,
    settle: () => running.settle(),
    dispose: async () => {},
    // Just before the engine's conditional put of that changeset is sent, another writer's put of
    // the same key lands: the engine has read the head already, and only the condition catches it.
    storeBehindTheCheck: async (streamId, changesetId) => {
      const name = `race-${streamId}-${changesetId}`;
      running.client.middlewareStack.add(
        (next, context) => async (args) => {
          const item = (args.input as { Item?: Record<string, { S?: string; N?: string }> }).Item;
          if (context.commandName === 'PutItemCommand' && item?.['stream_id']?.S === streamId && item['changeset_id']?.N === String(changesetId)) {
            running.client.middlewareStack.remove(name);
            await running.client.send(new PutItemCommand({ TableName: running.tables.events, Item: { ...item, events: { S: '["other writer"]' } } }));
          }
          return next(args);
        },
        { step: 'initialize', name },
      );
    },
    openAnother: async () => new DynamoDbEngine({ client: running.client, tables: running.tables }),
  };
});
