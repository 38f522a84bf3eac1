import { EesError } from '../core/errors.js';
import { validateStreamId } from '../core/params.js';
import { consumerPosition, type SavedPosition } from './consumers.js';
import { ConflictError, InvalidRequestError, typedError } from './errors.js';
import { EventNumbering, tailGlobal } from './follow.js';
import { commitWithRetries } from './idempotent-commit.js';
import type { EesClient, ExpectationParam, GlobalChangeset as WireGlobalChangeset, StreamChangeset } from './http-client.js';
import { readStreamHead } from './stream-head.js';
import type {
  AppendOptions,
  AppendResult,
  Changeset,
  EventStoreClient,
  Expect,
  GlobalChangeset,
  ReadAllOptions,
  ReadStreamOptions,
  RecordedEvent,
  StreamHeadInfo,
  SubscribeOptions,
} from './types.js';

/** A page of the global order, and the checkpoint that follows it. */
export interface GlobalPage<E = unknown> {
  readonly changesets: readonly GlobalChangeset<E>[];
  readonly nextCheckpoint: number;
}

/** The global order as changesets, or page by page (what a batch consumer such as `ees tail --exec` needs). */
export interface ChangesetFeed<E = unknown> extends AsyncIterable<GlobalChangeset<E>> {
  pages(): AsyncIterable<GlobalPage<E>>;
}

const DEFAULT_PAGE_SIZE = 100;

function expectationOf(expect: Expect): ExpectationParam {
  if (expect === 'new-stream') return { changeset: 0 };
  const [kind, value] = 'event' in expect ? (['event', expect.event] as const) : (['changeset', expect.changeset] as const);
  if (!Number.isSafeInteger(value) || value < 0) {
    throw new InvalidRequestError(kind === 'event' ? 'INVALID_EXPECTED_EVENT_ID' : 'INVALID_EXPECTED_CHANGESET_ID', `expect.${kind} must be an integer of 0 or more, not ${String(value)}.`);
  }
  return kind === 'event' ? { event: value } : { changeset: value };
}

function changesetOf<E>(streamId: string, wire: StreamChangeset): Changeset<E> {
  return {
    streamId,
    changesetId: wire.changeset_id,
    events: wire.events as E[],
    metadata: wire.metadata,
    committedAt: wire.committed_at,
  };
}

/** The event ids a commit took, when the expectation (or the server) tells them. */
function eventIdsOf(expect: Expect, count: number, answer: { first_event_id?: unknown; last_event_id?: unknown }): AppendResult['eventIds'] {
  if (typeof answer.first_event_id === 'number' && typeof answer.last_event_id === 'number') return { first: answer.first_event_id, last: answer.last_event_id };
  const before = expect === 'new-stream' ? 0 : 'event' in expect ? expect.event : expect.changeset === 0 ? 0 : undefined;
  return before === undefined ? undefined : { first: before + 1, last: before + count };
}

/** The application's client over the HTTP API (see EventStoreClient); the CLI's commands run on it too. */
export class RemoteEventStore<E = unknown> implements EventStoreClient<E> {
  /** The low-level client: every route of the API, snake_case as on the wire. */
  readonly http: EesClient;
  private readonly onClose: (() => Promise<void>) | undefined;

  constructor(http: EesClient, onClose?: () => Promise<void>) {
    this.http = http;
    this.onClose = onClose;
  }

  async append<T extends E = E>(streamId: string, events: readonly T[], options: AppendOptions): Promise<AppendResult> {
    let expectation: ExpectationParam;
    try {
      validateStreamId(streamId);
      expectation = expectationOf(options.expect);
    } catch (error) {
      throw typedError(error);
    }
    options.signal?.throwIfAborted();
    let answer;
    try {
      // A sent attempt is not aborted (that would only make its outcome unknown); the signal ends the waits between retries.
      answer = await commitWithRetries(this.http, streamId, { events, ...(options.metadata === undefined ? {} : { metadata: options.metadata }) }, expectation, {
        commitId: options.commitId,
        attempts: options.attempts,
        signal: options.signal,
        onRetry: options.onRetry,
      });
    } catch (error) {
      throw this.commitError(error, streamId, options.expect);
    }
    const eventIds = eventIdsOf(options.expect, events.length, answer as { first_event_id?: unknown; last_event_id?: unknown });
    return { streamId, changesetId: answer.changeset_id, eventIds, commitId: answer.commit_id, replayed: answer.replayed === true };
  }

