import { PublishBatchCommand, type SNSClient } from '@aws-sdk/client-sns';
import type { Message } from './messages.js';

export type LogError = (message: string, details?: Record<string, unknown>) => void;

export interface SnsTransportOptions {
  readonly sns: SNSClient;
  /** PublishBatch calls in flight at once, across lanes. */
  readonly concurrency: number;
  readonly logError: LogError;
  /** Told how many messages of a call SNS did not accept (the publish-failures metric). */
  readonly onRefused?: ((messages: number) => void) | undefined;
}

/** One PublishBatch call: resolves to how many of its entries, from the first, SNS accepted. */
export type PublishBatch = (topicArn: string, batch: readonly Message[]) => Promise<number>;

/** PublishBatch calls to SNS, at most `concurrency` at once; a failed call counts as nothing accepted. */
export function snsTransport(options: SnsTransportOptions): PublishBatch {
  const runCall = callLimiter(options.concurrency);
  const refused = (accepted: number, batch: readonly Message[]): void => {
    if (accepted < batch.length) options.onRefused?.(batch.length - accepted);
  };
  return (topicArn, batch) =>
    runCall(async () => {
      try {
        const result = await options.sns.send(
          new PublishBatchCommand({ TopicArn: topicArn, PublishBatchRequestEntries: batch.map((m, index) => ({ Id: `m${index}`, ...m.entry })) }),
        );
        // Only what SNS lists as successful counts as published: anything else is retried.
        const published = new Set((result.Successful ?? []).map((entry) => entry.Id));
        const firstRefused = batch.findIndex((_, index) => !published.has(`m${index}`));
        if (firstRefused !== -1) {
          options.logError('SNS refused some messages', { topicArn, failed: (result.Failed ?? []).map(({ Id, Code, Message, SenderFault }) => ({ Id, Code, Message, SenderFault })) });
        }
        const accepted = firstRefused === -1 ? batch.length : firstRefused;
        refused(accepted, batch);
        return accepted;
      } catch (error) {
        options.logError('SNS PublishBatch failed', { topicArn, error: String(error) });
        refused(0, batch);
        return 0;
      }
    });
}

/** Runs at most `max` calls at once; the others wait their turn, in order. */
function callLimiter(max: number): <T>(call: () => Promise<T>) => Promise<T> {
  let active = 0;
  const waiting: (() => void)[] = [];
  return async (call) => {
    if (active >= max) await new Promise<void>((resolve) => waiting.push(resolve));
    active++;
    try {
      return await call();
    } finally {
      active--;
      waiting.shift()?.();
    }
  };
}
