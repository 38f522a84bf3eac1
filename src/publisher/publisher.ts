import type { SNSClient } from '@aws-sdk/client-sns';
import type { Context, DynamoDBBatchResponse, DynamoDBStreamEvent } from 'aws-lambda';
import { insertOf, messageBuilder, type Insert, type Message } from './messages.js';
import { NOTHING_PUBLISHED, type PublishProgress, type StreamProgress, type Topic } from './progress.js';
import { snsTransport, type LogError } from './sns-transport.js';

/**
 * The publisher, on the events table's stream (NEW_IMAGE, ReportBatchItemFailures): pushes every
 * new changeset to the changesets FIFO topic and each of its events to the events FIFO topic
 * (API.md, "Push subscriptions"). Messages are built in messages.ts, sent by sns-transport.ts;
 * this module orders them and keeps the progress.
 *
 * Only INSERT records are published: the indexer's MODIFY (adding `page`/`page_item`) and any
 * REMOVE are not new changesets. At insert the checkpoint is not assigned yet, so a changeset
 * message carries `checkpoint` only in the rare case the image already has it.
 *
 * Order: a stream is one message group, and each stream's messages on each topic (a lane) are
 * published by one call after another, so SNS receives them in the stream's order. Lanes are
 * independent (other groups, or the other topic) and run concurrently, up to `concurrency` calls in
 * flight: that is what SNS FIFO allows without giving up order within a group.
 *
 * Progress and retries: after every accepted call the lane records how far it got (the meta table,
 * see progress.ts), and each batch starts by skipping what is recorded. A lane stops at the
 * first call SNS does not fully accept, and every lane stops starting calls when the invocation is
 * about to time out; the first record not fully published is reported in `batchItemFailures`, so
 * Lambda retries from it and the retry resumes where this attempt stopped. A changeset with far
 * more events than one invocation can publish is therefore published over several attempts, never
 * restarted. Only the calls in flight when an attempt dies without stopping (a crash) can be sent
 * twice; those are dropped by SNS FIFO deduplication (same id within five minutes) when the retry
 * comes within that window. One known gap: in a PublishBatch call where one entry fails and later
 * entries succeed, those later entries are delivered before the retried one; subscribers that need
 * strict order check that `changeset_id` (or `event_id`) follows the last one they saw and read any
 * gap from the API.
 */

export interface PublisherOptions {
  readonly sns: SNSClient;
  readonly changesetsTopicArn: string;
  readonly eventsTopicArn: string;
  /** The topics' MaximumMessageSize (and PublishBatch total); 256 KiB unless the stack raises it. */
  readonly maxMessageBytes?: number;
  /** Where failures and skipped records are reported (CloudWatch Logs through console.error). */
  readonly logError?: LogError;
  /** Told how many messages a PublishBatch call failed to publish (they are retried). */
  readonly onPublishFailures?: (messages: number) => void;
  /** Where each stream's publishing progress is recorded (the meta table in the stack). */
  readonly progress: PublishProgress;
  /** PublishBatch calls in flight at once, across lanes (16). */
  readonly concurrency?: number;
  /** No call starts once the invocation has less than this left (10 s): the calls in flight finish and are recorded. */
  readonly stopBeforeTimeoutMs?: number;
}

export type Publisher = (event: DynamoDBStreamEvent, context?: Pick<Context, 'getRemainingTimeInMillis'>) => Promise<DynamoDBBatchResponse>;

/**
 * Publishes a DynamoDB stream batch's new changesets to the two FIFO topics, and tells Lambda the
 * first record to retry from, if any (ReportBatchItemFailures).
 */
export function createPublisher(options: PublisherOptions): Publisher {
  const logError = options.logError ?? ((message, details) => console.error(message, JSON.stringify(details ?? {})));
  const messages = messageBuilder(options.maxMessageBytes);
  const publishBatch = snsTransport({ sns: options.sns, concurrency: options.concurrency ?? 16, logError, onRefused: options.onPublishFailures });

  /**
   * Publishes one lane (a stream's messages on one topic) call after call, recording progress after
   * each accepted call; the record of one call is written while the next is in flight. Stops at the
   * first call not fully accepted, or when time runs out. Returns the last id published, if any.
   */
  async function publishLane(topic: Topic, streamId: string, lane: readonly Message[], outOfTime: () => boolean): Promise<number | undefined> {
    const topicArn = topic === 'changesets' ? options.changesetsTopicArn : options.eventsTopicArn;
    let through: number | undefined;
    let recording: Promise<void> = Promise.resolve();
    for (const batch of messages.batches(lane)) {
      if (outOfTime()) break;
      const accepted = await publishBatch(topicArn, batch);
      if (accepted > 0) {
        const last = batch[accepted - 1]!.through;
        through = last;
        await recording;
        recording = options.progress.record(streamId, topic, last).catch((error: unknown) => {
          // Publishing goes on: the next record supersedes this one, and a retry meanwhile only resends.
          logError('Could not record publishing progress', { streamId, topic, through: last, error: String(error) });
        });
      }
      if (accepted < batch.length) break;
    }
    await recording;
    return through;
  }

  return async (event, context) => {
    const inserts: Insert[] = [];
    for (const record of event.Records) {
      if (record.eventName !== 'INSERT') continue;
      const insert = insertOf(record);
      if (typeof insert === 'string') {
        // Retrying cannot fix the item: say so and go on rather than block the shard.
        logError(`Skipped record ${record.dynamodb?.SequenceNumber ?? record.eventID}: ${insert}`);
        continue;
      }
      inserts.push(insert);
    }
    if (inserts.length === 0) return { batchItemFailures: [] };

    const stopBefore = options.stopBeforeTimeoutMs ?? 10_000;
    const outOfTime = () => context !== undefined && context.getRemainingTimeInMillis() < stopBefore;
    const byStream = new Map<string, Insert[]>();
    for (const insert of inserts) byStream.set(insert.streamId, [...(byStream.get(insert.streamId) ?? []), insert]);

    const reached = new Map<string, StreamProgress>();
    await Promise.all(
      [...byStream].map(async ([streamId, mine]) => {
        const done = await options.progress.read(streamId);
        const lane = async (topic: Topic, laneMessages: Message[]) => {
          const through = await publishLane(topic, streamId, laneMessages, outOfTime);
          return Math.max(done[topic], through ?? 0);
        };
        const [changesets, events] = await Promise.all([
          lane('changesets', mine.filter((insert) => insert.changesetId > done.changesets).map((insert) => messages.changesetMessage(insert))),
          lane('events', mine.flatMap((insert) => messages.eventMessages(insert, done.events))),
        ]);
        reached.set(streamId, { changesets, events });
      }),
    );

    // Lambda retries from the first record, in batch order, that is not published on both topics.
    const firstFailed = inserts.find((insert) => {
      const progress = reached.get(insert.streamId) ?? NOTHING_PUBLISHED;
      return insert.changesetId > progress.changesets || insert.firstEventId + insert.eventTexts.length - 1 > progress.events;
    });
    return { batchItemFailures: firstFailed === undefined ? [] : [{ itemIdentifier: firstFailed.sequenceNumber }] };
  };
}
