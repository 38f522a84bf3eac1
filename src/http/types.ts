import type { ApiResponses } from './responses.js';

/** The framework-free request and response of the API handler, hosted by node:http or Lambda. */
export interface ApiRequest {
  readonly method: string;
  /** The path as received, still percent-encoded, without the query string. */
  readonly path: string;
  /** The raw query string, without '?'. */
  readonly query: string;
  readonly headers: Readonly<Record<string, string | undefined>>;
  /**
   * Reads the body, at most `maxBytes` of it: resolves null when the body is larger, without
   * buffering the rest.
   */
  readonly readBody: (maxBytes: number) => Promise<Uint8Array | null>;
  /** Aborted when the client goes away or the server shuts down: ends a long poll early. */
  readonly signal?: AbortSignal | undefined;
}

export interface ApiResponse {
  readonly status: number;
  readonly headers: Record<string, string>;
  readonly body: string;
}

export type ApiHandler = (request: ApiRequest) => Promise<ApiResponse>;

/**
 * A handler with the factory its responses come from: a host answers what it refuses itself
 * (callers, malformed requests) with the same headers and error bodies.
 */
export interface ServedApiHandler extends ApiHandler {
  readonly responses: ApiResponses;
}
