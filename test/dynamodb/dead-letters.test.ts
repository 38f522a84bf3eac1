import { CreateQueueCommand, GetQueueAttributesCommand, SendMessageCommand, SQSClient } from '@aws-sdk/client-sqs';
import { DescribeStreamCommand, DynamoDBStreamsClient, GetRecordsCommand, GetShardIteratorCommand, type _Record as StreamRecord } from '@aws-sdk/client-dynamodb-streams';
import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DynamoDbEngine } from '../../src/engines/dynamodb/engine.js';
import { repairUnindexed } from '../../src/engines/dynamodb/repair.js';
import { tableNames, type TableNames } from '../../src/engines/dynamodb/schema.js';
import { ensureTables, localDynamoDbClient } from '../../src/engines/dynamodb/tables.js';
import { runCli } from '../support/processes.js';
import { startSnsEmulator, type SnsEmulator } from '../support/sns-emulator.js';
import { dynamodbEndpoint, uniquePrefix } from './support.js';

let client: DynamoDBClient;
let streams: DynamoDBStreamsClient;
let sqs: SQSClient;
let emulator: SnsEmulator;
let prefix: string;
let tables: TableNames;
let streamArn: string;
let engine: DynamoDbEngine;
const queueUrls: Record<'indexer' | 'publisher', string> = { indexer: '', publisher: '' };

beforeAll(async () => {
  client = localDynamoDbClient(dynamodbEndpoint());
  streams = new DynamoDBStreamsClient({ region: 'us-east-1', endpoint: dynamodbEndpoint(), credentials: { accessKeyId: 'local', secretAccessKey: 'local' } });
  prefix = uniquePrefix('dlq');
  tables = tableNames(prefix);
  ({ eventsStreamArn: streamArn } = await ensureTables(client, tables));
  // No stream poller: the commits reach neither indexer nor publisher, as when both failed.
  engine = new DynamoDbEngine({ client, tables });
  emulator = await startSnsEmulator({ prefix });
  sqs = new SQSClient({ region: 'us-east-1', endpoint: emulator.endpoint, credentials: { accessKeyId: 'test', secretAccessKey: 'test' } });
  for (const name of ['indexer', 'publisher'] as const) {
    queueUrls[name] = (await sqs.send(new CreateQueueCommand({ QueueName: `${prefix}-${name}-dlq` }))).QueueUrl!;
  }
});

afterAll(async () => {
  client?.destroy();
  streams?.destroy();
  sqs?.destroy();
  await emulator?.stop();
});

/** Every record the table's stream holds so far, from DynamoDB Local's own stream. */
async function streamRecords(): Promise<{ shardId: string; records: StreamRecord[] }> {
  const { StreamDescription } = await streams.send(new DescribeStreamCommand({ StreamArn: streamArn }));
  const shardId = StreamDescription!.Shards![0]!.ShardId!;
  let { ShardIterator: iterator } = await streams.send(new GetShardIteratorCommand({ StreamArn: streamArn, ShardId: shardId, ShardIteratorType: 'TRIM_HORIZON' }));
  const records: StreamRecord[] = [];
  for (let empty = 0; iterator !== undefined && empty < 3; ) {
    const page = await streams.send(new GetRecordsCommand({ ShardIterator: iterator }));
    if ((page.Records ?? []).length === 0) empty++;
    records.push(...(page.Records ?? []));
    iterator = page.NextShardIterator;
  }
  return { shardId, records };
}

/** The record Lambda's event source mapping sends to its on-failure destination for a stream batch. */
function failureRecord(shardId: string, batch: readonly StreamRecord[], requestId: string): string {
  return JSON.stringify({
    requestContext: { requestId, functionArn: 'arn:aws:lambda:us-east-1:123456789012:function:ees-indexer', condition: 'RetryAttemptsExhausted', approximateInvokeCount: 10001 },
    responseContext: { statusCode: 200, executedVersion: '$LATEST', functionError: 'Unhandled' },
    version: '1.0',
    timestamp: '2026-12-01T10:00:00.000Z',
    DDBStreamBatchInfo: {
      shardId,
      startSequenceNumber: batch[0]!.dynamodb!.SequenceNumber,
      endSequenceNumber: batch.at(-1)!.dynamodb!.SequenceNumber,
      approximateArrivalOfFirstRecord: '2026-12-01T09:59:00Z',
      approximateArrivalOfLastRecord: '2026-12-01T09:59:01Z',
      batchSize: batch.length,
      streamArn,
    },
  });
}

async function send(queue: 'indexer' | 'publisher', body: string): Promise<string> {
  return (await sqs.send(new SendMessageCommand({ QueueUrl: queueUrls[queue], MessageBody: body }))).MessageId!;
}

async function visibleMessages(queue: 'indexer' | 'publisher'): Promise<number> {
  const { Attributes } = await sqs.send(new GetQueueAttributesCommand({ QueueUrl: queueUrls[queue], AttributeNames: ['ApproximateNumberOfMessages', 'ApproximateNumberOfMessagesNotVisible'] }));
  return Number(Attributes!['ApproximateNumberOfMessages']) + Number(Attributes!['ApproximateNumberOfMessagesNotVisible']);
}