  private commitError(error: unknown, streamId: string, expect: Expect): unknown {
    const typed = typedError(error);
    // The expectation was checked here, so a refused expectation is one the stream has not reached: a conflict too.
    if (typed instanceof EesError && (typed.code === 'OPTIMISTIC_CONCURRENCY_EXCEPTION' || typed.code === 'INVALID_EXPECTED_CHANGESET_ID')) {
      const wire = (typed.details?.['forthcoming_changesets'] ?? []) as StreamChangeset[];
      return new ConflictError(typed, expect, wire.map((changeset) => changesetOf(streamId, changeset)));
    }
    return typed;
  }

  readStream<T extends E = E>(streamId: string, options?: ReadStreamOptions & { readonly by?: 'changeset' | undefined }): AsyncIterable<Changeset<T>>;
  readStream<T extends E = E>(streamId: string, options: ReadStreamOptions & { readonly by: 'event' }): AsyncIterable<RecordedEvent<T>>;
  async *readStream<T extends E = E>(streamId: string, options: ReadStreamOptions = {}): AsyncIterable<Changeset<T> | RecordedEvent<T>> {
    const range = { ...(options.from === undefined ? {} : { from: options.from }), ...(options.to === undefined ? {} : { to: options.to }) };
    try {
      validateStreamId(streamId);
      options.signal?.throwIfAborted();
      if (options.by === 'event') {
        for await (const events of this.http.readStream(streamId, 'events', range)) {
          options.signal?.throwIfAborted();
          for (const event of events) yield { streamId, eventId: event.id, data: event.data as T };
        }
        return;
      }
      for await (const changesets of this.http.readStream(streamId, 'changesets', range)) {
        options.signal?.throwIfAborted();
        for (const changeset of changesets) yield changesetOf<T>(streamId, changeset);
      }
    } catch (error) {
      throw typedError(error);
    }
  }

  async head(streamId: string, options: { readonly signal?: AbortSignal | undefined } = {}): Promise<StreamHeadInfo | undefined> {
    try {
      validateStreamId(streamId);
      options.signal?.throwIfAborted();
      const head = await readStreamHead(this.http, streamId);
      return { streamId, lastChangesetId: head.last_changeset_id, lastEventId: head.last_event_id, committedAt: (head as { committed_at?: string }).committed_at };
    } catch (error) {
      if (error instanceof EesError && error.code === 'STREAM_NOT_FOUND') return undefined;
      throw typedError(error);
    }
  }

  async headCheckpoint(options: { readonly signal?: AbortSignal | undefined } = {}): Promise<number> {
    options.signal?.throwIfAborted();
    try {
      return await this.http.headCheckpoint();
    } catch (error) {
      throw typedError(error);
    }
  }

  async checkpointAt(time: Date | string, options: { readonly signal?: AbortSignal | undefined } = {}): Promise<number> {
    options.signal?.throwIfAborted();
    try {
      return await this.http.checkpointAt(typeof time === 'string' ? time : time.toISOString());
    } catch (error) {
      throw typedError(error);
    }
  }

  async *listStreams(options: { readonly prefix?: string | undefined; readonly signal?: AbortSignal | undefined } = {}): AsyncIterable<StreamHeadInfo> {
    let after: string | undefined;
    try {
      do {
        options.signal?.throwIfAborted();
        const page = await this.http.listStreams(options.prefix ?? '', { after });
        for (const head of page.streams) yield { streamId: head.stream_id, lastChangesetId: head.last_changeset_id, lastEventId: head.last_event_id, committedAt: head.committed_at };
        after = page.next_after;
      } while (after !== undefined);
    } catch (error) {
      throw typedError(error);
    }
  }

