import { GetItemCommand } from '@aws-sdk/client-dynamodb';
import type { Context, DynamoDBBatchResponse, DynamoDBStreamEvent } from 'aws-lambda';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { batch, insert, runLikeLambda, seq } from '../support/publisher-runs.js';
import { startSnsEmulator, type SnsEmulator } from '../support/sns-emulator.js';
import { localDynamoDbClient } from '../../src/engines/dynamodb/tables.js';
import { dynamodbEndpoint, lambdaBundle, lambdaTables } from './support.js';

type Handler = (event: DynamoDBStreamEvent, context?: Pick<Context, 'getRemainingTimeInMillis'>) => Promise<DynamoDBBatchResponse>;

describe('the built publisher bundle, with its progress in the meta table on DynamoDB Local, against fauxqs', () => {
  let sns: SnsEmulator;
  let publish: Handler;
  let meta: string;

  beforeAll(async () => {
    meta = (await lambdaTables('publisher')).meta;
    sns = await startSnsEmulator({ latencyMs: 5, prefix: 'bundle' });
    // What the stack sets on the function; the endpoints point the SDK at loopback.
    process.env['EES_CHANGESETS_TOPIC_ARN'] = sns.topics.changesets;
    process.env['EES_EVENTS_TOPIC_ARN'] = sns.topics.events;
    process.env['EES_SNS_ENDPOINT'] = sns.endpoint;
    publish = lambdaBundle<{ handler: Handler }>('publisher').handler;
  });
  afterAll(async () => {
    await sns.stop();
  });

  it('publishes a changeset of 2,000 events over several attempts, each event once and in order, and never again', async () => {
    const events = Array.from({ length: 2_000 }, (_, index) => ({ type: 'tick', n: index + 1 }));
    const records = batch(
      insert(seq(1), { streamId: 'bundle-huge', changesetId: 1, firstEventId: 1, events }),
      insert(seq(2), { streamId: 'bundle-small', changesetId: 1, firstEventId: 1, events: [{ type: 'one' }] }),
    );
    // Attempts of 1 s, of which the publisher's last 0.3 s are left for the calls in flight (it
    // stops starting calls 10 s before the end the context reports): 200 calls of 5 ms or more
    // need more than one.
    const run = await runLikeLambda(() => publish, records, { timeoutMs: 1_000, maxAttempts: 21, stopMarginMs: 9_700 });
    expect(run.completed).toBe(true);
    expect(run.attempts - run.timeouts).toBeGreaterThan(1);

    const received = (await sns.receive('events', 2_001)).map((message) => JSON.parse(message.body) as { stream_id: string; event_id: number });
    expect(received.filter((body) => body.stream_id === 'bundle-huge').map((body) => body.event_id)).toEqual(events.map((event) => event.n));
    expect(received.filter((body) => body.stream_id === 'bundle-small')).toHaveLength(1);
    const client = localDynamoDbClient(dynamodbEndpoint());
    const { Item } = await client.send(new GetItemCommand({ TableName: meta, Key: { id: { S: 'publisher/bundle-huge' } }, ConsistentRead: true }));
    client.destroy();
    expect(Item).toMatchObject({ changesets_published: { N: '1' }, events_published: { N: '2000' } });

    // A late redelivery of the whole batch publishes nothing: the progress says it is all out.
    const calls = sns.publishCalls();
    expect(await publish(records, { getRemainingTimeInMillis: () => 60_000 })).toEqual({ batchItemFailures: [] });
    expect(sns.publishCalls()).toBe(calls);
  }, 120_000);
});
