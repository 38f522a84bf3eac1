import { Agent, errors as undiciErrors, request, type Dispatcher } from 'undici';
import { EesError, isErrorCode } from '../core/errors.js';
import type { Statistics } from '../core/types.js';
import type { IndexingLag } from '../core/lag.js';
import { retrying } from './retrying.js';
import { redactEndpoint } from './target.js';

export interface ClientOptions {
  readonly endpoint: string;
  /** Sent as `Authorization: Bearer <token>` (ees dev --token). */
  readonly token?: string;
  /** Signs each request (SigV4 for IAM-protected endpoints); returns the headers to add. */
  readonly sign?: (request: { method: string; url: URL; headers: Record<string, string>; body: string }) => Promise<Record<string, string>>;
  /** Read retries on connection errors and 5xx, with backoff. Commits are never retried. */
  readonly readRetries?: number;
  readonly retryBaseMs?: number;
  /** The longest one call may take, its retries included (a long poll adds its wait). */
  readonly timeoutMs?: number | undefined;
  /** The same for a commit, when `timeoutMs` is not given. */
  readonly commitTimeoutMs?: number;
  /** Called once per call that has had no answer for `slowAfterMs` (a long poll's wait not counted). */
  readonly onSlow?: ((notice: { method: string; path: string; waitedMs: number; timeoutMs: number }) => void) | undefined;
  readonly slowAfterMs?: number | undefined;
  /** Sends one attempt instead of undici (the embedded store answers in-process); undici when absent. */
  readonly transport?: Transport | undefined;
}

/** One HTTP exchange: how a request reaches the API and its answer comes back. */
export type Transport = (request: {
  readonly method: string;
  readonly url: URL;
  readonly headers: Record<string, string>;
  readonly body: string | undefined;
  readonly signal: AbortSignal | undefined;
}) => Promise<{ status: number; headers: Record<string, string | string[] | undefined>; text: string }>;

export const DEFAULT_TIMEOUT_MS = 10_000;
/**
 * A commit waits longer by default: giving up early turns a slow success into an unknown outcome,
 * and just above API Gateway's 29 s its own answer (even a 504) always comes first.
 */
export const DEFAULT_COMMIT_TIMEOUT_MS = 30_000;

export interface ChangesetBody {
  readonly events: readonly unknown[];
  readonly metadata?: Record<string, unknown>;
}

export type ExpectationParam = { readonly changeset: number } | { readonly event: number };

export interface StreamChangeset {
  readonly changeset_id: number;
  readonly events: unknown[];
  readonly metadata: Record<string, unknown>;
  /** When it was committed (ISO 8601), on servers that send it. */
  readonly committed_at?: string;
}

export interface StreamEvent {
  readonly id: number;
  readonly data: unknown;
}

export interface GlobalChangeset extends StreamChangeset {
  readonly stream_id: string;
  readonly checkpoint: number;
  /** The id of its first event, on servers that send it: events are numbered from here on. */
  readonly first_event_id?: number;
}

/** Filters of a global read (servers that know them; others ignore them). */
export interface GlobalFilterParams {
  /** Only streams whose ids start with this (a category, e.g. `account-`). */
  readonly streamPrefix?: string | undefined;
  /** Only changesets with an event of one of these types. */
  readonly types?: readonly string[] | undefined;
}

/** A stream's head as GET /streams/{id}/head and GET /stream-heads report it. */
export interface StreamHeadInfo {
  readonly stream_id: string;
  readonly last_changeset_id: number;
  readonly last_event_id: number;
  readonly committed_at: string;
}

export interface StreamListPage {
  readonly prefix: string;
  readonly streams: StreamHeadInfo[];
  /** Present when more streams follow: pass it as `after`. */
  readonly next_after?: string;
}

export interface GlobalPage {
  readonly checkpoint: number;
  readonly limit: number;
  readonly changesets: GlobalChangeset[];
  readonly next_checkpoint: number;
}

export type { Statistics };
export type { IndexingLag };

