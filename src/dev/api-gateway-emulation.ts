import type { APIGatewayProxyEvent } from 'aws-lambda';
import { changesetTooLarge } from '../core/changeset.js';
import { LIMITS } from '../core/limits.js';
import type { ApiResponses } from '../http/responses.js';
import type { ApiRequest, ApiResponse, ServedApiHandler } from '../http/types.js';
import type { ProxyHandler } from '../lambda/api-gateway.js';

/**
 * Turns node:http requests into API Gateway proxy events for a Lambda handler, as the REST API
 * does in the deployed stack: `ees dev --engine dynamodb` serves through the very `api` Lambda.
 * What it answers itself comes from `responses`, the API handler's own factory. The client's abort
 * signal goes along (API Gateway has none to give), so a long poll ends when its client goes away.
 */
export function emulateApiGateway(lambda: ProxyHandler, responses: ApiResponses): ServedApiHandler {
  const handle = async (request: ApiRequest): Promise<ApiResponse> => {
    const segments = request.path.split('/');
    const isStreamRoute = segments[1] === 'streams' && segments.length >= 3;
    const resource = isStreamRoute ? ['', 'streams', '{stream_id}', ...segments.slice(3)].join('/') : request.path;
    let streamId: string | undefined;
    try {
      streamId = isStreamRoute ? decodeURIComponent(segments[2]!) : undefined;
    } catch {
      streamId = undefined;
    }
    // API Gateway would take up to 10 MB, but the API takes at most 1 MiB: reading more is waste,
    // and a declared larger body is refused without reading a byte of it.
    const body = await request.readBody(LIMITS.requestBodyMaxBytes);
    if (body === null) return responses.error(changesetTooLarge(streamId === '' ? undefined : streamId), { connection: 'close' });
    const query = new URLSearchParams(request.query);
    const multi: Record<string, string[]> = {};
    for (const [name, value] of query) (multi[name] ??= []).push(value);
    const event = {
      httpMethod: request.method,
      resource: streamId === undefined ? request.path : resource,
      path: request.path,
      pathParameters: streamId === undefined ? null : { stream_id: streamId },
      queryStringParameters: Object.keys(multi).length === 0 ? null : Object.fromEntries(Object.entries(multi).map(([name, values]) => [name, values.at(-1)!])),
      multiValueQueryStringParameters: Object.keys(multi).length === 0 ? null : multi,
      headers: Object.fromEntries(Object.entries(request.headers).filter((entry): entry is [string, string] => typeof entry[1] === 'string')),
      multiValueHeaders: {},
      body: body.length === 0 ? null : Buffer.from(body).toString('base64'),
      isBase64Encoded: true,
      stageVariables: null,
      requestContext: {} as APIGatewayProxyEvent['requestContext'],
    } satisfies APIGatewayProxyEvent;
    // A getter: the host creates a request's signal only when it is asked for (long polls).
    const result = await lambda(event, {
      get signal() {
        return request.signal;
      },
    });
    const headers: Record<string, string> = {};
    for (const [name, value] of Object.entries(result.headers ?? {})) headers[name] = String(value);
    return { status: result.statusCode, headers, body: result.body };
  };
  return Object.assign(handle, { responses });
}
