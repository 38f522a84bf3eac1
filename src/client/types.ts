import type { EesError } from '../core/errors.js';

/** The application-facing shape of an event store: what `connect()` and `openEmbeddedStore()` both return. */

/**
 * What the writer last saw of the stream; concurrency control is mandatory. `'new-stream'`: the
 * stream must not exist; `{ changeset: N }`: its last changeset is N; `{ event: N }`: its last event is N.
 */
export type Expect = 'new-stream' | { readonly changeset: number } | { readonly event: number };

export interface AppendOptions {
  readonly expect: Expect;
  /** The changeset's metadata (a JSON object), stored as `{}` when absent. */
  readonly metadata?: Record<string, unknown> | undefined;
  readonly signal?: AbortSignal | undefined;
  /**
   * The commit id sent as the API's Idempotency-Key (a new UUID by default). A commit whose answer
   * was lost (a timeout, a dropped connection) is retried with it, and the server answers a retry of
   * a stored commit with the original changeset, so a flaky network makes neither a duplicate nor a
   * spurious conflict. Reuse the id of an OutcomeUnknownError's commit to settle it safely.
   */
  readonly commitId?: string | undefined;
  /** Attempts in all while the outcome is unknown (default 4); 1 never retries. */
  readonly attempts?: number | undefined;
  /** Told before each retry of a commit whose answer was lost. */
  readonly onRetry?: ((notice: { readonly error: Error; readonly attempt: number; readonly retryInMs: number }) => void) | undefined;
}

export interface AppendResult {
  readonly streamId: string;
  readonly changesetId: number;
  /**
   * The changeset's event ids, when the client can know them: with an `{ event }` or `'new-stream'`
   * expectation, or when the server reports them.
   */
  readonly eventIds?: { readonly first: number; readonly last: number } | undefined;
  /** The commit id it was stored under (Idempotency-Key). */
  readonly commitId: string;
  /** True when an earlier attempt had stored it and the server answered the retry with it. */
  readonly replayed: boolean;
}

/** A changeset of a stream. */
export interface Changeset<E = unknown> {
  readonly streamId: string;
  readonly changesetId: number;
  readonly events: E[];
  readonly metadata: Record<string, unknown>;
  /** When it was committed (ISO 8601), on servers that send it. */
  readonly committedAt?: string | undefined;
}

/** A changeset of the global order: its checkpoint, and its first event id when known. */
export interface GlobalChangeset<E = unknown> extends Changeset<E> {
  readonly checkpoint: number;
  /** The id of its first event in its stream: sent by servers that have it, else computed when `eventIds: true` was asked. */
  readonly firstEventId?: number | undefined;
}

/** One event of a stream, with its id (1, 2, … across the stream's changesets). */
export interface RecordedEvent<E = unknown> {
  readonly streamId: string;
  readonly eventId: number;
  readonly data: E;
}

export interface ReadStreamOptions {
  /** What `from` and `to` count: changeset ids (the default) or event ids. */
  readonly by?: 'changeset' | 'event' | undefined;
  /** Inclusive bounds; absent: the stream's start or end. */
  readonly from?: number | undefined;
  readonly to?: number | undefined;
  readonly signal?: AbortSignal | undefined;
}

export interface ReadAllOptions {
  /** The checkpoint to start from (default 0). */
  readonly from?: number | undefined;
  /** Changesets per request (1 to 1,000; default 100). */
  readonly pageSize?: number | undefined;
  /** Give every changeset its `firstEventId`, reading a stream's earlier changesets when the server does not send it. */
  readonly eventIds?: boolean | undefined;
  /** Only changesets of streams whose ids start with this (a category such as `account-`). */
  readonly streamPrefix?: string | undefined;
  /** Only changesets with an event of one of these types (an event's `type` field). */
  readonly types?: readonly string[] | undefined;
  readonly signal?: AbortSignal | undefined;
}

export interface ReconnectNotice {
  readonly error: EesError;
  /** The checkpoint the subscription resumes from. */
  readonly checkpoint: number;
  readonly failingForMs: number;
  readonly retryInMs: number;
}

export interface SubscribeOptions extends Omit<ReadAllOptions, 'from'> {
  /**
   * Where to start: a checkpoint, or `'head'` for only what is committed from now on. Default 0;
   * with `consumer`, the consumer's stored position wins, and `from` places a consumer that does not exist yet.
   */
  readonly from?: number | 'head' | undefined;
  /**
   * A server-side consumer: the subscription resumes from its stored position and advances it
   * (compare-and-set) once every changeset of a page has been taken, so delivery is at least once.
   */
  readonly consumer?: string | undefined;
  /** Give up once the store has been unreachable for this long (default: never). */
  readonly maxWaitMs?: number | undefined;
  readonly onReconnecting?: ((notice: ReconnectNotice) => void) | undefined;
  readonly onReconnected?: (() => void) | undefined;
}

export interface StreamHeadInfo {
  readonly streamId: string;
  readonly lastChangesetId: number;
  readonly lastEventId: number;
  /** When its last changeset was committed (ISO 8601, UTC), where the server says. */
  readonly committedAt?: string | undefined;
}

/** An event store, reached over HTTP (`connect`) or in-process (`openEmbeddedStore`). */
export interface EventStoreClient<E = unknown> {
  /** Commits `events` as one changeset if the stream is where `expect` says; a ConflictError otherwise. Never retried. */
  append<T extends E = E>(streamId: string, events: readonly T[], options: AppendOptions): Promise<AppendResult>;
  /** A stream's changesets (or, `by: 'event'`, its events), following the API's paging. */
  readStream<T extends E = E>(streamId: string, options?: ReadStreamOptions & { readonly by?: 'changeset' | undefined }): AsyncIterable<Changeset<T>>;
  readStream<T extends E = E>(streamId: string, options: ReadStreamOptions & { readonly by: 'event' }): AsyncIterable<RecordedEvent<T>>;
  /** Where a stream ends, or undefined when it does not exist. */
  head(streamId: string, options?: { readonly signal?: AbortSignal | undefined }): Promise<StreamHeadInfo | undefined>;
  /** The global order from `from` up to the current head. */
  readAll<T extends E = E>(options?: ReadAllOptions): AsyncIterable<GlobalChangeset<T>>;
  /**
   * The global order, then every changeset committed after, until `signal` aborts: long polls, and
   * reconnects with backoff, resuming after the last changeset it yielded (never skips or repeats).
   */
  subscribe<T extends E = E>(options?: SubscribeOptions): AsyncIterable<GlobalChangeset<T>>;
  /** The next checkpoint of the global order. */
  headCheckpoint(options?: { readonly signal?: AbortSignal | undefined }): Promise<number>;
  /** The checkpoint of the first changeset committed at or after `time` (the head when none is). */
  checkpointAt(time: Date | string, options?: { readonly signal?: AbortSignal | undefined }): Promise<number>;
  /** The streams whose ids start with `prefix` (all without), with their heads, in the order of their ids' UTF-8 bytes. */
  listStreams(options?: { readonly prefix?: string | undefined; readonly signal?: AbortSignal | undefined }): AsyncIterable<StreamHeadInfo>;
  close(): Promise<void>;
}
