import type { AttributeValue, DynamoDBRecord, DynamoDBStreamEvent } from 'aws-lambda';
import type { Publisher } from '../../src/publisher/publisher.js';
export { memoryPublishProgress } from '../../src/publisher/progress.js';

export interface Commit {
  readonly streamId: string;
  readonly changesetId: number;
  readonly firstEventId: number;
  readonly events: readonly unknown[];
  readonly metadata?: Record<string, unknown>;
  readonly checkpoint?: number;
  /** Raw attribute overrides, to build malformed items. */
  readonly raw?: Record<string, AttributeValue>;
}

/** Stream sequence numbers are increasing decimal strings. */
export const seq = (n: number): string => String(1_000_000_000_000 + n);

/** A Lambda-shaped INSERT record of the events table (NEW_IMAGE), as the engine writes it. */
export function insert(sequenceNumber: string, commit: Commit): DynamoDBRecord {
  const image: Record<string, AttributeValue> = {
    stream_id: { S: commit.streamId },
    changeset_id: { N: String(commit.changesetId) },
    first_event_id: { N: String(commit.firstEventId) },
    last_event_id: { N: String(commit.firstEventId + commit.events.length - 1) },
    events: { S: JSON.stringify(commit.events) },
    metadata: { S: JSON.stringify(commit.metadata ?? {}) },
    ...(commit.checkpoint === undefined ? {} : { page: { N: String(Math.floor(commit.checkpoint / 1000)) }, page_item: { N: String(commit.checkpoint % 1000) } }),
    ...commit.raw,
  };
  return {
    eventID: `event-${sequenceNumber}`,
    eventName: 'INSERT',
    eventSource: 'aws:dynamodb',
    dynamodb: {
      Keys: { stream_id: { S: commit.streamId }, changeset_id: { N: String(commit.changesetId) } },
      NewImage: image,
      SequenceNumber: sequenceNumber,
      StreamViewType: 'NEW_IMAGE',
    },
  };
}

export const batch = (...records: DynamoDBRecord[]): DynamoDBStreamEvent => ({ Records: records });

export interface LambdaRun {
  readonly attempts: number;
  /** Attempts that ran into the timeout (Lambda then retries the whole batch). */
  readonly timeouts: number;
  readonly completed: boolean;
}

/**
 * Feeds a stream batch to a publisher the way Lambda's event source mapping does: each attempt has
 * `timeoutMs` (a context whose remaining time runs down, and an SNS client that refuses every call
 * once it is over, as a frozen function sends nothing); a timed-out attempt is retried with the
 * whole batch, a reported failure from that record on; at most `maxAttempts`.
 */
export async function runLikeLambda(
  publisherFor: (refuse: () => boolean) => Publisher,
  event: DynamoDBStreamEvent,
  /** `stopMarginMs`: added to the remaining time the context reports, for a publisher that stops that long before the end. */
  options: { timeoutMs: number; maxAttempts: number; stopMarginMs?: number },
): Promise<LambdaRun> {
  let pending = event.Records;
  let attempts = 0;
  let timeouts = 0;
  while (pending.length > 0 && attempts < options.maxAttempts) {
    attempts++;
    const deadline = Date.now() + options.timeoutMs;
    const publish = publisherFor(() => Date.now() >= deadline);
    let timer: NodeJS.Timeout | undefined;
    const timedOut = new Promise<'timeout'>((resolve) => (timer = setTimeout(() => resolve('timeout'), options.timeoutMs)));
    const attempt = publish({ Records: pending }, { getRemainingTimeInMillis: () => deadline - Date.now() + (options.stopMarginMs ?? 0) });
    const outcome = await Promise.race([attempt, timedOut]);
    clearTimeout(timer);
    if (outcome === 'timeout') {
      timeouts++;
      // Lambda ends a timed-out invocation before the retry starts: two attempts never overlap.
      await attempt.catch(() => undefined);
      continue;
    }
    const failed = outcome.batchItemFailures[0]?.itemIdentifier;
    pending = failed === undefined ? [] : pending.slice(pending.findIndex((record) => record.dynamodb?.SequenceNumber === failed));
  }
  return { attempts, timeouts, completed: pending.length === 0 };
}
