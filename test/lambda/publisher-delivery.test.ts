import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createPublisher, type PublisherOptions } from '../../src/publisher/publisher.js';
import { batch, insert, memoryPublishProgress, runLikeLambda, seq } from '../support/publisher-runs.js';
import { startSnsEmulator, type ReceivedMessage, type SnsEmulator } from '../support/sns-emulator.js';

/*
 * What a subscriber receives: the publisher against fauxqs (SNS FIFO topics, each with an SQS FIFO
 * queue subscribed), behind a loopback relay that adds a round trip to every SNS call, fed like
 * Lambda feeds it (a timeout per attempt, retries). The DynamoDB project runs the built bundle.
 */

type Body = { stream_id: string; changeset_id: number; event_id?: number };
const parsed = (messages: readonly ReceivedMessage[]): Body[] => messages.map((message) => JSON.parse(message.body) as Body);

describe('the publisher, as a FIFO subscriber sees it', () => {
  let sns: SnsEmulator;
  beforeEach(async () => {
    sns = await startSnsEmulator({ latencyMs: 5, prefix: 'delivery' });
  });
  afterEach(async () => {
    await sns.stop();
  });

  const publisherFor = (progress: PublisherOptions['progress'], overrides: Partial<PublisherOptions> = {}) => (refuse: () => boolean) =>
    createPublisher({
      sns: sns.snsClient(refuse),
      changesetsTopicArn: sns.topics.changesets,
      eventsTopicArn: sns.topics.events,
      progress,
      stopBeforeTimeoutMs: 150,
      logError: () => {},
      ...overrides,
    });

  it('delivers every event of a changeset too large for one invocation, once and in order, resuming on each retry', async () => {
    const events = Array.from({ length: 1_000 }, (_, index) => ({ type: 'tick', n: index + 1 }));
    const run = await runLikeLambda(publisherFor(memoryPublishProgress()), batch(insert(seq(1), { streamId: 'huge', changesetId: 1, firstEventId: 1, events })), {
      // 100 calls of at least 5 ms each cannot fit one attempt: only resuming gets through.
      timeoutMs: 400,
      // The stack's retryAttempts (100), plus the first attempt.
      maxAttempts: 101,
    });
    expect(run.completed).toBe(true);
    expect(run.attempts).toBeGreaterThan(1);
    const received = parsed(await sns.receive('events', events.length));
    expect(received.map((body) => body.event_id)).toEqual(events.map((event) => event.n));
    expect(parsed(await sns.receive('changesets', 1)).map((body) => body.changeset_id)).toEqual([1]);
  }, 120_000);

  it('publishes many streams at once, each in order, and a redelivered batch publishes nothing again', async () => {
    const progress = memoryPublishProgress();
    const records = [];
    let sequence = 100;
    // 20 streams, 3 changesets of 30 events each, interleaved as one shard's batch would be.
    for (let changesetId = 1; changesetId <= 3; changesetId++) {
      for (let stream = 0; stream < 20; stream++) {
        const events = Array.from({ length: 30 }, (_, index) => ({ type: 'e', n: index }));
        records.push(insert(seq(sequence++), { streamId: `many-${stream}`, changesetId, firstEventId: (changesetId - 1) * 30 + 1, events }));
      }
    }
    const before = sns.publishCalls();
    // One call after another, 200 calls of 5 ms would not fit the timeout; lanes side by side do.
    const run = await runLikeLambda(publisherFor(progress), batch(...records), { timeoutMs: 2_000, maxAttempts: 3 });
    expect(run.completed).toBe(true);

    const events = parsed(await sns.receive('events', 20 * 90));
    const changesets = parsed(await sns.receive('changesets', 20 * 3));
    for (let stream = 0; stream < 20; stream++) {
      const mine = (bodies: Body[]) => bodies.filter((body) => body.stream_id === `many-${stream}`);
      expect(mine(events).map((body) => body.event_id)).toEqual(Array.from({ length: 90 }, (_, index) => index + 1));
      expect(mine(changesets).map((body) => body.changeset_id)).toEqual([1, 2, 3]);
    }
    const calls = sns.publishCalls() - before;

    // Lambda delivers the batch again (a retry hours later, long after SNS's deduplication window).
    const again = await runLikeLambda(publisherFor(progress), batch(...records), { timeoutMs: 2_000, maxAttempts: 1 });
    expect(again.completed).toBe(true);
    expect(sns.publishCalls() - before).toBe(calls);
  }, 60_000);
});
