import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { DynamoDBClient, type KeysAndAttributes } from '@aws-sdk/client-dynamodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { batchGetAll } from '../../src/engines/dynamodb/batch-get.js';

interface BatchGetBody {
  RequestItems: Record<string, KeysAndAttributes>;
}

/**
 * DynamoDB's JSON protocol on loopback, for BatchGetItem only: the first call of each test
 * answers the first key and leaves the others unprocessed, as a throttled table does; later
 * calls answer every key they ask for.
 */
describe('batchGetAll against a DynamoDB that leaves keys unprocessed', () => {
  const calls: BatchGetBody[] = [];
  let server: Server;
  let client: DynamoDBClient;

  beforeAll(async () => {
    server = createServer((request, response) => {
      let text = '';
      request.on('data', (chunk: Buffer) => (text += chunk.toString()));
      request.on('end', () => {
        const body = JSON.parse(text) as BatchGetBody;
        calls.push(body);
        const [table, asked] = Object.entries(body.RequestItems)[0]!;
        const keys = asked.Keys ?? [];
        const answered = calls.length === 1 ? keys.slice(0, 1) : keys;
        const left = keys.slice(answered.length);
        response.writeHead(200, { 'content-type': 'application/x-amz-json-1.0' });
        response.end(
          JSON.stringify({
            Responses: { [table]: answered.map((key) => ({ ...key, events: { S: '[]' } })) },
            UnprocessedKeys: left.length === 0 ? {} : { [table]: { ...asked, Keys: left } },
          }),
        );
      });
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    client = new DynamoDBClient({
      endpoint: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
      region: 'us-east-1',
      credentials: { accessKeyId: 'test', secretAccessKey: 'test' },
      maxAttempts: 1,
    });
  });
  afterAll(async () => {
    client.destroy();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  });

  const keys = ['a', 'b', 'c'].map((streamId) => ({ stream_id: { S: streamId }, changeset_id: { N: '0' } }));

  it('asks again for the unprocessed keys only, after a jittered backoff, and returns every item', async () => {
    calls.length = 0;
    const jitters: number[] = [];
    const found = await batchGetAll(
      client,
      { events: { Keys: keys, ConsistentRead: true } },
      { firstBackoffMs: 1, random: () => (jitters.push(0.5), 0.5) },
    );
    expect(found['events']!.map((item) => item['stream_id']!.S)).toEqual(['a', 'b', 'c']);
    expect(calls.map((call) => call.RequestItems['events']!.Keys!.map((key) => key['stream_id']!.S))).toEqual([['a', 'b', 'c'], ['b', 'c']]);
    expect(calls[1]!.RequestItems['events']!.ConsistentRead).toBe(true);
    // One wait, between the two rounds; none before the first.
    expect(jitters).toEqual([0.5]);
  });

  it('stops waiting to retry when its signal aborts', async () => {
    calls.length = 0;
    const controller = new AbortController();
    const abortWhileWaiting = (): number => {
      setImmediate(() => controller.abort(new Error('gave up')));
      return 0.99;
    };
    // The backoff would outlast the test's timeout if the signal did not cut it short.
    await expect(
      batchGetAll(client, { events: { Keys: keys } }, { signal: controller.signal, firstBackoffMs: 600_000, maxBackoffMs: 600_000, random: abortWhileWaiting }),
    ).rejects.toThrow(/gave up|abort/i);
    expect(calls).toHaveLength(1);
  });
});
