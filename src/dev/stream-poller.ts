import { randomUUID } from 'node:crypto';
import {
  DescribeStreamCommand,
  DynamoDBStreamsClient,
  ExpiredIteratorException,
  GetRecordsCommand,
  GetShardIteratorCommand,
  type _Record as StreamRecord,
  type Shard,
} from '@aws-sdk/client-dynamodb-streams';
import type { DynamoDBRecord, DynamoDBStreamEvent } from 'aws-lambda';
import { sleep } from '../core/sleep.js';
import { STREAM_MAPPINGS, type StreamFailureRecord, type StreamMapping } from '../engines/dynamodb/stream-mapping.js';

export interface StreamPollerOptions {
  readonly client: DynamoDBStreamsClient;
  readonly streamArn: string;
  /** The Lambda handler to invoke with each batch. A rejection is a failed invocation, as in Lambda. */
  readonly handler: (event: DynamoDBStreamEvent) => Promise<unknown>;
  /** Batching, filter and retries: the stack's mapping for the function (the indexer's by default). */
  readonly mapping?: StreamMapping;
  /** The function named in failure records (a dev stand-in for its ARN). */
  readonly functionArn?: string;
  /** How long a shard's loop rests when a read found nothing and nobody called wake(). */
  readonly idleMs?: number;
  /** Pause before retrying a failed invocation (the nth retry waits min(2 s, retryBaseMs·2ⁿ)); 50 ms. */
  readonly retryBaseMs?: number;
  readonly onError?: (error: unknown) => void;
  /** The on-failure destination: told of each batch given up on, in the shape AWS sends to SQS. */
  readonly onFailure?: (record: StreamFailureRecord, error: unknown) => void | Promise<void>;
}

export function toLambdaRecord(record: StreamRecord, streamArn: string): DynamoDBRecord {
  return {
    eventID: record.eventID,
    eventName: record.eventName,
    eventVersion: record.eventVersion ?? '1.1',
    eventSource: 'aws:dynamodb',
    awsRegion: record.awsRegion ?? 'us-east-1',
    eventSourceARN: streamArn,
    dynamodb: {
      ApproximateCreationDateTime: record.dynamodb?.ApproximateCreationDateTime === undefined ? undefined : record.dynamodb.ApproximateCreationDateTime.getTime() / 1000,
      Keys: record.dynamodb?.Keys as NonNullable<DynamoDBRecord['dynamodb']>['Keys'],
      NewImage: record.dynamodb?.NewImage as NonNullable<DynamoDBRecord['dynamodb']>['NewImage'],
      SequenceNumber: record.dynamodb?.SequenceNumber,
      SizeBytes: record.dynamodb?.SizeBytes,
      StreamViewType: record.dynamodb?.StreamViewType,
    },
  };
}

interface ShardLoop {
  readonly shard: Shard;
  /** Reads started, and the number of the last one that found nothing: drain() compares them. */
  readsStarted: number;
  lastEmptyRead: number;
  closed: boolean;
  readonly finished: Promise<void>;
}

const arrivalOf = (record: DynamoDBRecord): string => new Date((record.dynamodb?.ApproximateCreationDateTime ?? Date.now() / 1000) * 1000).toISOString();

/**
 * What Lambda's event source mapping does for a DynamoDB stream, in-process for `ees dev`: one
 * loop per shard (a child starts once its parent is read to its end), the mapping's `eventName`
 * filter, and its retry policy: a failed batch is split in two and each half retried on its own
 * (bisect), a single record is retried `retryAttempts` times, then its batch goes to the on-failure
 * destination and the shard moves on. (Splitting does not count as a retry, so only the failing
 * record ends there, never its good neighbours.) A failing shard never holds up another.
 * The stream is described only at the start and when a shard closes, as Lambda learns of
 * new shards.
 */
export class StreamPoller {
  private readonly loops = new Map<string, ShardLoop>();
  private readonly mapping: StreamMapping;
  private stopping = new AbortController();
  /** Aborted (and replaced) by wake(): every resting loop looks again at once. */
  private wakeUp = new AbortController();
  /** Quick reads left after a wake-up: a fresh commit's record may show up a moment late. */
  private eagerReads = 0;
  private running = false;
  private discovering: Promise<void> | undefined;
  private readonly drainWaiters: { targets: Map<string, number>; resolve: () => void }[] = [];

