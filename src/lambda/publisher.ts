import { createHash } from 'node:crypto';
import { PublishBatchCommand, SNSClient, type MessageAttributeValue, type PublishBatchRequestEntry } from '@aws-sdk/client-sns';
import type { DynamoDBBatchResponse, DynamoDBRecord, DynamoDBStreamEvent } from 'aws-lambda';
import type { Context } from 'aws-lambda';
import { splitJsonArray } from '../core/json-array.js';
import { checkpointOf, readNumber, readString, type Item } from '../engines/dynamodb/items.js';
import { sharedDynamoDbClient } from './environment.js';
import { dynamoDbPublishProgress, NOTHING_PUBLISHED, type PublishProgress, type StreamProgress, type Topic } from './publish-progress.js';

/**
 * The `publisher` Lambda, on the events table's stream (NEW_IMAGE, ReportBatchItemFailures): pushes
 * every new changeset to the changesets FIFO topic and each of its events to the events FIFO topic
 * (API.md, "Push subscriptions").
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
 * see publish-progress.ts), and each batch starts by skipping what is recorded. A lane stops at the
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

/** SNS: at most 10 entries per PublishBatch call. */
export const SNS_BATCH_ENTRIES = 10;
/**
 * SNS: a message (body plus attributes) and the whole of one PublishBatch call are each capped at
 * the topic's MaximumMessageSize, 256 KiB by default.
 */
export const SNS_MESSAGE_MAX_BYTES = 262_144;

/** MessageGroupId and MessageDeduplicationId: 1 to 128 characters of ASCII `!` to `~`. */
const SNS_ID_MAX_LENGTH = 128;
const SNS_ID_CHARACTERS = /^[\x21-\x7e]+$/;
/** What an SNS String attribute value may hold (XML characters, no lone surrogates). */
const ATTRIBUTE_CHARACTERS = /^[\t\n\r\x20-\uD7FF\uE000-\uFFFD\u{10000}-\u{10FFFF}]+$/u;

export interface PublisherOptions {
  readonly sns: SNSClient;
  readonly changesetsTopicArn: string;
  readonly eventsTopicArn: string;
  /** The topics' MaximumMessageSize (and PublishBatch total); 256 KiB unless the stack raises it. */
  readonly maxMessageBytes?: number;
  /** Where failures and skipped records are reported (CloudWatch Logs through console.error). */
  readonly logError?: (message: string, details?: Record<string, unknown>) => void;
  /** Where each stream's publishing progress is recorded (the meta table in the stack). */
  readonly progress: PublishProgress;
  /** PublishBatch calls in flight at once, across lanes (16). */
  readonly concurrency?: number;
  /** No call starts once the invocation has less than this left (10 s): the calls in flight finish and are recorded. */
  readonly stopBeforeTimeoutMs?: number;
}

export type Publisher = (event: DynamoDBStreamEvent, context?: Pick<Context, 'getRemainingTimeInMillis'>) => Promise<DynamoDBBatchResponse>;

/** A new changeset, as the events table's stream shows it. */
interface Insert {
  readonly sequenceNumber: string;
  readonly streamId: string;
  readonly changesetId: number;
  readonly firstEventId: number;
  /** The compact JSON text as stored, spliced into the messages unchanged. */
  readonly eventTexts: readonly string[];
  readonly eventTypes: readonly (string | undefined)[];
  readonly eventsText: string;
  readonly metadataText: string;
  readonly checkpoint: number | null;
}

/** A message to publish; `through` is its changeset id (changesets topic) or event id (events topic). */
interface Message {
  readonly through: number;
  readonly entry: Omit<PublishBatchRequestEntry, 'Id'>;
  readonly bytes: number;
}

const sha256Hex = (text: string): string => createHash('sha256').update(text, 'utf8').digest('hex');

