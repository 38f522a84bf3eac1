import { randomUUID } from 'node:crypto';
import { inject } from 'vitest';
import { startDynamoDbStore, type RunningDynamoDbStore } from '../../src/dev/dynamodb-store.js';

export function dynamodbEndpoint(): string {
  return inject('dynamodbEndpoint');
}

export function uniquePrefix(label: string): string {
  return `t-${label}-${randomUUID().slice(0, 8)}`;
}

/** `ees dev --engine dynamodb`, in-process, on the shared DynamoDB Local with tables of its own. */
export function startStore(label: string, token?: string): Promise<RunningDynamoDbStore> {
  return startDynamoDbStore({
    host: '127.0.0.1',
    port: 0,
    dynamodbEndpoint: dynamodbEndpoint(),
    tablePrefix: uniquePrefix(label),
    logError: () => {},
    ...(token === undefined ? {} : { token }),
  });
}
