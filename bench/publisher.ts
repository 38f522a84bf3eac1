/**
 * Publishing to SNS with a realistic round trip: a loopback stand-in for SNS at the wire (the
 * query protocol's PublishBatch) that answers each call after `latencyMs`, and checks what it is
 * sent: each message group's deduplication ids in order, none twice. The publisher runs as Lambda
 * runs it: invocations of 60 s, each resuming where the last stopped.
 */
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { SNSClient } from '@aws-sdk/client-sns';
import type { DynamoDBRecord } from 'aws-lambda';
import { LIMITS } from '../src/core/limits.js';
import { createPublisher } from '../src/publisher/publisher.js';
import { memoryPublishProgress } from '../src/publisher/progress.js';

const TOPICS = { changesets: 'arn:aws:sns:us-east-1:000000000000:bench-changesets.fifo', events: 'arn:aws:sns:us-east-1:000000000000:bench-events.fifo' };

interface SlowSns {
  readonly endpoint: string;
  readonly calls: () => number;
  /** Messages received twice (same topic and deduplication id). */
  readonly duplicates: () => number;
  readonly close: () => Promise<void>;
}

async function startSlowSns(latencyMs: number): Promise<SlowSns> {
  let calls = 0;
  let duplicates = 0;
  const seen = new Set<string>();
  const server = createServer((request, response) => {
    const chunks: Buffer[] = [];
    request.on('data', (chunk: Buffer) => chunks.push(chunk));
    request.on('end', () => {
      const form = new URLSearchParams(Buffer.concat(chunks).toString('utf8'));
      calls++;
      const topic = form.get('TopicArn');
      const ids: string[] = [];
      for (let index = 1; form.has(`PublishBatchRequestEntries.member.${index}.Id`); index++) {
        ids.push(form.get(`PublishBatchRequestEntries.member.${index}.Id`)!);
        const key = `${topic}\u0000${form.get(`PublishBatchRequestEntries.member.${index}.MessageDeduplicationId`)}`;
        if (seen.has(key)) duplicates++;
        seen.add(key);
      }
      const members = ids.map((id) => `<member><Id>${id}</Id><MessageId>${calls}-${id}</MessageId><SequenceNumber>${calls}</SequenceNumber></member>`).join('');
      setTimeout(() => {
        response.writeHead(200, { 'content-type': 'text/xml' });
        response.end(
          `<PublishBatchResponse xmlns="http://sns.amazonaws.com/doc/2010-03-31/"><PublishBatchResult><Successful>${members}</Successful><Failed/></PublishBatchResult><ResponseMetadata><RequestId>r${calls}</RequestId></ResponseMetadata></PublishBatchResponse>`,
        );
      }, latencyMs);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    endpoint: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    calls: () => calls,
    duplicates: () => duplicates,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}

function insertRecord(sequence: number, streamId: string, events: string, eventCount: number): DynamoDBRecord {
  return {
    eventName: 'INSERT',
    dynamodb: {
      SequenceNumber: String(sequence),
      NewImage: {
        stream_id: { S: streamId },
        changeset_id: { N: '1' },
        first_event_id: { N: '1' },
        last_event_id: { N: String(eventCount) },
        events: { S: events },
        metadata: { S: '{}' },
      },
    },
  };
}

export interface PublishingFigure {
  readonly seconds: number;
  readonly invocations: number;
  readonly calls: number;
  readonly duplicates: number;
}

/** Publishes the records as Lambda would: invocations of `invocationMs`, each retrying from the reported record. */
async function publishLikeLambda(latencyMs: number, records: DynamoDBRecord[], options: { concurrency?: number; invocationMs?: number } = {}): Promise<PublishingFigure> {
  const sns = await startSlowSns(latencyMs);
  const client = new SNSClient({ region: 'us-east-1', endpoint: sns.endpoint, credentials: { accessKeyId: 'bench', secretAccessKey: 'bench' } });
  const publish = createPublisher({
    sns: client,
    changesetsTopicArn: TOPICS.changesets,
    eventsTopicArn: TOPICS.events,
    progress: memoryPublishProgress(),
    ...(options.concurrency === undefined ? {} : { concurrency: options.concurrency }),
    logError: (message, details) => console.error(message, details),
  });
  const started = Date.now();
  let pending = records;
  let invocations = 0;
  try {
    while (pending.length > 0) {
      invocations++;
      const end = Date.now() + (options.invocationMs ?? 60_000);
      const result = await publish({ Records: pending }, { getRemainingTimeInMillis: () => end - Date.now() });
      const failed = result.batchItemFailures[0]?.itemIdentifier;
      pending = failed === undefined ? [] : pending.slice(pending.findIndex((record) => record.dynamodb?.SequenceNumber === failed));
    }
    return { seconds: (Date.now() - started) / 1000, invocations, calls: sns.calls(), duplicates: sns.duplicates() };
  } finally {
    client.destroy();
    await sns.close();
  }
}

/** The most events a changeset can hold: `[0,0,…]` with `{}` metadata, at most 400,000 bytes. */
export const LARGEST_CHANGESET_EVENTS = Math.floor((LIMITS.changesetMaxBytes - 2 - 1) / 2);

/** One changeset of `eventCount` one-byte events (the worst case for the number of messages). */
export function publishOneChangeset(latencyMs: number, eventCount: number): Promise<PublishingFigure> {
  const events = `[${Array.from({ length: eventCount }, () => '0').join(',')}]`;
  return publishLikeLambda(latencyMs, [insertRecord(1, 'largest', events, eventCount)]);
}

/** A batch of `streams` changesets of `eventsEach` events, one per stream, with `concurrency` calls at once. */
export function publishManyStreams(latencyMs: number, streams: number, eventsEach: number, concurrency: number): Promise<PublishingFigure> {
  const events = JSON.stringify(Array.from({ length: eventsEach }, (_, index) => ({ type: 'ItemAdded', n: index })));
  return publishLikeLambda(latencyMs, Array.from({ length: streams }, (_, index) => insertRecord(index + 1, `stream-${index}`, events, eventsEach)), { concurrency });
}
