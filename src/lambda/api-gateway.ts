import type { APIGatewayProxyEvent, APIGatewayProxyResult } from 'aws-lambda';
import { EesError } from '../core/errors.js';
import { LIMITS } from '../core/limits.js';
import { renderError } from '../http/render.js';
import type { ApiHandler, ApiRequest } from '../http/types.js';

/** Escaping grows a character to at most six bytes: below this many characters a body always fits. */
const SURELY_FITS_CHARACTERS = Math.floor((LIMITS.lambdaResponseMaxBytes - 65_536) / 6);

/** Whether Lambda will accept the result: its serialized size, as the runtime measures it. */
function fitsLambdaResponse(result: APIGatewayProxyResult): boolean {
  if (result.body.length < SURELY_FITS_CHARACTERS) return true;
  return Buffer.byteLength(JSON.stringify(result), 'utf8') <= LIMITS.lambdaResponseMaxBytes;
}

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

/**
 * What the caller of a proxy handler may add to the event. Lambda passes its context, which
 * carries no signal; the dev emulation passes its client's, so a long poll ends when the client
 * goes away. A getter is read only when the handler asks (long polls).
 */
export interface ProxyInvocation {
  readonly signal?: AbortSignal | undefined;
}

export type ProxyHandler = (event: APIGatewayProxyEvent, invocation?: ProxyInvocation) => Promise<APIGatewayProxyResult>;

/** The handler's request for one proxy event. A class, so that `signal` is looked up only when asked for. */
class ProxyApiRequest implements ApiRequest {
  readonly method: string;
  readonly path: string;
  readonly query: string;
  readonly headers: Record<string, string | undefined> = {};
  private readonly body: Uint8Array;

  constructor(
    event: APIGatewayProxyEvent,
    private readonly invocation: ProxyInvocation | undefined,
  ) {
    this.method = event.httpMethod;
    this.path = rawPathOf(event);
    this.query = rawQueryOf(event);
    for (const [name, value] of Object.entries(event.headers ?? {})) this.headers[name.toLowerCase()] = value;
    this.body = event.body === null ? new Uint8Array() : Buffer.from(event.body, event.isBase64Encoded ? 'base64' : 'utf8');
  }

  get signal(): AbortSignal | undefined {
    return this.invocation?.signal;
  }

  readBody(maxBytes: number): Promise<Uint8Array | null> {
    return Promise.resolve(this.body.length > maxBytes ? null : this.body);
  }
}

/** Runs the one API handler behind an API Gateway REST API (Lambda proxy integration). */
export function apiGatewayHandler(
  handler: ApiHandler,
  logError: (message: string, details: Record<string, unknown>) => void = (message, details) => console.error(message, JSON.stringify(details)),
): ProxyHandler {
  return async (event, invocation) => {
    const response = await handler(new ProxyApiRequest(event, invocation));
    const result = { statusCode: response.status, headers: response.headers, body: response.body };
    if (fitsLambdaResponse(result)) return result;
    // The pages are cut to fit (core/pages.ts), so this is a bug: say so rather than let API Gateway answer a bare 502.
    logError('Response over the Lambda cap', { path: event.path, query: event.queryStringParameters, bodyCharacters: response.body.length });
    return { statusCode: 500, headers: response.headers, body: renderError(new EesError('INTERNAL_ERROR', 'The response was too large to return. It was logged on the server.')) };
  };
}
