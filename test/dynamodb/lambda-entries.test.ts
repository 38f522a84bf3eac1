import type { DynamoDBStreamEvent } from 'aws-lambda';
import { beforeAll, describe, expect, it } from 'vitest';
import { proxyEvent } from '../support/proxy.js';
import { lambdaTables } from './support.js';

describe('the Lambda entry points, in-process against DynamoDB Local', () => {
  beforeAll(async () => {
    await lambdaTables('lambda');
  });

  it('serves the API, indexes the stream batch, and projects the statistics', async () => {
    const { handler: api } = await import('../../src/lambda/api.js');
    const { handler: indexer } = await import('../../src/lambda/indexer.js');
    const { handler: projector } = await import('../../src/lambda/projector.js');

    const streamId = 'order 17/ü'.replace('/', '-');
    const committed = await api(proxyEvent('POST', '/streams/{stream_id}', { streamId, body: { events: [{ type: 'placed' }, { type: 'paid' }] } }));
    expect(committed.statusCode).toBe(200);
    expect(JSON.parse(committed.body)).toEqual({ stream_id: streamId, changeset_id: 1 });
    expect(committed.headers?.['server']).toMatch(/^ees\//);

    const conflict = await api(proxyEvent('POST', '/streams/{stream_id}', { streamId, query: { expected_last_changeset: '0' }, body: { events: [1] } }));
    expect(conflict.statusCode).toBe(409);

    const read = await api(proxyEvent('GET', '/streams/{stream_id}/events', { streamId, query: { from: '2' } }));
    expect(JSON.parse(read.body)).toEqual({ stream_id: streamId, events: [{ id: 2, data: { type: 'paid' } }] });

    // The stream record the table emits for the commit, in Lambda's batch shape.
    const batch: DynamoDBStreamEvent = {
      Records: [{ eventName: 'INSERT', eventSource: 'aws:dynamodb', dynamodb: { Keys: { stream_id: { S: streamId }, changeset_id: { N: '1' } }, SequenceNumber: '1' } }],
    };
    await indexer(batch);
    const global = await api(proxyEvent('GET', '/changesets', { query: { checkpoint: '0' } }));
    expect(JSON.parse(global.body)).toMatchObject({ changesets: [{ stream_id: streamId, changeset_id: 1, checkpoint: 0 }], next_checkpoint: 1 });

    await projector();
    const statistics = await api(proxyEvent('GET', '/streams'));
    expect(JSON.parse(statistics.body)).toEqual({ total_streams: 1, total_changesets: 1, total_events: 2, max_stream_length: 1, statistics_version: 1 });

    const unknown = await api(proxyEvent('GET', '/{proxy+}'.replace('{proxy+}', 'nothing-here')));
    expect(unknown.statusCode).toBe(404);
  });
});