  constructor(private readonly options: StreamPollerOptions) {
    this.mapping = options.mapping ?? STREAM_MAPPINGS.indexer;
  }

  start(): void {
    if (this.running) return;
    this.running = true;
    this.stopping = new AbortController();
    this.discover();
  }

  /** Looks at the stream now instead of after the idle pause (after a commit, say). */
  wake(): void {
    this.eagerReads = 6;
    const woken = this.wakeUp;
    this.wakeUp = new AbortController();
    woken.abort();
  }

  /** Resolves once every record written before the call has been handled (or given up on). */
  drain(): Promise<void> {
    return new Promise((resolve) => {
      const targets = new Map([...this.loops].map(([shardId, loop]) => [shardId, loop.readsStarted + 1]));
      this.drainWaiters.push({ targets, resolve });
      this.settleDrains();
      this.wake();
    });
  }

  async stop(): Promise<void> {
    this.running = false;
    this.stopping.abort();
    await this.discovering;
    await Promise.all([...this.loops.values()].map((loop) => loop.finished));
    for (const waiter of this.drainWaiters.splice(0)) waiter.resolve();
  }

  /** Describes the stream (once at a time) and starts a loop for every shard not seen yet. */
  private discover(): void {
    if (this.discovering !== undefined || !this.running) return;
    this.discovering = (async () => {
      for (let attempt = 0; this.running; attempt++) {
        try {
          for (const shard of await this.describeShards()) {
            if (shard.ShardId !== undefined && !this.loops.has(shard.ShardId)) this.startLoop(shard);
          }
          return;
        } catch (error) {
          this.options.onError?.(error);
          await sleep(Math.min(2_000, 50 * 2 ** attempt), this.stopping.signal);
        }
      }
    })().finally(() => {
      this.discovering = undefined;
    });
  }

  private async describeShards(): Promise<Shard[]> {
    const shards: Shard[] = [];
    let exclusiveStartShardId: string | undefined;
    do {
      const { StreamDescription } = await this.options.client.send(
        new DescribeStreamCommand({ StreamArn: this.options.streamArn, ...(exclusiveStartShardId === undefined ? {} : { ExclusiveStartShardId: exclusiveStartShardId }) }),
      );
      shards.push(...(StreamDescription?.Shards ?? []));
      exclusiveStartShardId = StreamDescription?.LastEvaluatedShardId;
    } while (exclusiveStartShardId !== undefined);
    return shards;
  }

  private startLoop(shard: Shard): void {
    const state = { shard, readsStarted: 0, lastEmptyRead: 0, closed: false } as Omit<ShardLoop, 'finished'>;
    const loop: ShardLoop = Object.assign(state, {
      finished: this.pollShard(state as ShardLoop).catch((error: unknown) => this.options.onError?.(error)),
    });
    this.loops.set(shard.ShardId!, loop);
  }

  /** One shard, read to its end: waits for its parent, then batch after batch until it closes. */
  private async pollShard(loop: ShardLoop): Promise<void> {
    const parent = loop.shard.ParentShardId === undefined ? undefined : this.loops.get(loop.shard.ParentShardId);
    await parent?.finished;
    const signal = this.stopping.signal;
    let iterator: string | undefined;
    let lastSequence: string | undefined;
    let failures = 0;
    while (this.running) {
      try {
        iterator ??= await this.iteratorFor(loop.shard.ShardId!, lastSequence);
        if (iterator === undefined) break;
        const read = ++loop.readsStarted;
        let result;
        try {
          result = await this.options.client.send(new GetRecordsCommand({ ShardIterator: iterator, Limit: this.mapping.batchSize }), { abortSignal: signal });
        } catch (error) {
          if (!(error instanceof ExpiredIteratorException)) throw error;
          iterator = undefined;
          continue;
        }
        failures = 0;
        const records = result.Records ?? [];
        const wanted = records.filter((record) => this.mapping.eventNames.includes(record.eventName as 'INSERT'));
        if (wanted.length > 0) await this.deliver(loop.shard.ShardId!, wanted.map((record) => toLambdaRecord(record, this.options.streamArn)));
        if (records.length > 0) lastSequence = records.at(-1)!.dynamodb?.SequenceNumber ?? lastSequence;
        iterator = result.NextShardIterator;
        if (iterator === undefined) break;
        if (records.length === 0) {
          loop.lastEmptyRead = read;
          this.settleDrains();
          await this.rest();
        }
      } catch (error) {
        if (!this.running) break;
        this.options.onError?.(error);
        await sleep(Math.min(2_000, 50 * 2 ** failures++), signal);
      }
    }
    if (this.running) {
      // Closed: its children are on the stream now (DynamoDB closes a shard when it opens its successors).
      loop.closed = true;
      this.settleDrains();
      this.discover();
    }
  }

