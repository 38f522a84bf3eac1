import type { APIGatewayProxyEvent, APIGatewayProxyResult } from 'aws-lambda';
import { changesetTooLarge } from '../core/changeset.js';
import { LIMITS } from '../core/limits.js';
import type { ApiHandler } from '../http/types.js';
import { renderError } from '../http/render.js';
import { PACKAGE_VERSION } from '../version.js';

/**
 * Turns node:http requests into API Gateway proxy events for a Lambda handler, as the REST API
 * does in the deployed stack: `ees dev --engine dynamodb` serves through the very `api` Lambda.
 */
export function emulateApiGateway(lambda: (event: APIGatewayProxyEvent) => Promise<APIGatewayProxyResult>): ApiHandler {
  return async (request) => {
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
    if (body === null) {
      return {
        status: 413,
        headers: { 'content-type': 'application/json; charset=utf-8', server: `ees/${PACKAGE_VERSION}`, connection: 'close' },
        body: renderError(changesetTooLarge(streamId === '' ? undefined : streamId)),
      };
    }
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
    const result = await lambda(event);
    const headers: Record<string, string> = {};
    for (const [name, value] of Object.entries(result.headers ?? {})) headers[name] = String(value);
    return { status: result.statusCode, headers, body: result.body };
  };
}
