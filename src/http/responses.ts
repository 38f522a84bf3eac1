import type { EesError } from '../core/errors.js';
import { renderError } from './render.js';
import type { ApiResponse } from './types.js';

/** Every response of one server: the same content type and `Server` header, success or error. */
export interface ApiResponses {
  /** The `Server` header's value (`ees/<version>`). */
  readonly serverHeader: string;
  readonly respond: (status: number, body: string, extraHeaders?: Record<string, string>) => ApiResponse;
  /** The JSON error response of `error`, with its status from the error table. */
  readonly error: (error: EesError, extraHeaders?: Record<string, string>) => ApiResponse;
}

export function apiResponses(serverVersion: string): ApiResponses {
  const serverHeader = `ees/${serverVersion}`;
  // Hosts only read response headers, so the common ones are one shared object.
  const baseHeaders: Record<string, string> = { 'content-type': 'application/json; charset=utf-8', server: serverHeader };
  const respond = (status: number, body: string, extraHeaders?: Record<string, string>): ApiResponse => ({
    status,
    headers: extraHeaders === undefined ? baseHeaders : { ...baseHeaders, ...extraHeaders },
    body,
  });
  return { serverHeader, respond, error: (error, extraHeaders) => respond(error.status, renderError(error), extraHeaders) };
}
