import type { APIGatewayProxyEvent, APIGatewayProxyResult } from 'aws-lambda';
import type { ApiHandler } from '../http/types.js';

/** The path as the client sent it, percent-encoding kept (API Gateway decodes `path`). */
function rawPathOf(event: APIGatewayProxyEvent): string {
  const streamId = event.pathParameters?.['stream_id'];
  const resource = event.resource ?? '';
  if (streamId !== undefined && resource.includes('{stream_id}')) {
    return resource.replace('{stream_id}', encodeURIComponent(streamId));
  }
  return event.path;
}

function rawQueryOf(event: APIGatewayProxyEvent): string {
  const query = new URLSearchParams();
  const multi = event.multiValueQueryStringParameters ?? {};
  for (const [name, values] of Object.entries(multi)) for (const value of values ?? []) query.append(name, value);
  if (Object.keys(multi).length === 0) for (const [name, value] of Object.entries(event.queryStringParameters ?? {})) query.append(name, value ?? '');
  return query.toString();
}

/** Runs the one API handler behind an API Gateway REST API (Lambda proxy integration). */
export function apiGatewayHandler(handler: ApiHandler): (event: APIGatewayProxyEvent) => Promise<APIGatewayProxyResult> {
  return async (event) => {
    const body = event.body === null ? new Uint8Array() : Buffer.from(event.body, event.isBase64Encoded ? 'base64' : 'utf8');
    const headers: Record<string, string | undefined> = {};
    for (const [name, value] of Object.entries(event.headers ?? {})) headers[name.toLowerCase()] = value;
    const response = await handler({
      method: event.httpMethod,
      path: rawPathOf(event),
      query: rawQueryOf(event),
      headers,
      readBody: async (maxBytes) => (body.length > maxBytes ? null : body),
    });
    return { statusCode: response.status, headers: response.headers, body: response.body };
  };
}
