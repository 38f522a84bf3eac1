import { BatchGetItemCommand, type BatchGetItemCommandOutput, type DynamoDBClient, type KeysAndAttributes } from '@aws-sdk/client-dynamodb';
import { setTimeout as sleep } from 'node:timers/promises';
import type { Item } from './items.js';

export interface BatchGetOptions {
  readonly signal?: AbortSignal;
  /** The longest wait before the first retry of unprocessed keys (50 ms); it doubles each round. */
  readonly firstBackoffMs?: number;
  /** Where the backoff stops growing (2 s). */
  readonly maxBackoffMs?: number;
  /** In [0, 1): the jitter's source, Math.random unless a test fixes it. */
  readonly random?: () => number;
}

/**
 * One BatchGetItem request (up to 100 keys), with the keys DynamoDB left unprocessed asked for
 * again until none are left. DynamoDB leaves keys unprocessed when a table is throttled, so each
 * round waits first: exponential backoff with full jitter, as AWS advises.
 */
export async function batchGetAll(
  client: DynamoDBClient,
  request: Record<string, KeysAndAttributes>,
  options: BatchGetOptions = {},
): Promise<Record<string, Item[]>> {
  const found: Record<string, Item[]> = {};
  const firstBackoffMs = options.firstBackoffMs ?? 50;
  const maxBackoffMs = options.maxBackoffMs ?? 2_000;
  const random = options.random ?? Math.random;
  let pending: Record<string, KeysAndAttributes> | undefined = request;
  for (let round = 0; pending !== undefined && Object.keys(pending).length > 0; round++) {
    if (round > 0) {
      const ceiling = Math.min(maxBackoffMs, firstBackoffMs * 2 ** (round - 1));
      await sleep(random() * ceiling, undefined, { signal: options.signal });
    }
    const result: BatchGetItemCommandOutput = await client.send(new BatchGetItemCommand({ RequestItems: pending }), options.signal === undefined ? {} : { abortSignal: options.signal });
    for (const [table, items] of Object.entries(result.Responses ?? {})) (found[table] ??= []).push(...items);
    pending = result.UnprocessedKeys;
  }
  return found;
}
