import { createHash } from 'node:crypto';
import { PublishBatchCommand, SNSClient, type PublishBatchCommandInput, type PublishBatchRequestEntry } from '@aws-sdk/client-sns';
import type { AttributeValue, DynamoDBRecord, DynamoDBStreamEvent } from 'aws-lambda';
import { mockClient } from 'aws-sdk-client-mock';
import { afterAll, afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createPublisher, deduplicationIdOf, handler, messageGroupIdOf, SNS_MESSAGE_MAX_BYTES, type PublisherOptions } from '../../src/lambda/publisher.js';

const CHANGESETS = 'arn:aws:sns:us-east-1:123456789012:ees-changesets.fifo';
const EVENTS = 'arn:aws:sns:us-east-1:123456789012:ees-events.fifo';

interface Commit {
  readonly streamId: string;
  readonly changesetId: number;
  readonly firstEventId: number;
  readonly events: readonly unknown[];
  readonly metadata?: Record<string, unknown>;
  readonly checkpoint?: number;
  /** Raw attribute overrides, to build malformed items. */
  readonly raw?: Record<string, AttributeValue>;
}

/** A Lambda-shaped INSERT record of the events table (NEW_IMAGE), as the engine writes it. */
function insert(sequenceNumber: string, commit: Commit): DynamoDBRecord {
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

const batch = (...records: DynamoDBRecord[]): DynamoDBStreamEvent => ({ Records: records });

/** Stream sequence numbers are increasing decimal strings. */
const seq = (n: number): string => String(1_000_000_000_000 + n);

const sha256Hex = (text: string): string => createHash('sha256').update(text, 'utf8').digest('hex');

describe('the SNS publisher', () => {
  const sns = mockClient(SNSClient);
  // Never used for real: the mock answers every send. Loopback and dummy credentials all the same.
  const client = new SNSClient({ region: 'us-east-1', endpoint: 'http://127.0.0.1:9', credentials: { accessKeyId: 'test', secretAccessKey: 'test' } });
  const logged: string[] = [];
  const publisher = (overrides: Partial<PublisherOptions> = {}) =>
    createPublisher({ sns: client, changesetsTopicArn: CHANGESETS, eventsTopicArn: EVENTS, logError: (message) => logged.push(message), ...overrides });

  /** SNS's answer when every entry is accepted. */
  const acceptAll = (input: PublishBatchCommandInput) => ({
    Successful: (input.PublishBatchRequestEntries ?? []).map((entry) => ({ Id: entry.Id, MessageId: `id-${entry.Id}`, SequenceNumber: '1' })),
  });

  beforeEach(() => {
    sns.reset();
    logged.length = 0;
    sns.on(PublishBatchCommand).callsFake(acceptAll);
  });
  afterAll(() => {
    sns.restore();
    client.destroy();
  });

  /** The PublishBatch calls made to one topic, in order. */
  const callsTo = (topicArn: string): PublishBatchRequestEntry[][] =>
    sns
      .commandCalls(PublishBatchCommand)
      .map((call) => call.args[0].input)
      .filter((input) => input.TopicArn === topicArn)
      .map((input) => input.PublishBatchRequestEntries ?? []);
  const entriesTo = (topicArn: string): PublishBatchRequestEntry[] => callsTo(topicArn).flat();
  const bodies = (topicArn: string): unknown[] => entriesTo(topicArn).map((entry) => JSON.parse(entry.Message!) as unknown);

  it('publishes one message per changeset and one per event, with JSON bodies, the stream as group and its attributes', async () => {
    const result = await publisher()(
      batch(
        insert(seq(1), { streamId: 'account-42', changesetId: 1, firstEventId: 1, events: [{ type: 'opened' }, { type: 'deposited', amount: 50 }], metadata: { user: 'ann' } }),
        insert(seq(2), { streamId: 'cart-7', changesetId: 3, firstEventId: 5, events: [{ amount: 1 }, [1, 2], 'text', { type: 42 }, null] }),
      ),
    );
    expect(result).toEqual({ batchItemFailures: [] });

    expect(bodies(CHANGESETS)).toEqual([
      { stream_id: 'account-42', changeset_id: 1, events: [{ type: 'opened' }, { type: 'deposited', amount: 50 }], metadata: { user: 'ann' } },
      { stream_id: 'cart-7', changeset_id: 3, events: [{ amount: 1 }, [1, 2], 'text', { type: 42 }, null], metadata: {} },
    ]);
    // The exact key order of the API's description, and no checkpoint before the indexer ran.
    expect(entriesTo(CHANGESETS)[0]!.Message).toBe(
      '{"stream_id":"account-42","changeset_id":1,"events":[{"type":"opened"},{"type":"deposited","amount":50}],"metadata":{"user":"ann"}}',
    );
    expect(bodies(EVENTS)).toEqual([
      { stream_id: 'account-42', changeset_id: 1, event_id: 1, data: { type: 'opened' } },
      { stream_id: 'account-42', changeset_id: 1, event_id: 2, data: { type: 'deposited', amount: 50 } },
      { stream_id: 'cart-7', changeset_id: 3, event_id: 5, data: { amount: 1 } },
      { stream_id: 'cart-7', changeset_id: 3, event_id: 6, data: [1, 2] },
      { stream_id: 'cart-7', changeset_id: 3, event_id: 7, data: 'text' },
      { stream_id: 'cart-7', changeset_id: 3, event_id: 8, data: { type: 42 } },
      { stream_id: 'cart-7', changeset_id: 3, event_id: 9, data: null },
    ]);

    expect(entriesTo(CHANGESETS).map((entry) => entry.MessageGroupId)).toEqual(['account-42', 'cart-7']);
    expect(entriesTo(EVENTS).map((entry) => entry.MessageGroupId)).toEqual(['account-42', 'account-42', 'cart-7', 'cart-7', 'cart-7', 'cart-7', 'cart-7']);
    expect(entriesTo(CHANGESETS).map((entry) => entry.MessageAttributes)).toEqual([
      { stream_id: { DataType: 'String', StringValue: 'account-42' } },
      { stream_id: { DataType: 'String', StringValue: 'cart-7' } },
    ]);
    // `type` only where the event is an object with a string type.
    expect(entriesTo(EVENTS).map((entry) => entry.MessageAttributes?.['type']?.StringValue ?? null)).toEqual(['opened', 'deposited', null, null, null, null, null]);
    expect(entriesTo(EVENTS).every((entry) => entry.MessageAttributes?.['stream_id']?.StringValue === JSON.parse(entry.Message!).stream_id)).toBe(true);
    // Entry ids are unique within each call.
    for (const call of sns.commandCalls(PublishBatchCommand)) {
      const ids = call.args[0].input.PublishBatchRequestEntries!.map((entry) => entry.Id);
      expect(new Set(ids).size).toBe(ids.length);
    }
  });

  it('adds the checkpoint only when the image already has page and page_item', async () => {
    await publisher()(
      batch(
        insert(seq(1), { streamId: 's', changesetId: 1, firstEventId: 1, events: [1] }),
        insert(seq(2), { streamId: 's', changesetId: 2, firstEventId: 2, events: [2], checkpoint: 4_017 }),
      ),
    );
    const [first, second] = bodies(CHANGESETS) as Record<string, unknown>[];
    expect(first).not.toHaveProperty('checkpoint');
    expect(second).toEqual({ stream_id: 's', changeset_id: 2, checkpoint: 4_017, events: [2], metadata: {} });
    expect(entriesTo(CHANGESETS)[1]!.Message).toMatch(/^\{"stream_id":"s","changeset_id":2,"checkpoint":4017,"events"/);
  });

  it('derives stable deduplication ids, different for every changeset and every event', async () => {
    const event = batch(
      insert(seq(1), { streamId: 'a', changesetId: 1, firstEventId: 1, events: [1, 2] }),
      insert(seq(2), { streamId: 'a', changesetId: 2, firstEventId: 3, events: [3] }),
      insert(seq(3), { streamId: 'a:1', changesetId: 2, firstEventId: 2, events: [4] }),
      insert(seq(4), { streamId: 'b', changesetId: 1, firstEventId: 1, events: [5] }),
    );
    await publisher()(event);
    const first = { changesets: entriesTo(CHANGESETS).map((e) => e.MessageDeduplicationId), events: entriesTo(EVENTS).map((e) => e.MessageDeduplicationId) };
    expect(first.changesets).toEqual(['a:1', 'a:2', 'a:1:2', 'b:1']);
    expect(first.events).toEqual(['a:1:1', 'a:1:2', 'a:2:3', 'a:1:2:2', 'b:1:1']);
    expect(new Set(first.changesets).size).toBe(4);
    expect(new Set(first.events).size).toBe(5);

    // A retried publish (another container, the same records) sends the very same ids.
    sns.resetHistory();
    await publisher()(event);
    expect(entriesTo(CHANGESETS).map((e) => e.MessageDeduplicationId)).toEqual(first.changesets);
    expect(entriesTo(EVENTS).map((e) => e.MessageDeduplicationId)).toEqual(first.events);
  });

  it('hashes stream ids SNS does not accept as group or deduplication ids', async () => {
    const long = 'x'.repeat(200);
    const spaced = 'account 42 ü';
    const exact = 'y'.repeat(128);
    await publisher()(
      batch(
        insert(seq(1), { streamId: long, changesetId: 1, firstEventId: 1, events: [{ type: 't' }] }),
        insert(seq(2), { streamId: spaced, changesetId: 1, firstEventId: 1, events: [{ type: 't' }] }),
        insert(seq(3), { streamId: exact, changesetId: 7, firstEventId: 9, events: [{ type: 't' }] }),
      ),
    );
    expect(entriesTo(CHANGESETS).map((e) => e.MessageGroupId)).toEqual([sha256Hex(long), sha256Hex(spaced), exact]);
    expect(entriesTo(EVENTS).map((e) => e.MessageGroupId)).toEqual([sha256Hex(long), sha256Hex(spaced), exact]);
    for (const entry of [...entriesTo(CHANGESETS), ...entriesTo(EVENTS)]) {
      for (const id of [entry.MessageGroupId!, entry.MessageDeduplicationId!]) {
        expect(id.length).toBeLessThanOrEqual(128);
        expect(id).toMatch(/^[\x21-\x7e]+$/);
      }
    }
    // The bodies and attributes still carry the real stream id.
    expect(bodies(CHANGESETS).map((body) => (body as { stream_id: string }).stream_id)).toEqual([long, spaced, exact]);
    expect(entriesTo(EVENTS)[1]!.MessageAttributes?.['stream_id']?.StringValue).toBe(spaced);
    // 128 characters of stream id plus ":7" no longer fit: that deduplication id is hashed too.
    expect(entriesTo(CHANGESETS)[2]!.MessageDeduplicationId).toMatch(/^[0-9a-f]{64}$/);
    expect(deduplicationIdOf(exact, 7)).not.toBe(deduplicationIdOf(exact, 8));
    expect(deduplicationIdOf(exact, 7, 9)).not.toBe(deduplicationIdOf(exact, 7));
    expect(deduplicationIdOf(spaced, 1, 1)).toBe(deduplicationIdOf(spaced, 1, 1));
    expect(messageGroupIdOf('ok-id')).toBe('ok-id');
  });

  it('sends at most 10 entries per PublishBatch call, in order: 25 events make 3 calls to the events topic', async () => {
    const events = Array.from({ length: 25 }, (_, index) => ({ type: 'tick', n: index }));
    await publisher()(batch(insert(seq(1), { streamId: 'clock', changesetId: 1, firstEventId: 1, events })));
    expect(callsTo(EVENTS).map((entries) => entries.length)).toEqual([10, 10, 5]);
    expect(callsTo(CHANGESETS).map((entries) => entries.length)).toEqual([1]);
    expect(bodies(EVENTS).map((body) => (body as { event_id: number }).event_id)).toEqual(Array.from({ length: 25 }, (_, index) => index + 1));
    expect(bodies(EVENTS).map((body) => (body as { data: { n: number } }).data.n)).toEqual(Array.from({ length: 25 }, (_, index) => index));
  });

  it('batches changeset messages by 10 too, keeping the batch order', async () => {
    const records = Array.from({ length: 12 }, (_, index) => insert(seq(index), { streamId: `s${index % 3}`, changesetId: Math.floor(index / 3) + 1, firstEventId: index + 1, events: [index] }));
    await publisher()(batch(...records));
    expect(callsTo(CHANGESETS).map((entries) => entries.length)).toEqual([10, 2]);
    expect(bodies(CHANGESETS).map((body) => (body as { events: number[] }).events[0])).toEqual(Array.from({ length: 12 }, (_, index) => index));
  });

  it('ignores MODIFY and REMOVE records: the indexer adding a checkpoint republishes nothing', async () => {
    const modified = insert(seq(1), { streamId: 'a', changesetId: 1, firstEventId: 1, events: [1], checkpoint: 0 });
    const removed = insert(seq(2), { streamId: 'b', changesetId: 1, firstEventId: 1, events: [1] });
    const result = await publisher()(batch({ ...modified, eventName: 'MODIFY' }, { ...removed, eventName: 'REMOVE' }));
    expect(result).toEqual({ batchItemFailures: [] });
    expect(sns.commandCalls(PublishBatchCommand)).toHaveLength(0);

    await publisher()(batch({ ...modified, eventName: 'MODIFY' }, insert(seq(3), { streamId: 'c', changesetId: 1, firstEventId: 1, events: [1] })));
    expect(bodies(CHANGESETS).map((body) => (body as { stream_id: string }).stream_id)).toEqual(['c']);
  });

  it('sends a changeset too large for SNS without its events (events_truncated), and an event too large without its data', async () => {
    const big = { type: 'photo', blob: 'p'.repeat(300_000) };
    const result = await publisher()(
      batch(insert(seq(1), { streamId: 'album', changesetId: 4, firstEventId: 10, events: [{ type: 'small' }, big, { type: 'after' }], metadata: { by: 'ann' } })),
    );
    expect(result).toEqual({ batchItemFailures: [] });
    expect(bodies(CHANGESETS)).toEqual([{ stream_id: 'album', changeset_id: 4, metadata: { by: 'ann' }, events_truncated: true }]);
    expect(bodies(EVENTS)).toEqual([
      { stream_id: 'album', changeset_id: 4, event_id: 10, data: { type: 'small' } },
      { stream_id: 'album', changeset_id: 4, event_id: 11, data_truncated: true },
      { stream_id: 'album', changeset_id: 4, event_id: 12, data: { type: 'after' } },
    ]);
    // Subscribers can still filter the truncated event by its type.
    expect(entriesTo(EVENTS)[1]!.MessageAttributes?.['type']?.StringValue).toBe('photo');

    // Metadata too large on its own: both are left out.
    sns.resetHistory();
    await publisher()(batch(insert(seq(2), { streamId: 'album', changesetId: 5, firstEventId: 13, events: [1], metadata: { note: 'm'.repeat(300_000) } })));
    expect(bodies(CHANGESETS)).toEqual([{ stream_id: 'album', changeset_id: 5, events_truncated: true, metadata_truncated: true }]);
    expect(bodies(EVENTS)).toEqual([{ stream_id: 'album', changeset_id: 5, event_id: 13, data: 1 }]);
  });

  it('keeps every message, and every call in all, within 256 KiB', async () => {
    // Two 150 KB events fit one message each but not one call together; a changeset of 200 KB fits.
    const events = [{ type: 'a', pad: 'a'.repeat(150_000) }, { type: 'b', pad: 'b'.repeat(150_000) }];
    await publisher()(
      batch(
        insert(seq(1), { streamId: 'big', changesetId: 1, firstEventId: 1, events }),
        insert(seq(2), { streamId: 'mid', changesetId: 1, firstEventId: 1, events: [{ pad: 'c'.repeat(200_000) }] }),
      ),
    );
    const size = (entry: PublishBatchRequestEntry): number =>
      Buffer.byteLength(entry.Message!) +
      Object.entries(entry.MessageAttributes ?? {}).reduce((sum, [name, value]) => sum + Buffer.byteLength(name) + Buffer.byteLength(value.DataType!) + Buffer.byteLength(value.StringValue ?? ''), 0);
    for (const call of [...callsTo(CHANGESETS), ...callsTo(EVENTS)]) {
      expect(call.reduce((sum, entry) => sum + size(entry), 0)).toBeLessThanOrEqual(SNS_MESSAGE_MAX_BYTES);
    }
    expect(callsTo(EVENTS).map((entries) => entries.length)).toEqual([1, 1, 1]);
    expect(bodies(EVENTS).every((body) => 'data' in (body as object))).toBe(true);
    // The first changeset (300 KB) is truncated, the second (200 KB) goes whole: both fit one call.
    expect(callsTo(CHANGESETS).map((entries) => entries.length)).toEqual([2]);
    expect(bodies(CHANGESETS).map((body) => 'events' in (body as object))).toEqual([false, true]);
  });

  it('reports the first record of a refused entry, and publishes nothing after it', async () => {
    sns.on(PublishBatchCommand, { TopicArn: CHANGESETS }).callsFake((input: PublishBatchCommandInput) => {
      const entries = input.PublishBatchRequestEntries ?? [];
      // SNS refuses the second changeset's message.
      const refused = entries.find((entry) => JSON.parse(entry.Message!).changeset_id === 2);
      return {
        Successful: entries.filter((entry) => entry !== refused).map((entry) => ({ Id: entry.Id, MessageId: 'ok' })),
        Failed: refused === undefined ? [] : [{ Id: refused.Id, Code: 'InternalError', Message: 'try again', SenderFault: false }],
      };
    });
    const result = await publisher()(
      batch(
        insert(seq(1), { streamId: 's', changesetId: 1, firstEventId: 1, events: [{ type: 'one' }] }),
        insert(seq(2), { streamId: 's', changesetId: 2, firstEventId: 2, events: [{ type: 'two' }] }),
        insert(seq(3), { streamId: 's', changesetId: 3, firstEventId: 3, events: [{ type: 'three' }] }),
      ),
    );
    expect(result).toEqual({ batchItemFailures: [{ itemIdentifier: seq(2) }] });
    // Lambda retries from changeset 2: only the events of changeset 1 went out on the events topic.
    expect(bodies(EVENTS).map((body) => (body as { event_id: number }).event_id)).toEqual([1]);
    expect(logged.some((line) => line.includes('refused'))).toBe(true);
  });

  it('reports the first record of a rejected call, even when the call began with an earlier record', async () => {
    let eventCalls = 0;
    sns.on(PublishBatchCommand, { TopicArn: EVENTS }).callsFake((input: PublishBatchCommandInput) => {
      if (++eventCalls === 2) throw Object.assign(new Error('Rate exceeded'), { name: 'ThrottledException' });
      return acceptAll(input);
    });
    const nineEvents = (from: number) => Array.from({ length: 9 }, (_, index) => ({ type: 'e', n: from + index }));
    const result = await publisher()(
      batch(
        insert(seq(1), { streamId: 'a', changesetId: 1, firstEventId: 1, events: [{ type: 'x' }] }),
        // Events 1-9 of this changeset: its first 9 go in call 1 with the one above, none in call 2.
        insert(seq(2), { streamId: 'b', changesetId: 1, firstEventId: 1, events: nineEvents(1) }),
        // Call 2 starts here and is rejected.
        insert(seq(3), { streamId: 'c', changesetId: 1, firstEventId: 1, events: nineEvents(1) }),
        insert(seq(4), { streamId: 'd', changesetId: 1, firstEventId: 1, events: [{ type: 'y' }] }),
      ),
    );
    expect(result).toEqual({ batchItemFailures: [{ itemIdentifier: seq(3) }] });
    expect(callsTo(EVENTS).map((entries) => entries.length)).toEqual([10, 10]);

    // When the rejected call holds the tail of an earlier record, that earlier record is reported.
    sns.reset();
    let calls = 0;
    sns.on(PublishBatchCommand).callsFake((input: PublishBatchCommandInput) => {
      if (input.TopicArn === EVENTS && ++calls === 2) return Promise.reject(new Error('connection reset'));
      return acceptAll(input);
    });
    const again = await publisher()(
      batch(
        insert(seq(5), { streamId: 'a', changesetId: 2, firstEventId: 2, events: Array.from({ length: 12 }, (_, n) => n) }),
        insert(seq(6), { streamId: 'b', changesetId: 2, firstEventId: 10, events: [1] }),
      ),
    );
    expect(again).toEqual({ batchItemFailures: [{ itemIdentifier: seq(5) }] });
  });

  it('treats an entry SNS neither accepted nor refused as not published', async () => {
    sns.on(PublishBatchCommand, { TopicArn: EVENTS }).resolves({ Successful: [] });
    const result = await publisher()(batch(insert(seq(8), { streamId: 's', changesetId: 1, firstEventId: 1, events: [1] })));
    expect(result).toEqual({ batchItemFailures: [{ itemIdentifier: seq(8) }] });
  });

  it('skips an INSERT that is not a changeset item, and fails loudly without NEW_IMAGE', async () => {
    const result = await publisher()(
      batch(
        insert(seq(1), { streamId: 'bad', changesetId: 1, firstEventId: 1, events: [1], raw: { events: { S: '[not json' } } }),
        insert(seq(2), { streamId: 'good', changesetId: 1, firstEventId: 1, events: [1] }),
      ),
    );
    expect(result).toEqual({ batchItemFailures: [] });
    expect(bodies(CHANGESETS).map((body) => (body as { stream_id: string }).stream_id)).toEqual(['good']);
    expect(logged.some((line) => line.includes(seq(1)))).toBe(true);

    const keysOnly = insert(seq(3), { streamId: 'a', changesetId: 1, firstEventId: 1, events: [1] });
    delete keysOnly.dynamodb!.NewImage;
    await expect(publisher()(batch(keysOnly))).rejects.toThrow(/NEW_IMAGE/);
  });
});

describe('the publisher Lambda handler', () => {
  // A class-level mock: the handler's own client, created from the environment, is intercepted.
  const sns = mockClient(SNSClient);
  const saved = { ...process.env };

  beforeEach(() => {
    sns.reset();
    sns.on(PublishBatchCommand).callsFake((input: PublishBatchCommandInput) => ({
      Successful: (input.PublishBatchRequestEntries ?? []).map((entry) => ({ Id: entry.Id, MessageId: 'ok' })),
    }));
    process.env['EES_CHANGESETS_TOPIC_ARN'] = CHANGESETS;
    process.env['EES_EVENTS_TOPIC_ARN'] = EVENTS;
    process.env['EES_SNS_ENDPOINT'] = 'http://127.0.0.1:9';
  });
  afterEach(() => {
    process.env = { ...saved };
  });
  afterAll(() => sns.restore());

  it('publishes to the topics named by the environment, with one client per container', async () => {
    const first = await handler(batch(insert(seq(1), { streamId: 's', changesetId: 1, firstEventId: 1, events: [{ type: 'a' }] })));
    const second = await handler(batch(insert(seq(2), { streamId: 's', changesetId: 2, firstEventId: 2, events: [{ type: 'b' }] })));
    expect([first, second]).toEqual([{ batchItemFailures: [] }, { batchItemFailures: [] }]);
    const calls = sns.commandCalls(PublishBatchCommand);
    expect(calls.map((call) => call.args[0].input.TopicArn)).toEqual([CHANGESETS, EVENTS, CHANGESETS, EVENTS]);
    expect(new Set(calls.map((call) => call.thisValue)).size).toBe(1);
    expect(calls[0]!.thisValue).toBeInstanceOf(SNSClient);
  });
});
