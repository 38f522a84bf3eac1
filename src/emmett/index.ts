/**
 * `elastic-event-store/emmett`: Emmett's EventStore over the ees client. An Emmett event is stored
 * as one ees event `{type, data, metadata}` (so tail, filters and SNS attributes see its `type`),
 * and an Emmett stream version is the ees event id of the stream's last event.
 */
import { randomUUID } from 'node:crypto';
import {
  assertExpectedVersionMatchesCurrent,
  downcastRecordedMessages,
  ExpectedVersionConflictError,
  NO_CONCURRENCY_CHECK,
  STREAM_DOES_NOT_EXIST,
  STREAM_EXISTS,
  upcastRecordedMessages,
  type AggregateStreamOptions,
  type AggregateStreamResult,
  type AppendToStreamOptions,
  type AppendToStreamResult,
  type Event,
  type EventStore,
  type ExpectedStreamVersion,
  type ReadEvent,
  type ReadEventMetadataWithoutGlobalPosition,
  type ReadStreamOptions,
  type ReadStreamResult,
} from '@event-driven-io/emmett';
import { connect, type ConnectOptions } from '../client/connect.js';
import { isConflict } from '../client/errors.js';
import type { EventStoreClient, Expect } from '../client/types.js';

/** How an Emmett event is kept in ees. */
interface StoredEmmettEvent {
  readonly type: string;
  readonly data: unknown;
  readonly metadata?: Record<string, unknown>;
}

export type EesReadEventMetadata = ReadEventMetadataWithoutGlobalPosition;

export interface EesEventStore extends EventStore<EesReadEventMetadata> {
  /** Whether a stream has at least one event. */
  streamExists(streamName: string): Promise<boolean>;
  /** Closes the client when this store created it (from connect options); a client passed in stays open. */
  close(): Promise<void>;
}

export interface EesEventStoreOptions {
  /** How many times `NO_CONCURRENCY_CHECK` and `STREAM_EXISTS` appends read the head again after losing a race (default 10). */
  readonly conflictRetries?: number | undefined;
}

const DEFAULT_STREAM_VERSION = 0n;

const isClient = (value: EventStoreClient | ConnectOptions): value is EventStoreClient => typeof (value as EventStoreClient).append === 'function';

/**
 * Emmett's EventStore on ees, named like Emmett's own `getPostgreSQLEventStore`. Give it a client
 * (`connect()`, `openEmbeddedStore()`), or connect options to connect on first use.
 */
