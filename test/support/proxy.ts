import type { APIGatewayProxyEvent, APIGatewayProxyResult } from 'aws-lambda';
import { proxyEvent } from '../../bench/proxy-event.js';
import { expect } from 'vitest';
import { LIMITS } from '../../src/core/limits.js';

export type ProxyHandler = (event: APIGatewayProxyEvent) => Promise<APIGatewayProxyResult>;

export { proxyEvent } from '../../bench/proxy-event.js';

/** Lambda refuses a synchronous response whose serialized object is larger (AWS's figure, not ours). */
export const LAMBDA_RESPONSE_CAP = 6_291_556;

/** The size Lambda checks against its cap: the response object, serialized as the runtime does. */
export const serializedBytes = (result: APIGatewayProxyResult): number => Buffer.byteLength(JSON.stringify(result), 'utf8');

/** Calls the handler and fails unless the response is within Lambda's cap; returns the parsed body. */
export async function callWithinCap(api: ProxyHandler, event: APIGatewayProxyEvent, status = 200): Promise<{ body: Record<string, unknown>; bytes: number }> {
  const result = await api(event);
  const bytes = serializedBytes(result);
  expect(bytes, `${event.httpMethod} ${event.path} ${JSON.stringify(event.queryStringParameters)}`).toBeLessThanOrEqual(LAMBDA_RESPONSE_CAP);
  expect(result.statusCode, result.statusCode === status ? '' : result.body.slice(0, 300)).toBe(status);
  return { body: JSON.parse(result.body) as Record<string, unknown>, bytes };
}

export interface WholeRead {
  /** Changeset ids (or event ids), in the order the pages returned them. */
  readonly ids: number[];
  readonly pages: number;
  /** The largest serialized response. */
  readonly largestBytes: number;
}

/** Pages through a stream's changesets or events from 1, every response within the cap. */
export async function readWholeStream(api: ProxyHandler, streamId: string, by: 'changesets' | 'events'): Promise<WholeRead> {
  const ids: number[] = [];
  let pages = 0;
  let largestBytes = 0;
  let from: number | undefined = 1;
  while (from !== undefined) {
    const { body, bytes } = await callWithinCap(api, proxyEvent('GET', `/streams/{stream_id}/${by}`, { streamId, query: { from: String(from) } }));
    pages++;
    largestBytes = Math.max(largestBytes, bytes);
    const items = body[by] as { changeset_id?: number; id?: number }[];
    expect(items.length, 'a page that is not the last holds something').toBeGreaterThan(0);
    for (const item of items) ids.push((by === 'changesets' ? item.changeset_id : item.id)!);
    from = body['next_from'] as number | undefined;
  }
  return { ids, pages, largestBytes };
}

/** Pages through the global order from checkpoint 0 with the largest limit, until a page is empty. */
export async function readWholeGlobalOrder(api: ProxyHandler): Promise<WholeRead & { readonly keys: string[] }> {
  const ids: number[] = [];
  const keys: string[] = [];
  let pages = 0;
  let largestBytes = 0;
  let checkpoint = 0;
  for (;;) {
    const { body, bytes } = await callWithinCap(api, proxyEvent('GET', '/changesets', { query: { checkpoint: String(checkpoint), limit: String(LIMITS.globalMaxLimit) } }));
    pages++;
    largestBytes = Math.max(largestBytes, bytes);
    const changesets = body['changesets'] as { stream_id: string; changeset_id: number; checkpoint: number }[];
    if (changesets.length === 0) return { ids, keys, pages, largestBytes };
    for (const changeset of changesets) {
      ids.push(changeset.checkpoint);
      keys.push(`${changeset.stream_id}#${changeset.changeset_id}`);
    }
    checkpoint = body['next_checkpoint'] as number;
  }
}

/**
 * Texts that cost the most once escaped in the proxy response, or take several UTF-8 bytes: a
 * quote and a backslash double, a control character is stored as `\u0001` and grows to seven
 * bytes, a newline to three; multi-byte letters, emoji and a lone surrogate (stored escaped).
 */
export const WORST_CASE_ATOMS = ['"', '\\', '\u0001', '\n', '\u001f', 'é', '€', '😀', '\u2028', '\ud800', 'a'] as const;

/**
 * Events made of `atom` whose compact JSON, with `{}` metadata, takes close to `targetBytes`
 * (never more): `eventCount` strings of the atom, repeated.
 */
export function eventsOfSize(atom: string, targetBytes: number, eventCount = 1): string[] {
  const atomBytes = Buffer.byteLength(JSON.stringify(atom), 'utf8') - 2;
  // `[` `]` and `{}` metadata, then per event two quotes and a comma.
  const room = targetBytes - 4 - eventCount * 3;
  const perEvent = Math.max(1, Math.floor(room / eventCount / atomBytes));
  return Array.from({ length: eventCount }, () => atom.repeat(perEvent));
}
