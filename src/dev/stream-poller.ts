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

export interface StreamPollerOptions {
  readonly client: DynamoDBStreamsClient;
  readonly streamArn: string;
  /** The Lambda handler to invoke with each batch. A rejection retries the same batch, as Lambda does. */
  readonly handler: (event: DynamoDBStreamEvent) => Promise<unknown>;
  readonly batchSize?: number;
  /** How long to rest when a round found nothing and nobody called wake(). */
  readonly idleMs?: number;
  readonly onError?: (error: unknown) => void;
}

interface ShardState {
  iterator: string | undefined;
  /** The last record handed to the handler, to resume after an expired iterator. */
  lastSequence: string | undefined;
  done: boolean;
}

export function toLambdaRecord(record: StreamRecord, streamArn: string): DynamoDBRecord {
  return {
    eventID: record.eventID,
    eventName: record.eventName as DynamoDBRecord['eventName'],
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
      StreamViewType: record.dynamodb?.StreamViewType as NonNullable<DynamoDBRecord['dynamodb']>['StreamViewType'],
    },
  };
}

/**
 * What Lambda's event source mapping does for a DynamoDB stream, in-process for `ees dev`: reads
 * every shard (parents before children) with GetRecords and invokes the handler with Lambda's
 * batch shape, retrying a failed batch until it succeeds.
 */
export class StreamPoller {
  private readonly shards = new Map<string, ShardState>();
  private readonly shardInfo = new Map<string, Shard>();
  private running = false;
  private loop: Promise<void> | undefined;
  private wakeUp: (() => void) | undefined;
  private woken = false;
  /** Quick rounds left after a wake-up: a fresh commit's record may show up a moment late. */
  private eagerRounds = 0;
  private readonly drainWaiters: { round: number; resolve: () => void }[] = [];
  private round = 0;

  constructor(private readonly options: StreamPollerOptions) {}

  start(): void {
    if (this.running) return;
    this.running = true;
    this.loop = this.run();
  }

  /** Looks at the stream now instead of after the idle pause (after a commit, say). */
  wake(): void {
    this.woken = true;
    this.eagerRounds = 6;
    this.wakeUp?.();
  }

  /** Resolves once every record written before the call has been handled. */
  drain(): Promise<void> {
    return new Promise((resolve) => {
      this.drainWaiters.push({ round: this.round + 1, resolve });
      this.wake();
    });
  }

  async stop(): Promise<void> {
    this.running = false;
    this.wake();
    await this.loop;
    for (const waiter of this.drainWaiters.splice(0)) waiter.resolve();
  }

  private async run(): Promise<void> {
    while (this.running) {
      const roundStarted = ++this.round;
      let handled = 0;
      try {
        await this.discoverShards();
        for (const [shardId, state] of this.shards) {
          if (!this.running) break;
          if (state.done || !this.parentDone(shardId)) continue;
          handled += await this.pollShard(shardId, state);
        }
      } catch (error) {
        this.options.onError?.(error);
      }
      if (handled === 0) {
        // A round that found nothing, started after a drain() call, settles it.
        for (let index = this.drainWaiters.length - 1; index >= 0; index--) {
          if (this.drainWaiters[index]!.round <= roundStarted) this.drainWaiters.splice(index, 1)[0]!.resolve();
        }
        await this.rest();
      }
    }
  }

  private rest(): Promise<void> {
    if (this.woken || !this.running) {
      this.woken = false;
      return Promise.resolve();
    }
    return new Promise((resolve) => {
      const finish = (): void => {
        clearTimeout(timer);
        this.wakeUp = undefined;
        this.woken = false;
        resolve();
      };
      const idleMs = this.options.idleMs ?? 100;
      const pause = this.eagerRounds > 0 ? Math.min(idleMs, 5 * 2 ** (6 - this.eagerRounds--)) : idleMs;
      const timer = setTimeout(finish, pause);
      this.wakeUp = finish;
    });
  }

  private parentDone(shardId: string): boolean {
    const parent = this.shardInfo.get(shardId)?.ParentShardId;
    return parent === undefined || !this.shards.has(parent) || this.shards.get(parent)!.done;
  }

  private async discoverShards(): Promise<void> {
    let exclusiveStartShardId: string | undefined;
    do {
      const { StreamDescription } = await this.options.client.send(
        new DescribeStreamCommand({ StreamArn: this.options.streamArn, ...(exclusiveStartShardId === undefined ? {} : { ExclusiveStartShardId: exclusiveStartShardId }) }),
      );
      for (const shard of StreamDescription?.Shards ?? []) {
        if (shard.ShardId === undefined || this.shards.has(shard.ShardId)) continue;
        this.shardInfo.set(shard.ShardId, shard);
        this.shards.set(shard.ShardId, { iterator: undefined, lastSequence: undefined, done: false });
      }
      exclusiveStartShardId = StreamDescription?.LastEvaluatedShardId;
    } while (exclusiveStartShardId !== undefined);
  }

  private async iteratorFor(shardId: string, state: ShardState): Promise<string | undefined> {
    const { ShardIterator } = await this.options.client.send(
      new GetShardIteratorCommand({
        StreamArn: this.options.streamArn,
        ShardId: shardId,
        ...(state.lastSequence === undefined
          ? { ShardIteratorType: 'TRIM_HORIZON' }
          : { ShardIteratorType: 'AFTER_SEQUENCE_NUMBER', SequenceNumber: state.lastSequence }),
      }),
    );
    return ShardIterator;
  }

  /** Reads one batch of a shard and hands it over; returns how many records it handled. */
  private async pollShard(shardId: string, state: ShardState): Promise<number> {
    state.iterator ??= await this.iteratorFor(shardId, state);
    if (state.iterator === undefined) {
      state.done = true;
      return 0;
    }
    let result;
    try {
      result = await this.options.client.send(new GetRecordsCommand({ ShardIterator: state.iterator, Limit: this.options.batchSize ?? 100 }));
    } catch (error) {
      if (error instanceof ExpiredIteratorException) {
        state.iterator = undefined;
        return 0;
      }
      throw error;
    }
    const records = result.Records ?? [];
    if (records.length > 0) {
      const event: DynamoDBStreamEvent = { Records: records.map((record) => toLambdaRecord(record, this.options.streamArn)) };
      // As Lambda does: the same batch again until the handler succeeds.
      for (let attempt = 0; ; attempt++) {
        try {
          await this.options.handler(event);
          break;
        } catch (error) {
          this.options.onError?.(error);
          if (!this.running) return 0;
          await sleep(Math.min(2_000, 50 * 2 ** attempt));
        }
      }
      state.lastSequence = records.at(-1)!.dynamodb?.SequenceNumber ?? state.lastSequence;
    }
    state.iterator = result.NextShardIterator;
    if (state.iterator === undefined) state.done = true;
    return records.length;
  }
}