export interface CommitResult {
  readonly stream_id: string;
  readonly changeset_id: number;
  /** True when the server answered a retry with the changeset an earlier attempt stored. */
  readonly replayed?: boolean;
}

export interface VersionInfo {
  readonly version: string;
  /** The `Server` header: the server's own name and version. */
  readonly server: string | undefined;
  readonly roundTripMs: number;
}

type HttpMethod = 'GET' | 'POST' | 'PUT' | 'DELETE';

/** A consumer as the API reports it: its position and how far it trails the head. */
export interface ConsumerInfo {
  readonly name: string;
  readonly position: number;
  readonly lag: number;
}

const CONNECTION_ERRORS = new Set(['ECONNREFUSED', 'ECONNRESET', 'ENOTFOUND', 'EAI_AGAIN', 'EHOSTUNREACH', 'ENETUNREACH', 'ETIMEDOUT', 'EPIPE']);
/** Failures that happen before a request leaves this machine: a commit that failed so was not sent. */
const NOT_SENT = new Set(['ECONNREFUSED', 'ENOTFOUND', 'EAI_AGAIN', 'EHOSTUNREACH', 'ENETUNREACH']);

function describeConnectionError(error: unknown): string | undefined {
  if (error instanceof undiciErrors.ConnectTimeoutError) return 'connection timed out';
  if (error instanceof undiciErrors.HeadersTimeoutError || error instanceof undiciErrors.BodyTimeoutError) return 'no answer in time';
  if (error instanceof undiciErrors.SocketError) return 'connection closed';
  const code = (error as { code?: string }).code;
  if (code !== undefined && CONNECTION_ERRORS.has(code)) {
    return code === 'ECONNREFUSED' ? 'connection refused' : code === 'ENOTFOUND' ? 'host not found' : code.toLowerCase();
  }
  return undefined;
}

function wasNotSent(error: unknown): boolean {
  return error instanceof undiciErrors.ConnectTimeoutError || NOT_SENT.has((error as { code?: string }).code ?? '');
}

const seconds = (ms: number): string => `${Math.round(ms / 100) / 10}s`;

/** The ees HTTP API as typed calls. API errors come back as EesError with the server's code. */
export class EesClient {
  readonly endpoint: string;
  /** The endpoint as messages show it: never with credentials. */
  private readonly shown: string;
  private readonly agent: Agent;
  private readonly options: ClientOptions;

  constructor(options: ClientOptions) {
    this.options = options;
    this.endpoint = options.endpoint.replace(/\/+$/, '');
    this.shown = redactEndpoint(this.endpoint);
    this.agent = new Agent({ keepAliveTimeout: 4_000, connect: { timeout: Math.min(5_000, options.timeoutMs ?? 5_000) } });
  }

  async close(): Promise<void> {
    await this.agent.close();
  }