export function getEesEventStore(clientOrOptions: EventStoreClient | ConnectOptions = {}, options: EesEventStoreOptions = {}): EesEventStore {
  const owned = !isClient(clientOrOptions);
  let opened: Promise<EventStoreClient> | undefined = isClient(clientOrOptions) ? Promise.resolve(clientOrOptions) : undefined;
  const client = (): Promise<EventStoreClient> => (opened ??= connect(clientOrOptions as ConnectOptions));
  const conflictRetries = options.conflictRetries ?? 10;

  const currentVersion = async (streamName: string): Promise<bigint> => {
    const head = await (await client()).head(streamName);
    return head === undefined ? DEFAULT_STREAM_VERSION : BigInt(head.lastEventId);
  };

  async function readStream<EventType extends Event, EventPayloadType extends Event = EventType>(
    streamName: string,
    readOptions?: ReadStreamOptions<bigint, EventType, EventPayloadType>,
  ): Promise<ReadStreamResult<EventType, EesReadEventMetadata>> {
    const store = await client();
    const from = readOptions?.from ?? 1n;
    const to = readOptions?.to ?? (readOptions?.maxCount === undefined ? undefined : from + readOptions.maxCount - 1n);
    const events: ReadEvent<EventPayloadType, EesReadEventMetadata>[] = [];
    let streamExists = true;
    try {
      for await (const recorded of store.readStream<StoredEmmettEvent>(streamName, { by: 'event', from: Number(from), to: to === undefined ? undefined : Number(to) })) {
        const stored = recorded.data;
        events.push({
          type: stored.type,
          data: stored.data,
          kind: 'Event',
          metadata: {
            ...stored.metadata,
            messageId: typeof stored.metadata?.['messageId'] === 'string' ? stored.metadata['messageId'] : `${streamName}/${recorded.eventId}`,
            streamName,
            streamPosition: BigInt(recorded.eventId),
          },
        } as unknown as ReadEvent<EventPayloadType, EesReadEventMetadata>);
      }
    } catch (error) {
      if (!(error instanceof Error && (error as { code?: string }).code === 'STREAM_NOT_FOUND')) throw error;
      streamExists = false;
    }
    // Read to the end, the last event is the stream's version; a bounded read asks for the head.
    const lastRead = events.at(-1)?.metadata.streamPosition;
    const currentStreamVersion = !streamExists ? DEFAULT_STREAM_VERSION : to === undefined && lastRead !== undefined ? lastRead : await currentVersion(streamName);
    assertExpectedVersionMatchesCurrent(currentStreamVersion, readOptions?.expectedStreamVersion, DEFAULT_STREAM_VERSION);
    const upcast = upcastRecordedMessages<EventType, EventPayloadType, EesReadEventMetadata>(events, readOptions?.schema?.versioning);
    return { currentStreamVersion, events: upcast, streamExists: streamExists && currentStreamVersion > 0n };
  }

  /** Appends with the ees expectation `expect`; an ees conflict is Emmett's own ExpectedVersionConflictError. */
  async function appendOnce(streamName: string, events: readonly StoredEmmettEvent[], expect: Expect, expected: ExpectedStreamVersion<bigint>): Promise<AppendToStreamResult<bigint>> {
    const store = await client();
    try {
      const appended = await store.append(streamName, events, { expect });
      // Emmett expectations are always new-stream or an event id here, so the event ids are known.
      return { nextExpectedStreamVersion: BigInt(appended.eventIds!.last), createdNewStream: expect === 'new-stream' };
    } catch (error) {
      if (isConflict(error)) throw new ExpectedVersionConflictError(await currentVersion(streamName), expected);
      throw error;
    }
  }

  async function appendToStream<EventType extends Event, EventPayloadType extends Event = EventType>(
    streamName: string,
    events: EventType[],
    appendOptions?: AppendToStreamOptions<bigint, EventType, EventPayloadType>,
  ): Promise<AppendToStreamResult<bigint>> {
    const downcast = downcastRecordedMessages<EventType, EventPayloadType>(events, appendOptions?.schema?.versioning) as readonly Event[];
    const stored: StoredEmmettEvent[] = downcast.map((event) => ({
      type: event.type,
      data: event.data,
      metadata: { ...('metadata' in event ? (event.metadata as Record<string, unknown> | undefined) : undefined), messageId: randomUUID() },
    }));
    const expected = appendOptions?.expectedStreamVersion ?? NO_CONCURRENCY_CHECK;
    if (expected === STREAM_DOES_NOT_EXIST) return appendOnce(streamName, stored, 'new-stream', expected);
    if (typeof expected === 'bigint') return appendOnce(streamName, stored, expected === 0n ? 'new-stream' : { event: Number(expected) }, expected);
    // STREAM_EXISTS and NO_CONCURRENCY_CHECK: ees always checks, so append after the head as read,
    // and read it again when another writer got there first.
    for (let attempt = 0; ; attempt++) {
      const current = await currentVersion(streamName);
      if (expected === STREAM_EXISTS && current === DEFAULT_STREAM_VERSION) throw new ExpectedVersionConflictError(current, expected);
      try {
        return await appendOnce(streamName, stored, current === DEFAULT_STREAM_VERSION ? 'new-stream' : { event: Number(current) }, expected);
      } catch (error) {
        if (!(error instanceof ExpectedVersionConflictError) || attempt >= conflictRetries) throw error;
      }
    }
  }

  async function aggregateStream<State, EventType extends Event, EventPayloadType extends Event = EventType>(
    streamName: string,
    aggregateOptions: AggregateStreamOptions<State, EventType, EesReadEventMetadata, EventPayloadType>,
  ): Promise<AggregateStreamResult<State, bigint>> {
    const { evolve, initialState, read } = aggregateOptions;
    const result = await readStream<EventType, EventPayloadType>(streamName, read);
    const state = result.events.reduce((current, event) => (evolve as (state: State, event: ReadEvent<EventType, EesReadEventMetadata>) => State)(current, event), initialState());
    return { currentStreamVersion: result.currentStreamVersion, state, streamExists: result.streamExists };
  }

  return {
    readStream,
    appendToStream,
    aggregateStream,
    streamExists: async (streamName) => (await currentVersion(streamName)) > 0n,
    close: async () => {
      if (owned && opened !== undefined) await (await opened).close();
    },
  };
}
