import { randomUUID } from 'node:crypto';
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { afterAll, inject } from 'vitest';
import { startDynamoDbStore, type DynamoDbStoreOptions, type RunningDynamoDbStore } from '../../src/dev/dynamodb-store.js';
import { tableNames, type TableNames } from '../../src/engines/dynamodb/schema.js';
import { ensureTables, localDynamoDbClient } from '../../src/engines/dynamodb/tables.js';
import { lambdaCodeDirectory } from '../../stack/lambda-code.js';
import type { EngineHarness } from '../conformance/engine-suite.js';

export function dynamodbEndpoint(): string {
  return inject('dynamodbEndpoint');
}

export function uniquePrefix(label: string): string {
  return `t-${label}-${randomUUID().slice(0, 8)}`;
}

/** `ees dev --engine dynamodb`, in-process, on the shared DynamoDB Local with tables of its own. */
export function startStore(label: string, token?: string, options: Pick<DynamoDbStoreOptions, 'longPollIntervalMs' | 'projectStatistics'> = {}): Promise<RunningDynamoDbStore> {
  return startDynamoDbStore({
    host: '127.0.0.1',
    port: 0,
    dynamodbEndpoint: dynamodbEndpoint(),
    tablePrefix: uniquePrefix(label),
    logError: () => {},
    ...(token === undefined ? {} : { token }),
    ...options,
  });
}

/**
 * One store for a test file, started on first use and closed after the file's tests: the shared
 * suites' tests use stream ids of their own and relative positions, so they may share it.
 */
export function storeForFile(label: string, options: Pick<DynamoDbStoreOptions, 'longPollIntervalMs' | 'projectStatistics'> = {}): () => Promise<RunningDynamoDbStore> {
  let store: Promise<RunningDynamoDbStore> | undefined;
  afterAll(async () => {
    await (await store)?.close();
  });
  return () => (store ??= startStore(label, undefined, options));
}

/** The part of an engine harness every shared suite needs, on a running store. */
export function storeHarness(running: RunningDynamoDbStore): Pick<EngineHarness, 'engine' | 'settle' | 'dispose'> {
  return { engine: running.engine, settle: () => running.settle(), dispose: async () => {} };
}

/**
 * Tables of their own for a file's Lambda handlers, and the environment the stack gives the
 * functions: the table names, and DynamoDB Local as the SDK's endpoint.
 */
export async function lambdaTables(label: string): Promise<TableNames> {
  const tables = tableNames(uniquePrefix(label));
  const client = localDynamoDbClient(dynamodbEndpoint());
  await ensureTables(client, tables);
  client.destroy();
  process.env['EES_EVENTS_TABLE'] = tables.events;
  process.env['EES_META_TABLE'] = tables.meta;
  process.env['EES_DYNAMODB_ENDPOINT'] = dynamodbEndpoint();
  return tables;
}

/** A built Lambda bundle (dist/lambda/<name>/index.js, CommonJS), as the stack deploys it. */
export function lambdaBundle<T>(name: string): T {
  const file = join(lambdaCodeDirectory(), name, 'index.js');
  if (!existsSync(file)) throw new Error(`${file} is missing: run npm run build first (npm test does).`);
  return createRequire(import.meta.url)(file) as T;
}
