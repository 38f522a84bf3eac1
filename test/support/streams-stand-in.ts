/**
 * A loopback stand-in for DynamoDB Streams at the wire (JSON protocol: DescribeStream,
 * GetShardIterator, GetRecords), with shards the test controls: DynamoDB Local has one shard per
 * table and never closes it, so it cannot show several shards, or a shard closing.
 */
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { DynamoDBStreamsClient } from '@aws-sdk/client-dynamodb-streams';

export const STREAM_ARN = 'arn:aws:dynamodb:us-east-1:000000000000:table/t/stream/2026-01-01T00:00:00.000';

interface StandInShard {
  readonly parent?: string;
  readonly records: Record<string, unknown>[];
  closed: boolean;
}

export interface StreamsStandIn {
  readonly client: DynamoDBStreamsClient;
  /** How many times each action was called. */
  readonly calls: Map<string, number>;
  addShard(shardId: string, parent?: string): void;
  /** Appends a record (stream_id/changeset_id keys) to a shard; returns its sequence number. */
  put(shardId: string, streamId: string, changesetId: number, eventName?: 'INSERT' | 'MODIFY'): string;
  close(shardId: string): void;
  stop(): Promise<void>;
}

export async function startStreamsStandIn(): Promise<StreamsStandIn> {
  const shards = new Map<string, StandInShard>();
  const calls = new Map<string, number>();
  let sequence = 100_000_000_000;

  const handle = (action: string, input: Record<string, unknown>): unknown => {
    if (action === 'DescribeStream') {
      return {
        StreamDescription: {
          StreamArn: STREAM_ARN,
          StreamStatus: 'ENABLED',
          Shards: [...shards].map(([ShardId, shard]) => ({ ShardId, ...(shard.parent === undefined ? {} : { ParentShardId: shard.parent }), SequenceNumberRange: { StartingSequenceNumber: '1' } })),
        },
      };
    }
    if (action === 'GetShardIterator') {
      const shard = shards.get(String(input['ShardId']))!;
      const after = input['ShardIteratorType'] === 'AFTER_SEQUENCE_NUMBER' ? shard.records.findIndex((record) => (record['dynamodb'] as { SequenceNumber: string }).SequenceNumber === input['SequenceNumber']) + 1 : 0;
      return { ShardIterator: `${String(input['ShardId'])}|${after}` };
    }
    if (action === 'GetRecords') {
      const [shardId, at] = String(input['ShardIterator']).split('|') as [string, string];
      const shard = shards.get(shardId)!;
      const from = Number(at);
      const records = shard.records.slice(from, from + Number(input['Limit'] ?? 1000));
      const next = from + records.length;
      return { Records: records, ...(shard.closed && next >= shard.records.length ? {} : { NextShardIterator: `${shardId}|${next}` }) };
    }
    throw new Error(`The streams stand-in does not know ${action}`);
  };

  const server = createServer((request, response) => {
    const chunks: Buffer[] = [];
    request.on('data', (chunk: Buffer) => chunks.push(chunk));
    request.on('end', () => {
      const action = String(request.headers['x-amz-target']).split('.').pop()!;
      calls.set(action, (calls.get(action) ?? 0) + 1);
      response.setHeader('content-type', 'application/x-amz-json-1.0');
      try {
        response.end(JSON.stringify(handle(action, JSON.parse(Buffer.concat(chunks).toString() || '{}') as Record<string, unknown>)));
      } catch (error) {
        response.statusCode = 400;
        response.end(JSON.stringify({ __type: 'ValidationException', message: String(error) }));
      }
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const endpoint = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  const client = new DynamoDBStreamsClient({ endpoint, region: 'us-east-1', credentials: { accessKeyId: 'local', secretAccessKey: 'local' } });
  return {
    client,
    calls,
    addShard: (shardId, parent) => {
      shards.set(shardId, { ...(parent === undefined ? {} : { parent }), records: [], closed: false });
    },
    put: (shardId, streamId, changesetId, eventName = 'INSERT') => {
      const SequenceNumber = String(sequence++);
      shards.get(shardId)!.records.push({
        eventID: SequenceNumber,
        eventName,
        eventSource: 'aws:dynamodb',
        dynamodb: { ApproximateCreationDateTime: 1_767_225_600, Keys: { stream_id: { S: streamId }, changeset_id: { N: String(changesetId) } }, SequenceNumber, SizeBytes: 40, StreamViewType: 'KEYS_ONLY' },
      });
      return SequenceNumber;
    },
    close: (shardId) => {
      shards.get(shardId)!.closed = true;
    },
    stop: async () => {
      client.destroy();
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