  readAll<T extends E = E>(options: ReadAllOptions = {}): ChangesetFeed<T> {
    return this.feed<T>(() => this.globalPages<T>(options.from ?? 0, false, options, undefined));
  }

  subscribe<T extends E = E>(options: SubscribeOptions = {}): ChangesetFeed<T> {
    return this.feed<T>(() => this.subscribedPages<T>(options));
  }

  private async *subscribedPages<T>(options: SubscribeOptions): AsyncGenerator<GlobalPage<T>> {
    let position: SavedPosition | undefined;
    let start: number;
    try {
      position = options.consumer === undefined ? undefined : consumerPosition(this.http, options.consumer);
      const saved = await position?.load();
      start = saved ?? (options.from === 'head' ? await this.http.headCheckpoint() : (options.from ?? 0));
      await position?.begin(start, saved);
    } catch (error) {
      throw typedError(error);
    }
    for await (const page of this.globalPages<T>(start, true, options, options)) {
      yield page;
      // Every changeset of the page was taken (the next page is asked for): the consumer moves past it.
      try {
        await position?.advance(page.nextCheckpoint);
      } catch (error) {
        throw typedError(error);
      }
    }
  }

  private feed<T>(pages: () => AsyncGenerator<GlobalPage<T>>): ChangesetFeed<T> {
    return {
      pages,
      // By hand rather than a generator over the pages: one promise per changeset instead of a chain
      // of generators (a third of subscribe's time at 1,000-changeset pages). The next page, and so
      // a consumer's advance, is asked for only once the last changeset of a page was taken.
      [Symbol.asyncIterator](): AsyncIterator<GlobalChangeset<T>> {
        const source = pages();
        let page: readonly GlobalChangeset<T>[] = [];
        let index = 0;
        return {
          async next(): Promise<IteratorResult<GlobalChangeset<T>>> {
            while (index >= page.length) {
              const fetched = await source.next();
              if (fetched.done === true) return { done: true, value: undefined };
              page = fetched.value.changesets;
              index = 0;
            }
            return { done: false, value: page[index++]! };
          },
          async return(): Promise<IteratorResult<GlobalChangeset<T>>> {
            await source.return(undefined);
            return { done: true, value: undefined };
          },
        };
      },
    };
  }

  /** Pages of the global order from `from`, each changeset with its first event id where known or asked for. */
  private async *globalPages<T>(from: number, follow: boolean, options: Omit<ReadAllOptions, 'from'>, retry: SubscribeOptions | undefined): AsyncGenerator<GlobalPage<T>> {
    const numbering = options.eventIds === true ? new EventNumbering(this.http) : undefined;
    const batches = tailGlobal(this.http, {
      from,
      limit: options.pageSize ?? DEFAULT_PAGE_SIZE,
      follow,
      signal: options.signal,
      filter: { streamPrefix: options.streamPrefix, types: options.types },
      retry: retry === undefined ? undefined : { maxWaitMs: retry.maxWaitMs, onReconnecting: retry.onReconnecting, onReconnected: retry.onReconnected },
    });
    try {
      for await (const batch of batches) {
        const changesets: GlobalChangeset<T>[] = [];
        for (const wire of batch.changesets as readonly WireGlobalChangeset[]) {
          const sent = (wire as { first_event_id?: unknown }).first_event_id;
          const firstEventId = typeof sent === 'number' ? sent : await numbering?.firstEventId(wire);
          changesets.push({
            streamId: wire.stream_id,
            changesetId: wire.changeset_id,
            events: wire.events as T[],
            metadata: wire.metadata,
            committedAt: wire.committed_at,
            checkpoint: wire.checkpoint,
            firstEventId,
          });
        }
        yield { changesets, nextCheckpoint: batch.nextCheckpoint ?? from };
      }
    } catch (error) {
      throw typedError(error);
    }
  }

  async close(): Promise<void> {
    await this.http.close();
    await this.onClose?.();
  }
}
