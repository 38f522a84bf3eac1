import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { APIGatewayProxyEvent, APIGatewayProxyResult, Context, DynamoDBBatchResponse, DynamoDBStreamEvent } from 'aws-lambda';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { batch, insert, seq } from '../support/publisher-runs.js';
import { proxyEvent } from '../support/proxy.js';
import { lambdaBundle, lambdaTables } from './support.js';

type Handler<E, R> = (event: E, context?: Context) => Promise<R>;

const contextOf = (requestId: string, functionName: string): Context =>
  ({
    awsRequestId: requestId,
    functionName,
    functionVersion: '$LATEST',
    invokedFunctionArn: `arn:aws:lambda:us-east-1:000000000000:function:${functionName}`,
    memoryLimitInMB: '1024',
    logGroupName: `/aws/lambda/${functionName}`,
    logStreamName: 'stream',
    callbackWaitsForEmptyEventLoop: true,
    getRemainingTimeInMillis: () => 60_000,
    done: () => {},
    fail: () => {},
    succeed: () => {},
  });

interface Emf {
  readonly _aws: { readonly CloudWatchMetrics: readonly { Namespace: string; Dimensions: string[][]; Metrics: { Name: string; Unit: string }[] }[] };
  readonly [key: string]: unknown;
}

/** Runs an invocation of a built bundle, and returns the JSON lines it wrote to stdout and stderr. */
async function linesOf<T>(invoke: () => Promise<T>): Promise<{ result: T; logs: Record<string, unknown>[]; metrics: Emf[] }> {
  const written: string[] = [];
  const streams = [process.stdout, process.stderr] as const;
  const originals = streams.map((stream) => stream.write.bind(stream));
  for (const stream of streams) {
    stream.write = ((chunk: string | Uint8Array) => {
      written.push(typeof chunk === 'string' ? chunk : Buffer.from(chunk).toString('utf8'));
      return true;
    });
  }
  let result: T;
  try {
    result = await invoke();
  } finally {
    streams.forEach((stream, index) => (stream.write = originals[index]!));
  }
  const parsed = written
    .join('')
    .split('\n')
    .filter((line) => line.startsWith('{'))
    .map((line) => JSON.parse(line) as Record<string, unknown>);
  return { result, logs: parsed.filter((line) => !('_aws' in line)), metrics: parsed.filter((line): line is Emf => '_aws' in line) };
}

/** The value of a metric in the documents, checking it is declared with its unit in the namespace. */
function metricValue(documents: readonly Emf[], name: string, unit: string): unknown {
  const document = documents.find((candidate) => candidate._aws.CloudWatchMetrics[0]!.Metrics.some((metric) => metric.Name === name));
  if (document === undefined) return undefined;
  const directive = document._aws.CloudWatchMetrics[0]!;
  expect(directive.Namespace).toBe('ElasticEventStore');
  expect(directive.Dimensions).toEqual([['service']]);
  expect(document['service']).toBe('ees-observed');
  expect(directive.Metrics).toContainEqual({ Name: name, Unit: unit });
  return document[name];
}