/**
 * The message group of a stream: the stream id itself when SNS accepts it as a group id, else the
 * sha256 hex of it. Stream ids may be up to 512 UTF-8 bytes of almost any character, group ids at
 * most 128 printable ASCII characters. The hash is stable, so all of a stream's messages share
 * one group; should a literal stream id ever equal another stream's hash, the two streams would
 * only share a group (ordered together), which loses nothing.
 */
export function messageGroupIdOf(streamId: string): string {
  return streamId.length <= SNS_ID_MAX_LENGTH && SNS_ID_CHARACTERS.test(streamId) ? streamId : sha256Hex(streamId);
}

/**
 * A deduplication id for a changeset (and event): `stream:changeset[:event]` when that is a valid
 * SNS id, else the sha256 hex of the parts. A readable id always holds a `:` and a hash never does,
 * and the trailing numbers are parsed from the right, so two different messages never share an id.
 * (Stream ids hold no control characters, so `\u0000` separates the hashed parts unambiguously.)
 */
export function deduplicationIdOf(streamId: string, changesetId: number, eventId?: number): string {
  const parts = eventId === undefined ? [changesetId] : [changesetId, eventId];
  const readable = [streamId, ...parts].join(':');
  if (readable.length <= SNS_ID_MAX_LENGTH && SNS_ID_CHARACTERS.test(readable)) return readable;
  return sha256Hex([eventId === undefined ? 'changeset' : 'event', streamId, ...parts].join('\u0000'));
}

function sizeOf(body: string, attributes: Record<string, MessageAttributeValue>): number {
  let bytes = Buffer.byteLength(body, 'utf8');
  for (const [name, value] of Object.entries(attributes)) {
    bytes += Buffer.byteLength(name, 'utf8') + Buffer.byteLength(value.DataType ?? '', 'utf8') + Buffer.byteLength(value.StringValue ?? '', 'utf8');
  }
  return bytes;
}

const stringAttribute = (value: string): MessageAttributeValue => ({ DataType: 'String', StringValue: value });

/** The event's `type`, when its data is an object with a string type SNS can carry as an attribute. */
function eventTypeOf(data: unknown): string | undefined {
  if (data === null || typeof data !== 'object' || Array.isArray(data)) return undefined;
  const type = (data as { type?: unknown }).type;
  return typeof type === 'string' && ATTRIBUTE_CHARACTERS.test(type) ? type : undefined;
}

/** Why an INSERT record cannot be published, or its changeset. */
function insertOf(record: DynamoDBRecord): Insert | string {
  const image = record.dynamodb?.NewImage;
  const sequenceNumber = record.dynamodb?.SequenceNumber;
  if (image === undefined || sequenceNumber === undefined) {
    // Without the new image nothing can ever be published: a stack misconfiguration, not a bad record.
    throw new Error('The publisher needs the events table stream with NEW_IMAGE records (and their SequenceNumber).');
  }
  // A stream record's image is the table's item, in the same attribute-value shape.
  const item = image as Item;
  const streamId = readString(item, 'stream_id');
  const changesetId = readNumber(item, 'changeset_id');
  const firstEventId = readNumber(item, 'first_event_id');
  const eventsText = readString(item, 'events');
  const metadataText = readString(item, 'metadata');
  if (streamId === undefined || changesetId === undefined || firstEventId === undefined || eventsText === undefined || metadataText === undefined) {
    return 'not a changeset item (stream_id, changeset_id, first_event_id, events or metadata missing)';
  }
  let events: unknown;
  let metadata: unknown;
  try {
    events = JSON.parse(eventsText);
    metadata = JSON.parse(metadataText);
  } catch {
    return 'events or metadata is not valid JSON';
  }
  if (!Array.isArray(events) || metadata === null || typeof metadata !== 'object' || Array.isArray(metadata)) {
    return 'events is not an array or metadata not an object';
  }
  const eventTexts = splitJsonArray(eventsText);
  if (eventTexts.length !== events.length) return 'events is not compact JSON';
  return {
    sequenceNumber,
    streamId,
    changesetId,
    firstEventId,
    eventTexts,
    eventTypes: events.map(eventTypeOf),
    eventsText,
    metadataText,
    checkpoint: checkpointOf(item),
  };
}

