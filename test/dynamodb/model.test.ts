import { afterAll } from 'vitest';
import type { RunningDynamoDbStore } from '../../src/dev/dynamodb-store.js';
import { modelConformance } from '../reliability/model-suite.js';
import { startStore } from './support.js';

// One store for the file, started on first use: every property run uses stream ids of its own.
let store: Promise<RunningDynamoDbStore> | undefined;
afterAll(async () => {
  await (await store)?.close();
});

modelConformance(
  'dynamodb',
  async () => {
    store ??= startStore('model');
    const running = await store;
    return { engine: running.engine, settle: () => running.settle(), dispose: async () => {} };
  },
  { numRuns: 8 },
);
