import { createHash } from 'node:crypto';
import { PublishBatchCommand, SNSClient, type PublishBatchCommandInput, type PublishBatchRequestEntry } from '@aws-sdk/client-sns';
import { mockClient } from 'aws-sdk-client-mock';
import { afterAll, beforeEach, describe, expect, it } from 'vitest';
import { deduplicationIdOf, messageGroupIdOf, SNS_MESSAGE_MAX_BYTES } from '../../src/publisher/messages.js';
import { createPublisher, type PublisherOptions } from '../../src/publisher/publisher.js';
import { batch, insert, memoryPublishProgress, seq } from '../support/publisher-runs.js';

const CHANGESETS = 'arn:aws:sns:us-east-1:123456789012:ees-changesets.fifo';
const EVENTS = 'arn:aws:sns:us-east-1:123456789012:ees-events.fifo';

const sha256Hex = (text: string): string => createHash('sha256').update(text, 'utf8').digest('hex');

describe('the SNS publisher', () => {
  const sns = mockClient(SNSClient);
  // Never used for real: the mock answers every send. Loopback and dummy credentials all the same.
  const client = new SNSClient({ region: 'us-east-1', endpoint: 'http://127.0.0.1:9', credentials: { accessKeyId: 'test', secretAccessKey: 'test' } });
  const logged: string[] = [];
  const publisher = (overrides: Partial<PublisherOptions> = {}) =>
    createPublisher({
      sns: client,
      changesetsTopicArn: CHANGESETS,
      eventsTopicArn: EVENTS,
      progress: memoryPublishProgress(),
      logError: (message) => logged.push(message),
      ...overrides,
    });

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

  it('batches a stream\'s changeset messages by 10 too, in order, and gives each stream calls of its own', async () => {
    const records = Array.from({ length: 15 }, (_, index) =>
      insert(seq(index), { streamId: index < 12 ? 'one' : 'other', changesetId: index < 12 ? index + 1 : index - 11, firstEventId: index + 1, events: [index] }),
    );
    await publisher()(batch(...records));
    const groups = (entries: PublishBatchRequestEntry[]) => [...new Set(entries.map((entry) => entry.MessageGroupId))];
    expect(callsTo(CHANGESETS).map(groups).sort()).toEqual([['one'], ['one'], ['other']]);
    expect(callsTo(CHANGESETS).map((entries) => entries.length).sort()).toEqual([10, 2, 3].sort());
    const ofStream = (streamId: string) => bodies(CHANGESETS).filter((body) => (body as { stream_id: string }).stream_id === streamId);
    expect(ofStream('one').map((body) => (body as { events: number[] }).events[0])).toEqual(Array.from({ length: 12 }, (_, index) => index));
    expect(ofStream('other').map((body) => (body as { changeset_id: number }).changeset_id)).toEqual([1, 2, 3]);
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
        insert(seq(2), { streamId: 'big', changesetId: 2, firstEventId: 3, events: [{ pad: 'c'.repeat(200_000) }] }),
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

  it('reports the first record of a refused entry, publishes nothing after it on that topic, and the retry resumes there', async () => {
    let refuse = true;
    sns.on(PublishBatchCommand, { TopicArn: CHANGESETS }).callsFake((input: PublishBatchCommandInput) => {
      const entries = input.PublishBatchRequestEntries ?? [];
      // SNS refuses the second changeset's message, once.
      const refused = refuse ? entries.find((entry) => JSON.parse(entry.Message!).changeset_id === 2) : undefined;
      refuse = false;
      return {
        Successful: entries.filter((entry) => entry !== refused).map((entry) => ({ Id: entry.Id, MessageId: 'ok' })),
        Failed: refused === undefined ? [] : [{ Id: refused.Id, Code: 'InternalError', Message: 'try again', SenderFault: false }],
      };
    });
    const records = [1, 2, 3].map((id) => insert(seq(id), { streamId: 's', changesetId: id, firstEventId: id, events: [{ type: `e${id}` }] }));
    const publish = publisher();
    const result = await publish(batch(...records));
    expect(result).toEqual({ batchItemFailures: [{ itemIdentifier: seq(2) }] });
    expect(bodies(CHANGESETS).map((body) => (body as { changeset_id: number }).changeset_id)).toEqual([1, 2, 3]);
    // The events topic is a lane of its own: its messages went out, and are recorded as published.
    expect(bodies(EVENTS).map((body) => (body as { event_id: number }).event_id)).toEqual([1, 2, 3]);
    expect(logged.some((line) => line.includes('refused'))).toBe(true);

    // Lambda retries from changeset 2: only what is not recorded as published goes out again.
    sns.resetHistory();
    expect(await publish(batch(...records.slice(1)))).toEqual({ batchItemFailures: [] });
    expect(bodies(CHANGESETS).map((body) => (body as { changeset_id: number }).changeset_id)).toEqual([2, 3]);
    expect(bodies(EVENTS)).toEqual([]);
  });

  it('reports the first record of a rejected call, even when the call began with an earlier record', async () => {
    /** Rejects the second events call of stream a; every other call is accepted. */
    const rejectSecondCallOfA = (rejection: () => Error) => {
      let callsOfA = 0;
      sns.on(PublishBatchCommand, { TopicArn: EVENTS }).callsFake((input: PublishBatchCommandInput) => {
        if (input.PublishBatchRequestEntries?.[0]?.MessageGroupId === 'a' && ++callsOfA === 2) throw rejection();
        return acceptAll(input);
      });
    };
    rejectSecondCallOfA(() => Object.assign(new Error('Rate exceeded'), { name: 'ThrottledException' }));
    const nineEvents = (from: number) => Array.from({ length: 9 }, (_, index) => ({ type: 'e', n: from + index }));
    const result = await publisher()(
      batch(
        // Events 1-9, then 10-18: call 1 of stream a holds 1-10, call 2 (rejected) starts in changeset 2.
        insert(seq(1), { streamId: 'a', changesetId: 1, firstEventId: 1, events: nineEvents(1) }),
        insert(seq(2), { streamId: 'a', changesetId: 2, firstEventId: 10, events: nineEvents(10) }),
        insert(seq(3), { streamId: 'b', changesetId: 1, firstEventId: 1, events: [{ type: 'y' }] }),
      ),
    );
    expect(result).toEqual({ batchItemFailures: [{ itemIdentifier: seq(2) }] });
    expect(bodies(EVENTS).filter((body) => (body as { stream_id: string }).stream_id === 'b')).toHaveLength(1);

    // When the rejected call holds the tail of an earlier record, that earlier record is reported.
    sns.reset();
    rejectSecondCallOfA(() => new Error('connection reset'));
    const again = await publisher()(
      batch(
        insert(seq(5), { streamId: 'a', changesetId: 2, firstEventId: 2, events: Array.from({ length: 12 }, (_, n) => n) }),
        insert(seq(6), { streamId: 'a', changesetId: 3, firstEventId: 14, events: [1] }),
      ),
    );
    expect(again).toEqual({ batchItemFailures: [{ itemIdentifier: seq(5) }] });
  });

  it('starts no call once the invocation is about to time out, and reports where to resume', async () => {
    const events = Array.from({ length: 30 }, (_, index) => index);
    let remaining = 60_000;
    sns.on(PublishBatchCommand).callsFake((input: PublishBatchCommandInput) => {
      // Each call takes 20 s of the invocation's minute.
      remaining -= 20_000;
      return acceptAll(input);
    });
    const result = await publisher({ concurrency: 1 })(batch(insert(seq(1), { streamId: 'slow', changesetId: 1, firstEventId: 1, events })), {
      getRemainingTimeInMillis: () => remaining,
    });
    expect(result).toEqual({ batchItemFailures: [{ itemIdentifier: seq(1) }] });
    expect(sns.commandCalls(PublishBatchCommand).length).toBeLessThan(4);
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
