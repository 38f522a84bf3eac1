/**
 * How Lambda reads the events table's stream for each function (the stack's event source
 * mappings), and the record it sends to the on-failure destination: one definition, used by the
 * stack and by the dev stream poller, so that `ees dev --engine dynamodb` fails the way AWS does.
 */

export interface StreamMapping {
  /** Records per invocation at most. */
  readonly batchSize: number;
  /** A failed batch of several records is split in two, and each half retried on its own. */
  readonly bisectBatchOnError: boolean;
  /** Retries of a failed batch before its records go to the on-failure destination. */
  readonly retryAttempts: number;
  /** The only stream records delivered (the mapping's filter on `eventName`). */
  readonly eventNames: readonly ('INSERT' | 'MODIFY' | 'REMOVE')[];
}

export const STREAM_MAPPINGS = {
  // A changeset the indexer gives up on never gets a checkpoint (unless a later commit to its
  // stream pulls it in as a predecessor), so it keeps trying for the stream's whole 24 hours:
  // stalling the global order beats losing a changeset from it. The queue gets what expired.
  indexer: { batchSize: 1000, bisectBatchOnError: true, retryAttempts: 10_000, eventNames: ['INSERT'] },
  // An invocation that runs out of time reports where it stopped, and that counts as a retry:
  // the largest changeset (about 200,000 events) took 27 invocations at 50 ms a call (docs/benchmarks.md).
  publisher: { batchSize: 100, bisectBatchOnError: true, retryAttempts: 100, eventNames: ['INSERT'] },
} as const satisfies Record<string, StreamMapping>;

/**
 * What Lambda sends to a stream mapping's SQS (or SNS) on-failure destination when it gives up on
 * a batch: where the records are, not the records themselves (they stay in the stream for 24
 * hours). The shape AWS documents for DynamoDB Streams ("invocation record").
 */
export interface StreamFailureRecord {
  readonly requestContext: {
    readonly requestId: string;
    readonly functionArn: string;
    readonly condition: 'RetryAttemptsExhausted' | 'RecordAgeExceeded';
    readonly approximateInvokeCount: number;
  };
  readonly responseContext: { readonly statusCode: number; readonly executedVersion: string; readonly functionError: string };
  readonly version: '1.0';
  readonly timestamp: string;
  readonly DDBStreamBatchInfo: {
    readonly shardId: string;
    readonly startSequenceNumber: string;
    readonly endSequenceNumber: string;
    readonly approximateArrivalOfFirstRecord: string;
    readonly approximateArrivalOfLastRecord: string;
    readonly batchSize: number;
    readonly streamArn: string;
  };
}