  private async send(
    method: HttpMethod,
    path: string,
    options: { body?: string | undefined; retries: number; waitMs?: number | undefined; signal?: AbortSignal | undefined; headers?: Record<string, string> | undefined },
  ): Promise<{ status: number; headers: Dispatcher.ResponseData['headers']; text: string }> {
    const url = new URL(`${this.endpoint}${path}`);
    const headers: Record<string, string> = { accept: 'application/json', ...options.headers };
    if (options.body !== undefined) headers['content-type'] = 'application/json';
    if (this.options.token !== undefined) headers['authorization'] = `Bearer ${this.options.token}`;
    const timeoutMs = this.options.timeoutMs ?? (method === 'POST' ? (this.options.commitTimeoutMs ?? DEFAULT_COMMIT_TIMEOUT_MS) : DEFAULT_TIMEOUT_MS);
    const waitMs = options.waitMs ?? 0;
    const deadline = performance.now() + timeoutMs + waitMs;
    const slowAfterMs = this.options.slowAfterMs ?? 2_000;
    const slowTimer =
      this.options.onSlow === undefined || slowAfterMs >= timeoutMs
        ? undefined
        : setTimeout(() => this.options.onSlow?.({ method, path, waitedMs: slowAfterMs, timeoutMs }), waitMs + slowAfterMs);
    slowTimer?.unref();
    try {
      type Answer = { status: number; headers: Dispatcher.ResponseData['headers']; text: string };
      let failure: unknown;
      let outcome: Answer | undefined;
      try {
        outcome = await retrying<Answer>(
          async () => {
            // Signed per attempt: a retry after a slow attempt would otherwise carry a stale X-Amz-Date.
            const attemptHeaders = { ...headers };
            if (this.options.sign !== undefined) Object.assign(attemptHeaders, await this.options.sign({ method, url, headers, body: options.body ?? '' }));
            // The whole call keeps to the deadline: a server that accepts and never answers cannot hang it.
            const remaining = Math.max(1, Math.round(deadline - performance.now()));
            if (this.options.transport !== undefined) return this.options.transport({ method, url, headers: attemptHeaders, body: options.body, signal: options.signal });
            const response = await request(url, {
              method,
              headers: attemptHeaders,
              body: options.body ?? null,
              dispatcher: this.agent,
              headersTimeout: remaining,
              bodyTimeout: remaining,
              signal: options.signal ?? null,
            });
            return { status: response.statusCode, headers: response.headers, text: await response.body.text() };
          },
          {
            signal: options.signal,
            retryAfter: (attempted, attempt) => {
              const retryable = attempted.ok ? attempted.value.status >= 500 : describeConnectionError(attempted.error) !== undefined;
              const pause = (this.options.retryBaseMs ?? 200) * 3 ** attempt;
              return retryable && attempt < options.retries && performance.now() + pause < deadline ? pause : undefined;
            },
          },
        );
      } catch (error) {
        if (options.signal?.aborted) throw error;
        failure = error;
      }
      if (outcome !== undefined) return outcome;
      const reason = describeConnectionError(failure);
      if (reason === undefined) throw failure;
      const timedOut = failure instanceof undiciErrors.HeadersTimeoutError || failure instanceof undiciErrors.BodyTimeoutError;
      const why = timedOut ? `no answer within ${seconds(timeoutMs)} (--timeout or EES_TIMEOUT allow longer)` : reason;
      if (method === 'POST' && !wasNotSent(failure)) {
        throw new EesError('COMMIT_OUTCOME_UNKNOWN', `The commit was sent to ${this.shown}, but ${timedOut ? why : `the ${reason} before an answer`}: it may be stored.`, {
          cause: failure,
        });
      }
      throw new EesError('ENDPOINT_UNREACHABLE', `Cannot reach ${this.shown}: ${why}.`, { cause: failure });
    } finally {
      clearTimeout(slowTimer);
    }
  }

  private async call<T>(
    method: HttpMethod,
    path: string,
    options: { body?: string | undefined; retry: boolean; waitMs?: number | undefined; signal?: AbortSignal | undefined; headers?: Record<string, string> | undefined },
  ): Promise<{ body: T; headers: Dispatcher.ResponseData['headers'] }> {
    const retries = options.retry ? (this.options.readRetries ?? 3) : 0;
    const response = await this.send(method, path, { body: options.body, retries, waitMs: options.waitMs, signal: options.signal, headers: options.headers });
    let parsed: unknown;
    try {
      parsed = JSON.parse(response.text);
    } catch {
      parsed = undefined;
    }
    if (response.status >= 200 && response.status < 300 && parsed !== undefined && parsed !== null && typeof parsed === 'object') {
      return { body: parsed as T, headers: response.headers };
    }
    throw this.errorFrom(response.status, parsed, response.headers);
  }

