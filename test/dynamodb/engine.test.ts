import { afterAll } from 'vitest';
import type { RunningDynamoDbStore } from '../../src/dev/dynamodb-store.js';
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
  return { engine: running.engine, settle: () => running.settle(), dispose: async () => {} };
});