/**
 * Publishes a DynamoDB stream batch's new changesets to the two FIFO topics, and tells Lambda the
 * first record to retry from, if any (ReportBatchItemFailures).
 */
export function createPublisher(options: PublisherOptions): Publisher {
  const maxBytes = options.maxMessageBytes ?? SNS_MESSAGE_MAX_BYTES;
  const logError = options.logError ?? ((message, details) => console.error(message, JSON.stringify(details ?? {})));

  /** The first candidate body that fits, with its attributes. The last candidate always fits. */
  function message(through: number, streamId: string, deduplicationId: string, candidates: readonly [string, Record<string, MessageAttributeValue>][]): Message {
    let chosen = candidates.at(-1)!;
    for (const candidate of candidates) {
      if (sizeOf(...candidate) <= maxBytes) {
        chosen = candidate;
        break;
      }
    }
    const [body, attributes] = chosen;
    return {
      through,
      bytes: sizeOf(body, attributes),
      entry: { Message: body, MessageGroupId: messageGroupIdOf(streamId), MessageDeduplicationId: deduplicationId, MessageAttributes: attributes },
    };
  }

  /**
   * One message per changeset. One too large for SNS (a changeset may take up to 400 KB) is sent
   * without its events, marked `"events_truncated": true`, and if its metadata alone is still too
   * large, without that too (`"metadata_truncated": true`): subscribers then read the changeset
   * from the API (GET /streams/{stream_id}/changesets?from=N&to=N). It is never dropped, so the
   * message flow stays gap-free.
   */
  function changesetMessage(insert: Insert): Message {
    const head =
      `{"stream_id":${JSON.stringify(insert.streamId)},"changeset_id":${insert.changesetId}` +
      (insert.checkpoint === null ? '' : `,"checkpoint":${insert.checkpoint}`);
    const attributes = { stream_id: stringAttribute(insert.streamId) };
    return message(insert.changesetId, insert.streamId, deduplicationIdOf(insert.streamId, insert.changesetId), [
      [`${head},"events":${insert.eventsText},"metadata":${insert.metadataText}}`, attributes],
      [`${head},"metadata":${insert.metadataText},"events_truncated":true}`, attributes],
      [`${head},"events_truncated":true,"metadata_truncated":true}`, attributes],
    ]);
  }

  /**
   * One message per event. An event too large for SNS is sent without its data, marked
   * `"data_truncated": true` (read it from GET /streams/{stream_id}/events?from=N&to=N); its `type`
   * attribute stays so that filters still see it, unless the type itself is what is too large.
   */
  function eventMessages(insert: Insert, publishedThrough: number): Message[] {
    // Events already published are not even built: a resumed changeset may hold 200,000.
    const skip = Math.max(0, publishedThrough - insert.firstEventId + 1);
    return insert.eventTexts.slice(skip).map((data, offset) => {
      const index = skip + offset;
      const eventId = insert.firstEventId + index;
      const head = `{"stream_id":${JSON.stringify(insert.streamId)},"changeset_id":${insert.changesetId},"event_id":${eventId}`;
      const type = insert.eventTypes[index];
      const streamOnly = { stream_id: stringAttribute(insert.streamId) };
      const attributes = type === undefined ? streamOnly : { ...streamOnly, type: stringAttribute(type) };
      return message(eventId, insert.streamId, deduplicationIdOf(insert.streamId, insert.changesetId, eventId), [
        [`${head},"data":${data}}`, attributes],
        [`${head},"data_truncated":true}`, attributes],
        [`${head},"data_truncated":true}`, streamOnly],
      ]);
    });
  }

  /** Consecutive messages, at most 10 and at most maxBytes in all per call. */
  function* batches(messages: readonly Message[]): Generator<Message[]> {
    let batch: Message[] = [];
    let bytes = 0;
    for (const next of messages) {
      if (batch.length === SNS_BATCH_ENTRIES || (batch.length > 0 && bytes + next.bytes > maxBytes)) {
        yield batch;
        batch = [];
        bytes = 0;
      }
      batch.push(next);
      bytes += next.bytes;
    }
    if (batch.length > 0) yield batch;
  }

  const runCall = callLimiter(options.concurrency ?? 16);

  /**
   * Publishes one lane (a stream's messages on one topic) call after call, recording progress after
   * each accepted call; the record of one call is written while the next is in flight. Stops at the
   * first call not fully accepted, or when time runs out. Returns the last id published, if any.
   */
  async function publishLane(topic: Topic, streamId: string, messages: readonly Message[], outOfTime: () => boolean): Promise<number | undefined> {
    const topicArn = topic === 'changesets' ? options.changesetsTopicArn : options.eventsTopicArn;
    let through: number | undefined;
    let recording: Promise<void> = Promise.resolve();
    for (const batch of batches(messages)) {
      if (outOfTime()) break;
      const accepted = await runCall(() => publishBatch(topicArn, batch));
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

  /** One PublishBatch call; how many of its entries, from the first, SNS accepted. */
  async function publishBatch(topicArn: string, batch: readonly Message[]): Promise<number> {
    try {
      const result = await options.sns.send(
        new PublishBatchCommand({ TopicArn: topicArn, PublishBatchRequestEntries: batch.map((m, index) => ({ Id: `m${index}`, ...m.entry })) }),
      );
      // Only what SNS lists as successful counts as published: anything else is retried.
      const published = new Set((result.Successful ?? []).map((entry) => entry.Id));
      const accepted = batch.findIndex((_, index) => !published.has(`m${index}`));
      if (accepted !== -1) {
        logError('SNS refused some messages', { topicArn, failed: (result.Failed ?? []).map(({ Id, Code, Message, SenderFault }) => ({ Id, Code, Message, SenderFault })) });
      }
      return accepted === -1 ? batch.length : accepted;
    } catch (error) {
      logError('SNS PublishBatch failed', { topicArn, error: String(error) });
      return 0;
    }
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
        const lane = async (topic: Topic, messages: Message[]) => {
          const through = await publishLane(topic, streamId, messages, outOfTime);
          return Math.max(done[topic], through ?? 0);
        };
        const [changesets, events] = await Promise.all([
          lane('changesets', mine.filter((insert) => insert.changesetId > done.changesets).map(changesetMessage)),
          lane('events', mine.flatMap((insert) => eventMessages(insert, done.events))),
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

/** The publisher's settings, set by the stack. */
export function publisherEnvironment(env: Readonly<Record<string, string | undefined>> = process.env): {
  changesetsTopicArn: string;
  eventsTopicArn: string;
  metaTable: string;
} {
  const changesetsTopicArn = env['EES_CHANGESETS_TOPIC_ARN'];
  const eventsTopicArn = env['EES_EVENTS_TOPIC_ARN'];
  const metaTable = env['EES_META_TABLE'];
  if (!changesetsTopicArn || !eventsTopicArn || !metaTable) throw new Error('EES_CHANGESETS_TOPIC_ARN, EES_EVENTS_TOPIC_ARN and EES_META_TABLE must be set.');
  return { changesetsTopicArn, eventsTopicArn, metaTable };
}

/** One client and one publisher per container, created on first use. */
let publish: Publisher | undefined;

export async function handler(event: DynamoDBStreamEvent, context?: Context): Promise<DynamoDBBatchResponse> {
  if (publish === undefined) {
    const { metaTable, ...topics } = publisherEnvironment();
    publish = createPublisher({
      sns: new SNSClient({ ...(process.env['EES_SNS_ENDPOINT'] === undefined ? {} : { endpoint: process.env['EES_SNS_ENDPOINT'] }) }),
      ...topics,
      progress: dynamoDbPublishProgress(sharedDynamoDbClient(), metaTable),
    });
  }
  return publish(event, context);
}