  private errorFrom(status: number, body: unknown, headers: Dispatcher.ResponseData['headers']): EesError {
    const fields = (body ?? {}) as { error?: unknown; message?: unknown; stream_id?: unknown };
    const message = typeof fields.message === 'string' ? fields.message : `HTTP ${status}`;
    const streamId = typeof fields.stream_id === 'string' ? fields.stream_id : undefined;
    const details = body !== null && typeof body === 'object' ? (body as Record<string, unknown>) : undefined;
    const tokenHint =
      this.options.sign !== undefined
        ? ' Check the AWS credentials and their permissions.'
        : this.options.token === undefined
          ? ' It needs a token: pass --token or set EES_TOKEN.'
          : ' The token given (--token or EES_TOKEN) is not the one it expects.';
    if (status === 401 || fields.error === 'UNAUTHORIZED') {
      return new EesError('UNAUTHORIZED', `${this.shown} refused the request (401).${tokenHint}`, { details: { ...details, error: 'UNAUTHORIZED', message } });
    }
    if (status === 403 || fields.error === 'FORBIDDEN') {
      return new EesError('FORBIDDEN', `${this.shown} refused access (403): ${message}.${this.options.sign !== undefined ? tokenHint : ''}`, { details });
    }
    if (isErrorCode(fields.error)) return new EesError(fields.error, typeof fields.message === 'string' ? fields.message : `The server answered HTTP ${status}.`, { streamId, details });
    // No ees error body: a wrong URL, a proxy's page, another kind of server.
    const contentType = String(headers['content-type'] ?? 'no content type').split(';')[0];
    if (status >= 500 && status !== 501) {
      return new EesError('INTERNAL_ERROR', `${this.shown} answered HTTP ${status} (${contentType}) without an ees error body.`, { details });
    }
    return new EesError('NOT_AN_EES_SERVER', `${this.shown} answered HTTP ${status} (${contentType}), not as an ees API: is it the right endpoint?`, { details });
  }

  async version(): Promise<VersionInfo> {
    const started = performance.now();
    const { body, headers } = await this.call<{ version?: unknown }>('GET', '/version', { retry: false });
    if (typeof body.version !== 'string') {
      throw new EesError('NOT_AN_EES_SERVER', `${this.shown}/version answered without an API version: is it an ees endpoint?`);
    }
    const server = headers['server'];
    return { version: body.version, server: Array.isArray(server) ? server[0] : server, roundTripMs: performance.now() - started };
  }

  /**
   * Commits once. With `commitId` (sent as Idempotency-Key) a retry of a commit that was stored is
   * answered with its changeset and `replayed: true` (see commitWithRetries).
   */
  async commit(streamId: string, changeset: ChangesetBody, expectation: ExpectationParam, options: { commitId?: string | undefined } = {}): Promise<CommitResult> {
    const query = 'event' in expectation ? `expected_last_event=${expectation.event}` : `expected_last_changeset=${expectation.changeset}`;
    const { body, headers } = await this.call<CommitResult>('POST', `/streams/${encodeURIComponent(streamId)}?${query}`, {
      body: JSON.stringify(changeset),
      retry: false,
      ...(options.commitId === undefined ? {} : { headers: { 'idempotency-key': options.commitId } }),
    });
    return headers['idempotent-replayed'] === 'true' ? { ...body, replayed: true } : body;
  }

  /** One stream's head (GET /streams/{id}/head); STREAM_NOT_FOUND without changesets. */
  async streamHead(streamId: string): Promise<StreamHeadInfo> {
    return (await this.call<StreamHeadInfo>('GET', `/streams/${encodeURIComponent(streamId)}/head`, { retry: true })).body;
  }

  /** One page of the streams whose ids start with `prefix`, in the order of their UTF-8 bytes. */
  async listStreams(prefix: string, options: { after?: string | undefined; limit?: number | undefined } = {}): Promise<StreamListPage> {
    const query = new URLSearchParams({ prefix });
    if (options.after !== undefined) query.set('after', options.after);
    if (options.limit !== undefined) query.set('limit', String(options.limit));
    return (await this.call<StreamListPage>('GET', `/stream-heads?${query.toString()}`, { retry: true })).body;
  }

  /** The first checkpoint committed at or after `since` (ISO 8601). */
  async checkpointAt(since: string): Promise<number> {
    return (await this.call<GlobalPage>('GET', `/changesets?since=${encodeURIComponent(since)}&limit=1`, { retry: true })).body.checkpoint;
  }

