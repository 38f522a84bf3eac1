import type { DynamoDBStreamEvent } from 'aws-lambda';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { StreamPoller, type StreamPollerOptions } from '../../src/dev/stream-poller.js';
import type { StreamFailureRecord } from '../../src/engines/dynamodb/stream-mapping.js';
import { startStreamsStandIn, STREAM_ARN, type StreamsStandIn } from '../support/streams-stand-in.js';

/** Waits for a condition, with a deadline, instead of sleeping a fixed time. */
async function until(condition: () => boolean, what: string, deadlineMs = 10_000): Promise<void> {
  const deadline = Date.now() + deadlineMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`Timed out waiting until ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
}

const keyOf = (event: DynamoDBStreamEvent): string[] => event.Records.map((record) => `${record.dynamodb?.Keys?.['stream_id']?.S}:${record.dynamodb?.Keys?.['changeset_id']?.N}`);

describe('the dev stream poller (Lambda event source mapping, in-process)', () => {
  let streams: StreamsStandIn;
  let poller: StreamPoller | undefined;
  /** Every invocation, as the keys of its batch. */
  let invocations: string[][];
  let failures: { record: StreamFailureRecord; error: unknown }[];

  beforeEach(async () => {
    streams = await startStreamsStandIn();
    invocations = [];
    failures = [];
  });
  afterEach(async () => {
    await poller?.stop();
    poller = undefined;
    await streams.stop();
  });

  function startPoller(poisoned: (key: string) => boolean, options: Partial<StreamPollerOptions> = {}): StreamPoller {
    poller = new StreamPoller({
      client: streams.client,
      streamArn: STREAM_ARN,
      handler: async (event) => {
        const keys = keyOf(event);
        invocations.push(keys);
        if (keys.some(poisoned)) throw new Error(`poisoned: ${keys.join(',')}`);
      },
      retryBaseMs: 1,
      idleMs: 20,
      onFailure: (record, error) => void failures.push({ record, error }),
      ...options,
    });
    poller.start();
    return poller;
  }

  const handled = (key: string): boolean => invocations.some((keys) => keys.length === 1 && keys[0] === key) || invocations.some((keys) => keys.includes(key) && keys.length > 1);

  it('keeps reading one shard while a batch on another fails and is retried', async () => {
    streams.addShard('shard-a');
    streams.addShard('shard-b');
    streams.put('shard-a', 'stuck', 1);
    // Retried for a very long time: only the other shard's loop can deliver b's record meanwhile.
    startPoller((key) => key === 'stuck:1', { mapping: { batchSize: 1000, bisectBatchOnError: true, retryAttempts: 10_000, eventNames: ['INSERT'] } });
    await until(() => invocations.filter((keys) => keys[0] === 'stuck:1').length >= 3, 'the stuck batch has been retried');
    streams.put('shard-b', 'flowing', 1);
    await until(() => invocations.some((keys) => keys[0] === 'flowing:1'), 'the other shard delivers');
    expect(failures).toEqual([]);
    expect(invocations.filter((keys) => keys[0] === 'stuck:1').length).toBeGreaterThan(2);
  });

  it('bisects a failing batch, retries the poisoned record a bounded number of times, then sends it to the failure destination and moves on', async () => {
    streams.addShard('shard-a');
    const sequences = ['a:1', 'a:2', 'a:3', 'a:4', 'a:5'].map((key) => streams.put('shard-a', key.split(':')[0]!, Number(key.split(':')[1])));
    startPoller((key) => key === 'a:3', { mapping: { batchSize: 1000, bisectBatchOnError: true, retryAttempts: 2, eventNames: ['INSERT'] } });
    await until(() => failures.length === 1, 'the poisoned record reaches the failure destination');
    streams.put('shard-a', 'a', 6);
    await until(() => handled('a:6'), 'the shard moves on past the poisoned record');

    // The batch of five, its halves (a:1-3 failing, a:4-5 fine), then a:3 alone: once and two retries.
    expect(invocations.filter((keys) => keys.length === 1 && keys[0] === 'a:3')).toHaveLength(3);
    for (const good of ['a:1', 'a:2', 'a:4', 'a:5']) expect(handled(good)).toBe(true);
    const { record, error } = failures[0]!;
    expect(String(error)).toContain('poisoned: a:3');
    // The shape AWS sends to an SQS on-failure destination for a DynamoDB stream.
    expect(record).toEqual({
      requestContext: { requestId: expect.any(String), functionArn: expect.stringMatching(/^arn:aws:lambda:/), condition: 'RetryAttemptsExhausted', approximateInvokeCount: 3 },
      responseContext: { statusCode: 200, executedVersion: '$LATEST', functionError: 'Unhandled' },
      version: '1.0',
      timestamp: expect.stringMatching(/^\d{4}-\d\d-\d\dT/),
      DDBStreamBatchInfo: {
        shardId: 'shard-a',
        startSequenceNumber: sequences[2],
        endSequenceNumber: sequences[2],
        approximateArrivalOfFirstRecord: '2026-01-01T00:00:00.000Z',
        approximateArrivalOfLastRecord: '2026-01-01T00:00:00.000Z',
        batchSize: 1,
        streamArn: STREAM_ARN,
      },
    });
  });

  it('describes the stream only at the start and when a shard closes, reading a child after its parent', async () => {
    streams.addShard('parent');
    streams.put('parent', 'p', 1);
    startPoller(() => false);
    await until(() => handled('p:1'), 'the parent shard is read');
    const reads = streams.calls.get('GetRecords')!;
    await until(() => streams.calls.get('GetRecords')! >= reads + 10, 'ten more idle reads');
    expect(streams.calls.get('DescribeStream')).toBe(1);

    streams.addShard('child', 'parent');
    streams.put('child', 'p', 2);
    // Not seen while the parent is open: the child is only discovered once the parent closes.
    await until(() => streams.calls.get('GetRecords')! >= reads + 20, 'ten more idle reads');
    expect(handled('p:2')).toBe(false);
    streams.put('parent', 'p', 3);
    streams.close('parent');
    await until(() => handled('p:2'), 'the child shard is read');
    expect(streams.calls.get('DescribeStream')).toBe(2);
    expect(invocations.flat()).toEqual(['p:1', 'p:3', 'p:2']);
  });

  it('delivers only the records the mapping filters in (INSERT), and drain() waits for what was written before it', async () => {
    streams.addShard('shard-a');
    streams.put('shard-a', 'x', 1, 'MODIFY');
    streams.put('shard-a', 'x', 2);
    const running = startPoller(() => false, { idleMs: 60_000 });
    await running.drain();
    expect(invocations.flat()).toEqual(['x:2']);
    streams.put('shard-a', 'x', 3);
    await running.drain();
    expect(invocations.flat()).toEqual(['x:2', 'x:3']);
  });

  it('stops at once, even when resting for a long idle pause or between retries', async () => {
    streams.addShard('shard-a');
    streams.addShard('shard-b');
    streams.put('shard-a', 'stuck', 1);
    startPoller((key) => key === 'stuck:1', { idleMs: 3_600_000, retryBaseMs: 3_600_000 });
    await until(() => invocations.length >= 1 && streams.calls.get('GetRecords')! >= 2, 'both shards are resting');
    await poller!.stop();
    poller = undefined;
  });
});