const dlq = (...args: string[]) =>
  runCli(['dlq', ...args, '--table-prefix', prefix, '--dynamodb-endpoint', dynamodbEndpoint(), '--sqs-endpoint', emulator.endpoint, '--indexer-queue-url', queueUrls.indexer, '--publisher-queue-url', queueUrls.publisher, '--json']);

describe('ees dlq', () => {
  it('lists and shows what failed, redrives through the indexer, and a letter repaired meanwhile is a no-op', async () => {
    for (const [streamId, count] of [['cart-1', 2], ['cart-2', 1], ['cart-3', 2]] as const) {
      for (let changesetId = 1; changesetId <= count; changesetId++) {
        await engine.commit({ streamId, expectation: { kind: 'changeset', value: changesetId - 1 }, events: '[{"type":"added"}]', eventCount: 1, metadata: '{}' });
      }
    }
    const { shardId, records } = await streamRecords();
    const inserts = records.filter((record) => record.eventName === 'INSERT');
    expect(inserts).toHaveLength(5);
    const first = await send('indexer', failureRecord(shardId, inserts.slice(0, 3), 'request-1'));
    const second = await send('indexer', failureRecord(shardId, inserts.slice(3), 'request-2'));

    const listed = await dlq('list', '--queue', 'indexer');
    expect(listed.code).toBe(0);
    const letters = JSON.parse(listed.stdout).letters as Record<string, unknown>[];
    expect(letters.map((letter) => letter['message_id']).sort()).toEqual([first, second].sort());
    expect(letters.find((letter) => letter['message_id'] === first)).toMatchObject({ queue: 'indexer', condition: 'RetryAttemptsExhausted', request_id: 'request-1', shard_id: shardId, batch_size: 3 });
    // Listing is a look: both are still there, visible.
    expect(await visibleMessages('indexer')).toBe(2);

    const shown = await dlq('show', first);
    expect(shown.code).toBe(0);
    expect(JSON.parse(shown.stdout)).toMatchObject({
      records_available: true,
      changesets: [
        { stream_id: 'cart-1', changeset_id: 1, checkpoint: null },
        { stream_id: 'cart-1', changeset_id: 2, checkpoint: null },
        { stream_id: 'cart-2', changeset_id: 1, checkpoint: null },
      ],
    });

    const redriven = await dlq('redrive', first);
    expect(redriven.code).toBe(0);
    expect(JSON.parse(redriven.stdout).redriven).toEqual([{ queue: 'indexer', message_id: first, done: true, how: 'indexed', assigned: 3, records: 3 }]);
    const after = JSON.parse((await dlq('show', second)).stdout);
    expect(after.changesets.every((changeset: { checkpoint: unknown }) => changeset.checkpoint === null)).toBe(true);

    // The second letter's changesets get repaired before anyone redrives it: its redrive changes nothing.
    expect((await repairUnindexed({ client, tables })).assigned).toBe(2);
    const noop = await dlq('redrive', '--all', '--queue', 'indexer');
    expect(noop.code).toBe(0);
    expect(JSON.parse(noop.stdout).redriven).toEqual([{ queue: 'indexer', message_id: second, done: true, how: 'indexed', assigned: 0, records: 2 }]);
    expect(await visibleMessages('indexer')).toBe(0);
    expect((await engine.readLag()).head_checkpoint).toBe(5);

    const missing = await dlq('show', 'no-such-message');
    expect(missing.code).toBe(4);
    expect(JSON.parse(missing.stdout)).toMatchObject({ error: 'DEAD_LETTER_NOT_FOUND' });
  }, 120_000);

  it('redrives a publisher letter through the publisher, once', async () => {
    const { shardId, records } = await streamRecords();
    const inserts = records.filter((record) => record.eventName === 'INSERT' && record.dynamodb?.Keys?.['stream_id']?.S === 'cart-1');
    const letter = failureRecord(shardId, inserts, 'request-3');
    const publisherArgs = ['--queue', 'publisher', '--changesets-topic', emulator.topics.changesets, '--events-topic', emulator.topics.events, '--sns-endpoint', emulator.endpoint];
    const id = await send('publisher', letter);
    const redriven = await dlq('redrive', id, ...publisherArgs);
    expect(redriven.stderr).toBe('');
    expect(JSON.parse(redriven.stdout).redriven).toMatchObject([{ queue: 'publisher', done: true, how: 'published' }]);
    const received = await emulator.receive('changesets', 2);
    expect(received.map((message) => JSON.parse(message.body) as { stream_id: string; changeset_id: number }).map((body) => [body.stream_id, body.changeset_id])).toEqual([
      ['cart-1', 1],
      ['cart-1', 2],
    ]);

    // The same letter again (Lambda can deliver one twice): the publisher's progress skips it all.
    const again = await send('publisher', letter);
    expect(JSON.parse((await dlq('redrive', again, ...publisherArgs)).stdout).redriven).toMatchObject([{ done: true, how: 'published' }]);
    expect(await emulator.receive('changesets', 3, 2_000)).toHaveLength(2);
    expect(await visibleMessages('publisher')).toBe(0);
  }, 120_000);
});