/** SNS answering every PublishBatch entry as failed (query protocol), to make the publisher fail. */
async function refusingSns(): Promise<{ endpoint: string; server: Server }> {
  const server = createServer((request, response) => {
    const chunks: Buffer[] = [];
    request.on('data', (chunk: Buffer) => chunks.push(chunk));
    request.on('end', () => {
      const form = new URLSearchParams(Buffer.concat(chunks).toString('utf8'));
      const ids = [...form].filter(([key]) => /^PublishBatchRequestEntries\.member\.\d+\.Id$/.test(key)).map(([, value]) => value);
      const failed = ids.map((id) => `<member><Id>${id}</Id><Code>InternalError</Code><Message>refused</Message><SenderFault>false</SenderFault></member>`).join('');
      response.setHeader('content-type', 'text/xml');
      response.end(`<PublishBatchResponse xmlns="http://sns.amazonaws.com/doc/2010-03-31/"><PublishBatchResult><Successful/><Failed>${failed}</Failed></PublishBatchResult><ResponseMetadata><RequestId>r</RequestId></ResponseMetadata></PublishBatchResponse>`);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { endpoint: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, server };
}

describe('the built Lambda bundles write JSON logs and embedded-format metrics', () => {
  let sns: { endpoint: string; server: Server };

  beforeAll(async () => {
    await lambdaTables('observed');
    process.env['POWERTOOLS_SERVICE_NAME'] = 'ees-observed';
    sns = await refusingSns();
    process.env['EES_CHANGESETS_TOPIC_ARN'] = 'arn:aws:sns:us-east-1:000000000000:observed-changesets.fifo';
    process.env['EES_EVENTS_TOPIC_ARN'] = 'arn:aws:sns:us-east-1:000000000000:observed-events.fifo';
    process.env['EES_SNS_ENDPOINT'] = sns.endpoint;
  });
  afterAll(async () => {
    sns.server.closeAllConnections();
    await new Promise<void>((resolve) => sns.server.close(() => resolve()));
  });

  it('api: a commit and a conflict, each with the request id and the stream id, counted as Commits and Conflicts', async () => {
    const api = lambdaBundle<{ handler: Handler<APIGatewayProxyEvent, APIGatewayProxyResult> }>('api').handler;
    const streamId = 'observed-order';
    const commit = await linesOf(() => api(proxyEvent('POST', '/streams/{stream_id}', { streamId, body: { events: [{ type: 'placed' }] } }), contextOf('request-commit', 'ees-api')));
    expect(commit.result.statusCode).toBe(200);
    expect(commit.logs).toContainEqual(expect.objectContaining({ level: 'INFO', message: 'Committed', service: 'ees-observed', function_request_id: 'request-commit', stream_id: streamId, changeset_id: 1 }));
    expect(metricValue(commit.metrics, 'Commits', 'Count')).toBe(1);
    expect(metricValue(commit.metrics, 'Conflicts', 'Count')).toBeUndefined();

    const conflict = await linesOf(() => api(proxyEvent('POST', '/streams/{stream_id}', { streamId, query: { expected_last_changeset: '0' }, body: { events: [1] } }), contextOf('request-conflict', 'ees-api')));
    expect(conflict.result.statusCode).toBe(409);
    expect(conflict.logs).toContainEqual(expect.objectContaining({ message: 'Conflict', function_request_id: 'request-conflict', stream_id: streamId }));
    expect(metricValue(conflict.metrics, 'Conflicts', 'Count')).toBe(1);
    expect(metricValue(conflict.metrics, 'Commits', 'Count')).toBeUndefined();

    // A read is neither: no metric document at all.
    const read = await linesOf(() => api(proxyEvent('GET', '/streams/{stream_id}/events', { streamId }), contextOf('request-read', 'ees-api')));
    expect(read.result.statusCode).toBe(200);
    expect(read.metrics).toEqual([]);
  });

  it('indexer: the checkpoint range and stream ids of a batch, ChangesetsIndexed and IndexingLatency', async () => {
    const api = lambdaBundle<{ handler: Handler<APIGatewayProxyEvent, APIGatewayProxyResult> }>('api').handler;
    const indexer = lambdaBundle<{ handler: Handler<DynamoDBStreamEvent, void> }>('indexer').handler;
    for (const streamId of ['indexed-a', 'indexed-b']) await api(proxyEvent('POST', '/streams/{stream_id}', { streamId, body: { events: [{ type: 'x' }] } }));
    const committedAt = Date.now() / 1000 - 2;
    const record = (streamId: string, sequence: string) => ({
      eventName: 'INSERT' as const,
      eventSource: 'aws:dynamodb',
      dynamodb: { ApproximateCreationDateTime: committedAt, Keys: { stream_id: { S: streamId }, changeset_id: { N: '1' } }, SequenceNumber: sequence },
    });
    const run = await linesOf(() => indexer({ Records: [record('indexed-a', '1'), record('indexed-b', '2')] }, contextOf('request-index', 'ees-indexer')));
    const line = run.logs.find((entry) => entry['message'] === 'Indexed');
    expect(line).toMatchObject({ level: 'INFO', function_request_id: 'request-index', records: 2, streams: 2, stream_ids: ['indexed-a', 'indexed-b'], assigned: 2 });
    // Nothing was indexed before: the first two checkpoints.
    expect(line!['checkpoints']).toEqual({ first: 0, last: 1 });
    expect(metricValue(run.metrics, 'ChangesetsIndexed', 'Count')).toBe(2);
    expect(metricValue(run.metrics, 'IndexingLatency', 'Milliseconds')).toBeGreaterThanOrEqual(2_000);

    // A redelivery assigns nothing: logged, and no ChangesetsIndexed.
    const again = await linesOf(() => indexer({ Records: [record('indexed-a', '1')] }, contextOf('request-again', 'ees-indexer')));
    expect(again.logs).toContainEqual(expect.objectContaining({ message: 'Indexed', assigned: 0, function_request_id: 'request-again' }));
    expect(again.logs.find((entry) => entry['message'] === 'Indexed')).not.toHaveProperty('checkpoints');
    expect(metricValue(again.metrics, 'ChangesetsIndexed', 'Count')).toBeUndefined();
  });

  it('publisher: what SNS refused, as an error line and PublishFailures, and where Lambda retries from', async () => {
    const publisher = lambdaBundle<{ handler: Handler<DynamoDBStreamEvent, DynamoDBBatchResponse> }>('publisher').handler;
    const records = batch(insert(seq(1), { streamId: 'published', changesetId: 1, firstEventId: 1, events: [{ type: 'a' }, { type: 'b' }] }));
    const run = await linesOf(() => publisher(records, contextOf('request-publish', 'ees-publisher')));
    expect(run.result).toEqual({ batchItemFailures: [{ itemIdentifier: seq(1) }] });
    expect(run.logs).toContainEqual(expect.objectContaining({ level: 'ERROR', message: 'SNS refused some messages', function_request_id: 'request-publish' }));
    expect(run.logs).toContainEqual(expect.objectContaining({ level: 'INFO', message: 'Published', stream_ids: ['published'], retry_from: seq(1) }));
    // One message on the changesets topic and two on the events topic, all refused: one value per call (EMF sums them).
    const values = [metricValue(run.metrics, 'PublishFailures', 'Count')].flat() as number[];
    expect(values.sort()).toEqual([1, 2]);
  });

  it('projector: the statistics it projected, as one log line', async () => {
    const projector = lambdaBundle<{ handler: Handler<unknown, void> }>('projector').handler;
    const run = await linesOf(() => projector({}, contextOf('request-project', 'ees-projector')));
    expect(run.logs).toContainEqual(expect.objectContaining({ message: 'Projected', function_request_id: 'request-project', statistics: expect.objectContaining({ total_streams: 2, total_changesets: 2 }) }));
  });
});
