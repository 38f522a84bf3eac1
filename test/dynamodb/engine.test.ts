import { PutItemCommand } from '@aws-sdk/client-dynamodb';
import { DynamoDbEngine } from '../../src/engines/dynamodb/engine.js';
import { engineConformance } from '../conformance/engine-suite.js';
import { storeForFile, storeHarness } from './support.js';
import { COMMIT_TIME_SKEW_MS } from '../../src/engines/dynamodb/engine.js';

// Long polls never look by themselves: the suite's wake-up test passes only if the indexer wakes
// them. No background projector: the suite's statistics tests are the only ones.
const store = storeForFile('conformance', { longPollIntervalMs: 3_600_000, projectStatistics: false });

engineConformance('dynamodb', async () => {
  const running = await store();
  return {
    ...storeHarness(running),
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
    storageForChild: { kind: 'dynamodb', endpoint: running.dynamodbEndpoint, tables: running.tables },
    commitTimeSkewMs: COMMIT_TIME_SKEW_MS,
    openAnother: async () => new DynamoDbEngine({ client: running.client, tables: running.tables }),
  };
});
