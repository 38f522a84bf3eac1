import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { batchGetAll } from '../engines/dynamodb/batch-get.js';
import { DynamoDBStreamsClient, GetRecordsCommand, GetShardIteratorCommand } from '@aws-sdk/client-dynamodb-streams';
import { ChangeMessageVisibilityCommand, DeleteMessageCommand, ReceiveMessageCommand, type SQSClient } from '@aws-sdk/client-sqs';
import type { DynamoDBRecord } from 'aws-lambda';
import { toLambdaRecord } from '../dev/stream-poller.js';
import { changesetKeyId, checkpointOf, keyIdOf, num, str } from '../engines/dynamodb/items.js';
import type { TableNames } from '../engines/dynamodb/schema.js';

export type DeadLetterQueue = 'indexer' | 'publisher';

/**
 * What Lambda's event source mapping sends to an on-failure destination for a DynamoDB stream
 * batch: which invocation failed and how, and where the batch lies in the stream; not the records
 * themselves, and not the error's text (that is in the function's log, under the request id).
 */
export interface FailureRecord {
  readonly requestId: string | undefined;
  readonly functionArn: string | undefined;
  /** RetryAttemptsExhausted, RecordAgeExceeded or MaximumPayloadSizeExceeded. */
  readonly condition: string | undefined;
  readonly approximateInvokeCount: number | undefined;
  /** `Unhandled` (the function threw) or `Handled`; undefined when it answered but reported failures. */
  readonly functionError: string | undefined;
  readonly failedAt: string | undefined;
  readonly batch: {
    readonly streamArn: string;
    readonly shardId: string;
    readonly startSequenceNumber: string;
    readonly endSequenceNumber: string;
    readonly batchSize: number | undefined;
    readonly firstArrival: string | undefined;
    readonly lastArrival: string | undefined;
  };
}

export interface DeadLetter {
  readonly messageId: string;
  readonly receiptHandle: string;
  readonly sentAt: string | undefined;
  readonly receiveCount: number;
  /** Undefined when the body is not a stream failure record (shown raw). */
  readonly record: FailureRecord | undefined;
  readonly body: string;
}

/** The failure record in a dead letter's body, or undefined when it is something else. */
export function parseFailureRecord(body: string): FailureRecord | undefined {
  let parsed: Record<string, Record<string, unknown> | undefined>;
  try {
    parsed = JSON.parse(body) as typeof parsed;
  } catch {
    return undefined;
  }
  const info = parsed['DDBStreamBatchInfo'];
  if (typeof info !== 'object' || info === null || typeof info['shardId'] !== 'string' || typeof info['startSequenceNumber'] !== 'string' || typeof info['endSequenceNumber'] !== 'string' || typeof info['streamArn'] !== 'string') return undefined;
  const text = (value: unknown): string | undefined => (typeof value === 'string' ? value : undefined);
  const count = (value: unknown): number | undefined => (typeof value === 'number' ? value : undefined);
  const request = parsed['requestContext'] ?? {};
  const response = parsed['responseContext'] ?? {};
  return {
    requestId: text(request['requestId']),
    functionArn: text(request['functionArn']),
    condition: text(request['condition']),
    approximateInvokeCount: count(request['approximateInvokeCount']),
    functionError: text(response['functionError']),
    failedAt: text((parsed as Record<string, unknown>)['timestamp']),
    batch: {
      streamArn: info['streamArn'],
      shardId: info['shardId'],
      startSequenceNumber: info['startSequenceNumber'],
      endSequenceNumber: info['endSequenceNumber'],
      batchSize: count(info['batchSize']),
      firstArrival: text(info['approximateArrivalOfFirstRecord']),
      lastArrival: text(info['approximateArrivalOfLastRecord']),
    },
  };
}

/** How long a listed message stays hidden from others while a command holds it. */
const HOLD_SECONDS = 60;

/**
 * Every message of the queue (up to `max`), each received once: they are held hidden while the
 * listing runs and made visible again at the end, except those `keep` returns true for, which stay
 * held for the caller (to delete after a redrive).
 */
export async function receiveAll(sqs: SQSClient, queueUrl: string, options: { max?: number; keep?: (letter: DeadLetter) => boolean } = {}): Promise<DeadLetter[]> {
  const letters: DeadLetter[] = [];
  const max = options.max ?? 1000;
  try {
    while (letters.length < max) {
      const { Messages } = await sqs.send(
        new ReceiveMessageCommand({ QueueUrl: queueUrl, MaxNumberOfMessages: Math.min(10, max - letters.length), VisibilityTimeout: HOLD_SECONDS, WaitTimeSeconds: 0, MessageSystemAttributeNames: ['SentTimestamp', 'ApproximateReceiveCount'] }),
      );
      if (Messages === undefined || Messages.length === 0) break;
      for (const message of Messages) {
        const body = message.Body ?? '';
        const sent = message.Attributes?.['SentTimestamp'];
        letters.push({
          messageId: message.MessageId!,
          receiptHandle: message.ReceiptHandle!,
          sentAt: sent === undefined ? undefined : new Date(Number(sent)).toISOString(),
          receiveCount: Number(message.Attributes?.['ApproximateReceiveCount'] ?? 1),
          record: parseFailureRecord(body),
          body,
        });
      }
    }
  } finally {
    // Visible again at once: listing is only a look.
    await Promise.all(
      letters
        .filter((letter) => options.keep?.(letter) !== true)
        .map((letter) => sqs.send(new ChangeMessageVisibilityCommand({ QueueUrl: queueUrl, ReceiptHandle: letter.receiptHandle, VisibilityTimeout: 0 })).catch(() => undefined)),
    );
  }
  return letters;
}

