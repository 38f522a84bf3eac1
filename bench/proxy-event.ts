import type { APIGatewayProxyEvent } from 'aws-lambda';

/** A REST API (v1) proxy event, as API Gateway sends it to the `api` function (benchmarks and tests). */
export function proxyEvent(
  method: string,
  resource: string,
  options: { streamId?: string; query?: Record<string, string>; body?: unknown; rawBody?: string } = {},
): APIGatewayProxyEvent {
  const path = options.streamId === undefined ? resource : resource.replace('{stream_id}', options.streamId);
  return {
    httpMethod: method,
    resource,
    path,
    pathParameters: options.streamId === undefined ? null : { stream_id: options.streamId },
    queryStringParameters: options.query ?? null,
    multiValueQueryStringParameters: options.query === undefined ? null : Object.fromEntries(Object.entries(options.query).map(([key, value]) => [key, [value]])),
    headers: { 'Content-Type': 'application/json' },
    multiValueHeaders: {},
    body: options.rawBody ?? (options.body === undefined ? null : JSON.stringify(options.body)),
    isBase64Encoded: false,
    stageVariables: null,
    requestContext: {} as APIGatewayProxyEvent['requestContext'],
  };
}
