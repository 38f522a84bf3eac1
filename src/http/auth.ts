import { createHash, timingSafeEqual } from 'node:crypto';
import type { IncomingHttpHeaders } from 'node:http';
import { EesError } from '../core/errors.js';

const digest = (value: string): Buffer => createHash('sha256').update(value, 'utf8').digest();

/**
 * Checks `Authorization: Bearer <token>` in constant time: both sides are hashed first, so
 * neither the token's content nor its length shows in the timing.
 */
export function bearerTokenMatches(authorization: string | undefined, token: string): boolean {
  const presented = /^Bearer (.+)$/i.exec(authorization ?? '')?.[1] ?? '';
  return timingSafeEqual(digest(presented), digest(token)) && presented !== '';
}

/** Whether an address to bind is on this machine only. */
export function isLoopbackHost(host: string): boolean {
  return host === 'localhost' || host === '::1' || host === '[::1]' || /^127\.\d+\.\d+\.\d+$/.test(host);
}

/** The name in a Host header, without its port, lower case (`[::1]:3000` → `[::1]`). */
function hostName(hostHeader: string): string {
  const name = hostHeader.startsWith('[') ? hostHeader.slice(0, hostHeader.indexOf(']') + 1) : hostHeader.replace(/:\d*$/, '');
  return name.toLowerCase();
}

/** Loopback names a browser resolves to this machine only (RFC 6761 reserves *.localhost). */
function isLoopbackName(name: string, boundHost: string): boolean {
  const bound = (boundHost.includes(':') && !boundHost.startsWith('[') ? `[${boundHost}]` : boundHost).toLowerCase();
  return name === bound || isLoopbackHost(name) || name.endsWith('.localhost');
}

export interface CallerRules {
  /** The address the server is bound to. */
  readonly boundHost: string;
  /** When set, every request must carry `Authorization: Bearer <token>`. */
  readonly token?: string | undefined;
}

/**
 * Why `ees dev` refuses a caller, before it reads any body byte; undefined when it may call.
 * A web page must not reach the local store: its requests carry an `Origin` that is not the
 * server's own, and a DNS-rebound page sends a `Host` that is no loopback name. The deployed API
 * does not run this (API Gateway and IAM decide there).
 */
export function refusalOfCaller(headers: IncomingHttpHeaders, rules: CallerRules): { error: EesError; headers?: Record<string, string> } | undefined {
  const host = headers.host;
  if (rules.token === undefined && host !== undefined && !isLoopbackName(hostName(host), rules.boundHost)) {
    return { error: new EesError('FORBIDDEN', `The Host "${host}" is not a loopback name: ees dev without a token answers only to localhost and loopback addresses.`) };
  }
  const origin = headers.origin;
  if (origin !== undefined && (host === undefined || origin.toLowerCase() !== `http://${host.toLowerCase()}`)) {
    return { error: new EesError('FORBIDDEN', `Requests from web pages of other origins are refused (Origin "${origin}").`) };
  }
  if (rules.token !== undefined && !bearerTokenMatches(headers.authorization, rules.token)) {
    return {
      error: new EesError('UNAUTHORIZED', 'This event store needs a bearer token: send Authorization: Bearer <token>.'),
      headers: { 'www-authenticate': 'Bearer' },
    };
  }
  return undefined;
}
