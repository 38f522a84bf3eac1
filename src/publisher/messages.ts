import { createHash } from 'node:crypto';
import type { MessageAttributeValue, PublishBatchRequestEntry } from '@aws-sdk/client-sns';
import type { DynamoDBRecord } from 'aws-lambda';
import { splitJsonArray } from '../core/json-array.js';
import { checkpointOf, readNumber, readString, type Item } from '../engines/dynamodb/items.js';

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

/** A new changeset, as the events table's stream shows it. */
export interface Insert {
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
export interface Message {
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

/** An INSERT record's changeset, or why it cannot be published. */
export function insertOf(record: DynamoDBRecord): Insert | string {
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

/** The messages of changesets, each cut to fit `maxBytes` (the topics' MaximumMessageSize). */
export interface MessageBuilder {
  changesetMessage(insert: Insert): Message;
  /** The changeset's events after event id `publishedThrough`. */
  eventMessages(insert: Insert, publishedThrough: number): Message[];
  /** Consecutive messages, at most 10 and at most maxBytes in all per call. */
  batches(messages: readonly Message[]): Generator<Message[]>;
}

export function messageBuilder(maxBytes: number = SNS_MESSAGE_MAX_BYTES): MessageBuilder {
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

  return {
    /**
     * One message per changeset. One too large for SNS (a changeset may take up to 400 KB) is sent
     * without its events, marked `"events_truncated": true`, and if its metadata alone is still too
     * large, without that too (`"metadata_truncated": true`): subscribers then read the changeset
     * from the API (GET /streams/{stream_id}/changesets?from=N&to=N). It is never dropped, so the
     * message flow stays gap-free.
     */
    changesetMessage(insert) {
      const head =
        `{"stream_id":${JSON.stringify(insert.streamId)},"changeset_id":${insert.changesetId}` +
        (insert.checkpoint === null ? '' : `,"checkpoint":${insert.checkpoint}`);
      const attributes = { stream_id: stringAttribute(insert.streamId) };
      return message(insert.changesetId, insert.streamId, deduplicationIdOf(insert.streamId, insert.changesetId), [
        [`${head},"events":${insert.eventsText},"metadata":${insert.metadataText}}`, attributes],
        [`${head},"metadata":${insert.metadataText},"events_truncated":true}`, attributes],
        [`${head},"events_truncated":true,"metadata_truncated":true}`, attributes],
      ]);
    },

    /**
     * One message per event. An event too large for SNS is sent without its data, marked
     * `"data_truncated": true` (read it from GET /streams/{stream_id}/events?from=N&to=N); its `type`
     * attribute stays so that filters still see it, unless the type itself is what is too large.
     */
    eventMessages(insert, publishedThrough) {
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
    },

    *batches(messages) {
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
    },
  };
}