  /** Every changeset (or event) of a range, following `next_from` across pages. */
  readStream(streamId: string, kind: 'changesets', range?: { from?: number; to?: number }): AsyncGenerator<StreamChangeset[]>;
  readStream(streamId: string, kind: 'events', range?: { from?: number; to?: number }): AsyncGenerator<StreamEvent[]>;
  async *readStream(streamId: string, kind: 'changesets' | 'events', range: { from?: number; to?: number } = {}): AsyncGenerator<(StreamChangeset | StreamEvent)[]> {
    let from = range.from;
    for (;;) {
      const query = new URLSearchParams();
      if (from !== undefined) query.set('from', String(from));
      if (range.to !== undefined) query.set('to', String(range.to));
      const { body } = await this.call<{ changesets?: StreamChangeset[]; events?: StreamEvent[]; next_from?: number }>(
        'GET',
        `/streams/${encodeURIComponent(streamId)}/${kind}?${query.toString()}`,
        { retry: true },
      );
      yield (kind === 'changesets' ? body.changesets : body.events) ?? [];
      if (body.next_from === undefined) return;
      from = body.next_from;
    }
  }

  async readGlobal(checkpoint: number, limit: number, waitSeconds = 0, signal?: AbortSignal, filter: GlobalFilterParams = {}): Promise<GlobalPage> {
    const filters = new URLSearchParams();
    if (filter.streamPrefix !== undefined) filters.set('stream_prefix', filter.streamPrefix);
    for (const type of filter.types ?? []) filters.append('type', type);
    const filtered = filters.size === 0 ? '' : `&${filters.toString()}`;
    const { body } = await this.call<GlobalPage>('GET', `/changesets?checkpoint=${checkpoint}&limit=${limit}&wait=${waitSeconds}${filtered}`, {
      retry: true,
      waitMs: waitSeconds * 1000,
      signal,
    });
    return body;
  }

  async statistics(): Promise<Statistics> {
    return (await this.call<Statistics>('GET', '/streams', { retry: true })).body;
  }

  /** How far the global order trails the commits and the statistics the global order (`GET /lag`). */
  async lag(): Promise<IndexingLag> {
    return (await this.call<IndexingLag>('GET', '/lag', { retry: true })).body;
  }

  /** The next checkpoint of the global order: from the statistics' position, walked to the end. */
  async headCheckpoint(): Promise<number> {
    let checkpoint = (await this.statistics()).statistics_version;
    for (;;) {
      const page = await this.readGlobal(checkpoint, 1000);
      if (page.changesets.length === 0) return checkpoint;
      checkpoint = page.next_checkpoint;
    }
  }

  async readConsumer(name: string): Promise<ConsumerInfo> {
    return (await this.call<ConsumerInfo>('GET', `/consumers/${encodeURIComponent(name)}`, { retry: true })).body;
  }

  async listConsumers(): Promise<{ head: number; consumers: ConsumerInfo[] }> {
    return (await this.call<{ head: number; consumers: ConsumerInfo[] }>('GET', '/consumers', { retry: true })).body;
  }

  /**
   * Moves a consumer to `position` if it is still at `expected` (undefined: if it does not exist
   * yet). Never retried: a lost answer is settled by reading the consumer.
   */
  async advanceConsumer(name: string, position: number, expected: number | undefined): Promise<ConsumerInfo> {
    const expectation = expected === undefined ? '' : `&expected_position=${expected}`;
    return (await this.call<ConsumerInfo>('POST', `/consumers/${encodeURIComponent(name)}?position=${position}${expectation}`, { retry: false })).body;
  }

  async resetConsumer(name: string, position: number): Promise<ConsumerInfo> {
    return (await this.call<ConsumerInfo>('PUT', `/consumers/${encodeURIComponent(name)}?position=${position}`, { retry: false })).body;
  }

  async deleteConsumer(name: string): Promise<void> {
    await this.call('DELETE', `/consumers/${encodeURIComponent(name)}`, { retry: false });
  }
}