  private async iteratorFor(shardId: string, lastSequence: string | undefined): Promise<string | undefined> {
    const { ShardIterator } = await this.options.client.send(
      new GetShardIteratorCommand({
        StreamArn: this.options.streamArn,
        ShardId: shardId,
        ...(lastSequence === undefined ? { ShardIteratorType: 'TRIM_HORIZON' } : { ShardIteratorType: 'AFTER_SEQUENCE_NUMBER', SequenceNumber: lastSequence }),
      }),
    );
    return ShardIterator;
  }

  /** Invokes the handler with a batch, under the mapping's retry policy; resolves once it is handled or given up on. */
  private async deliver(shardId: string, records: readonly DynamoDBRecord[]): Promise<void> {
    for (let invocations = 1; this.running; invocations++) {
      try {
        await this.options.handler({ Records: [...records] });
        return;
      } catch (error) {
        this.options.onError?.(error);
        if (this.mapping.bisectBatchOnError && records.length > 1) {
          const half = Math.ceil(records.length / 2);
          await this.deliver(shardId, records.slice(0, half));
          await this.deliver(shardId, records.slice(half));
          return;
        }
        if (invocations > this.mapping.retryAttempts) {
          await this.giveUp(shardId, records, invocations, error);
          return;
        }
        await sleep(Math.min(2_000, (this.options.retryBaseMs ?? 50) * 2 ** (invocations - 1)), this.stopping.signal);
      }
    }
  }

  private async giveUp(shardId: string, records: readonly DynamoDBRecord[], invocations: number, error: unknown): Promise<void> {
    const failure: StreamFailureRecord = {
      requestContext: { requestId: randomUUID(), functionArn: this.options.functionArn ?? 'arn:aws:lambda:local:000000000000:function:ees-dev-indexer', condition: 'RetryAttemptsExhausted', approximateInvokeCount: invocations },
      responseContext: { statusCode: 200, executedVersion: '$LATEST', functionError: 'Unhandled' },
      version: '1.0',
      timestamp: new Date().toISOString(),
      DDBStreamBatchInfo: {
        shardId,
        startSequenceNumber: records[0]!.dynamodb?.SequenceNumber ?? '',
        endSequenceNumber: records.at(-1)!.dynamodb?.SequenceNumber ?? '',
        approximateArrivalOfFirstRecord: arrivalOf(records[0]!),
        approximateArrivalOfLastRecord: arrivalOf(records.at(-1)!),
        batchSize: records.length,
        streamArn: this.options.streamArn,
      },
    };
    try {
      await this.options.onFailure?.(failure, error);
    } catch (destinationError) {
      this.options.onError?.(destinationError);
    }
  }

  private rest(): Promise<void> {
    const idleMs = this.options.idleMs ?? 100;
    const pause = this.eagerReads > 0 ? Math.min(idleMs, 5 * 2 ** (6 - this.eagerReads--)) : idleMs;
    return sleep(pause, AbortSignal.any([this.stopping.signal, this.wakeUp.signal]));
  }

  /** Settles the drain() calls for which every shard has read to its end since (or closed). */
  private settleDrains(): void {
    for (let index = this.drainWaiters.length - 1; index >= 0; index--) {
      const { targets, resolve } = this.drainWaiters[index]!;
      const settled = [...this.loops].every(([shardId, loop]) => loop.closed || loop.lastEmptyRead >= (targets.get(shardId) ?? 1));
      if (settled && this.loops.size > 0) {
        this.drainWaiters.splice(index, 1);
        resolve();
      }
    }
  }
}
