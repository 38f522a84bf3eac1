import { Agent, errors as undiciErrors, request, type Dispatcher } from 'undici';
import { EesError, isErrorCode } from '../core/errors.js';
import type { Statistics } from '../core/types.js';
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
  readonly requestTimeoutMs?: number;
}

export interface ChangesetBody {
  readonly events: readonly unknown[];
  readonly metadata?: Record<string, unknown>;
}

export type ExpectationParam = { readonly changeset: number } | { readonly event: number };

export interface StreamChangeset {
  readonly changeset_id: number;
  readonly events: unknown[];
  readonly metadata: Record<string, unknown>;
}

export interface StreamEvent {
  readonly id: number;
  readonly data: unknown;
}

export interface GlobalChangeset extends StreamChangeset {
  readonly stream_id: string;
  readonly checkpoint: number;
}

export interface GlobalPage {
  readonly checkpoint: number;
  readonly limit: number;
  readonly changesets: GlobalChangeset[];
  readonly next_checkpoint: number;
}

export type { Statistics };

export interface CommitResult {
  readonly stream_id: string;
  readonly changeset_id: number;
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

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

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
    this.agent = new Agent({ keepAliveTimeout: 4_000, connect: { timeout: 5_000 } });
  }

  async close(): Promise<void> {
    await this.agent.close();
  }

  private async send(
    method: HttpMethod,
    path: string,
    options: { body?: string; retries: number; timeoutMs?: number; signal?: AbortSignal },
  ): Promise<{ status: number; headers: Dispatcher.ResponseData['headers']; text: string }> {
    const url = new URL(`${this.endpoint}${path}`);
    const headers: Record<string, string> = { accept: 'application/json' };
    if (options.body !== undefined) headers['content-type'] = 'application/json';
    if (this.options.token !== undefined) headers['authorization'] = `Bearer ${this.options.token}`;
    if (this.options.sign !== undefined) Object.assign(headers, await this.options.sign({ method, url, headers, body: options.body ?? '' }));
    const timeout = options.timeoutMs ?? this.options.requestTimeoutMs ?? 30_000;
    for (let attempt = 0; ; attempt++) {
      let outcome: { status: number; headers: Dispatcher.ResponseData['headers']; text: string } | undefined;
      let failure: unknown;
      try {
        const response = await request(url, {
          method,
          headers,
          body: options.body,
          dispatcher: this.agent,
          headersTimeout: timeout,
          bodyTimeout: timeout,
          signal: options.signal,
        });
        outcome = { status: response.statusCode, headers: response.headers, text: await response.body.text() };
      } catch (error) {
        if (options.signal?.aborted) throw error;
        failure = error;
      }
      const retryable = outcome === undefined ? describeConnectionError(failure) !== undefined : outcome.status >= 500;
      if (retryable && attempt < options.retries) {
        await sleep((this.options.retryBaseMs ?? 200) * 3 ** attempt);
        continue;
      }
      if (outcome !== undefined) return outcome;
      const reason = describeConnectionError(failure);
      if (reason !== undefined) {
        throw new EesError('ENDPOINT_UNREACHABLE', `Cannot reach ${this.shown}: ${reason}.`, { cause: failure });
      }
      throw failure;
    }
  }

  private async call<T>(
    method: HttpMethod,
    path: string,
    options: { body?: string; retry: boolean; timeoutMs?: number; signal?: AbortSignal },
  ): Promise<{ body: T; headers: Dispatcher.ResponseData['headers'] }> {
    const retries = options.retry ? (this.options.readRetries ?? 3) : 0;
    const response = await this.send(method, path, { body: options.body, retries, timeoutMs: options.timeoutMs, signal: options.signal });
    let parsed: unknown;
    try {
      parsed = JSON.parse(response.text);
    } catch {
      parsed = undefined;
    }
    if (response.status >= 200 && response.status < 300 && parsed !== undefined) return { body: parsed as T, headers: response.headers };
    throw this.errorFrom(response.status, parsed);
  }

  private errorFrom(status: number, body: unknown): EesError {
    const fields = (body ?? {}) as { error?: unknown; message?: unknown; stream_id?: unknown };
    const message = typeof fields.message === 'string' ? fields.message : `The server answered HTTP ${status}.`;
    const streamId = typeof fields.stream_id === 'string' ? fields.stream_id : undefined;
    const details = body !== null && typeof body === 'object' ? (body as Record<string, unknown>) : undefined;
    if (isErrorCode(fields.error)) return new EesError(fields.error, message, { streamId, details });
    // API Gateway and proxies answer auth failures without an ees error code.
    if (status === 401) return new EesError('UNAUTHORIZED', `${this.shown} refused the credentials: ${message}`, { details });
    if (status === 403) return new EesError('FORBIDDEN', `${this.shown} refused access: ${message}`, { details });
    return new EesError('INTERNAL_ERROR', `${this.shown} answered HTTP ${status}: ${message}`, { streamId, details });
  }

  async version(): Promise<VersionInfo> {
    const started = performance.now();
    const { body, headers } = await this.call<{ version: string }>('GET', '/version', { retry: false, timeoutMs: 10_000 });
    const server = headers['server'];
    return { version: body.version, server: Array.isArray(server) ? server[0] : server, roundTripMs: performance.now() - started };
  }

  async commit(streamId: string, changeset: ChangesetBody, expectation: ExpectationParam): Promise<CommitResult> {
    const query = 'event' in expectation ? `expected_last_event=${expectation.event}` : `expected_last_changeset=${expectation.changeset}`;
    const { body } = await this.call<CommitResult>('POST', `/streams/${encodeURIComponent(streamId)}?${query}`, {
      body: JSON.stringify(changeset),
      retry: false,
    });
    return body;
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
        `/streams/${encodeURIComponent(streamId)}/${kind}?${query}`,
        { retry: true },
      );
      yield (kind === 'changesets' ? body.changesets : body.events) ?? [];
      if (body.next_from === undefined) return;
      from = body.next_from;
    }
  }

  async readGlobal(checkpoint: number, limit: number, waitSeconds = 0, signal?: AbortSignal): Promise<GlobalPage> {
    const { body } = await this.call<GlobalPage>('GET', `/changesets?checkpoint=${checkpoint}&limit=${limit}&wait=${waitSeconds}`, {
      retry: true,
      timeoutMs: 30_000 + waitSeconds * 1000,
      signal,
    });
    return body;
  }

  async statistics(): Promise<Statistics> {
    return (await this.call<Statistics>('GET', '/streams', { retry: true })).body;
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