export async function deleteLetter(sqs: SQSClient, queueUrl: string, letter: DeadLetter): Promise<void> {
  await sqs.send(new DeleteMessageCommand({ QueueUrl: queueUrl, ReceiptHandle: letter.receiptHandle }));
}

export async function releaseLetter(sqs: SQSClient, queueUrl: string, letter: DeadLetter): Promise<void> {
  await sqs.send(new ChangeMessageVisibilityCommand({ QueueUrl: queueUrl, ReceiptHandle: letter.receiptHandle, VisibilityTimeout: 0 }));
}

export type BatchRecords = { readonly available: true; readonly records: readonly DynamoDBRecord[] } | { readonly available: false; readonly reason: string };

const TRIMMED = new Set(['TrimmedDataAccessException', 'ResourceNotFoundException', 'ExpiredIteratorException']);

/**
 * The batch's records, read again from the table's stream while it still holds them (24 hours
 * from their arrival): from the start sequence number to the end one, in order.
 */
export async function readBatchRecords(streams: DynamoDBStreamsClient, batch: FailureRecord['batch']): Promise<BatchRecords> {
  const end = BigInt(batch.endSequenceNumber);
  const records: DynamoDBRecord[] = [];
  try {
    let { ShardIterator: iterator } = await streams.send(
      new GetShardIteratorCommand({ StreamArn: batch.streamArn, ShardId: batch.shardId, ShardIteratorType: 'AT_SEQUENCE_NUMBER', SequenceNumber: batch.startSequenceNumber }),
    );
    // An open shard answers an empty page when it has nothing more yet: a few in a row end the walk.
    for (let empty = 0; iterator !== undefined && empty < 5; ) {
      const page = await streams.send(new GetRecordsCommand({ ShardIterator: iterator, Limit: 1000 }));
      if ((page.Records ?? []).length === 0) empty++;
      for (const record of page.Records ?? []) {
        if (BigInt(record.dynamodb?.SequenceNumber ?? '0') > end) return { available: true, records };
        records.push(toLambdaRecord(record, batch.streamArn));
      }
      if (records.length > 0 && BigInt(records.at(-1)!.dynamodb?.SequenceNumber ?? '0') === end) return { available: true, records };
      iterator = page.NextShardIterator;
    }
  } catch (error) {
    const name = (error as { name?: string }).name ?? '';
    if (TRIMMED.has(name) || /trim|beyond|retention/i.test((error as Error).message ?? '')) {
      return { available: false, reason: `the stream no longer holds these records (${name}: it keeps them 24 hours)` };
    }
    throw error;
  }
  if (records.length === 0) return { available: false, reason: 'the stream no longer holds these records (it keeps them 24 hours)' };
  return { available: true, records };
}

export interface FailedChangeset {
  readonly streamId: string;
  readonly changesetId: number;
  /** Its checkpoint now (null: still without one), or undefined when the table has no such item. */
  readonly checkpoint: number | null | undefined;
}

/** The new changesets of the records and where each stands now in the table (consistent reads). */
export async function changesetsOf(client: DynamoDBClient, tables: TableNames, records: readonly DynamoDBRecord[]): Promise<FailedChangeset[]> {
  const keys = records
    .filter((record) => record.eventName === 'INSERT')
    .map((record) => ({ streamId: record.dynamodb?.Keys?.['stream_id']?.S ?? '', changesetId: Number(record.dynamodb?.Keys?.['changeset_id']?.N) }));
  const state = new Map<string, number | null>();
  for (let start = 0; start < keys.length; start += 100) {
    const slice = keys.slice(start, start + 100);
    const responses = await batchGetAll(client, { [tables.events]: { Keys: slice.map((key) => ({ stream_id: str(key.streamId), changeset_id: num(key.changesetId) })), ConsistentRead: true } });
    for (const item of responses[tables.events] ?? []) state.set(keyIdOf(item), checkpointOf(item));
  }
  return keys.map((key) => {
    const id = changesetKeyId(key.streamId, key.changesetId);
    return { ...key, checkpoint: state.has(id) ? state.get(id)! : undefined };
  });
}
