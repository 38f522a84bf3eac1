import { changesetTooLarge, parseChangesetBody, requireJsonContent } from '../core/changeset.js';
import { EesError } from '../core/errors.js';
import { expectationAheadError, expectationBehindMessage } from '../core/expectations.js';
import { LIMITS } from '../core/limits.js';
import {
  forthcomingChangesets,
  globalBudget,
  pageOfChangesets,
  pageOfEvents,
  pageOfGlobalOrder,
  STREAM_CHANGESETS_BUDGET,
  STREAM_EVENTS_BUDGET,
  FORTHCOMING_BUDGET,
} from '../core/pages.js';
import { FILTER_EXAMINE_MAX, parseGlobalFilter, parseSince, type FilteredBatch, type GlobalFilter } from '../core/global-filter.js';
import { commitIdReusedError, IDEMPOTENCY_KEY_HEADER, parseCommitId, REPLAYED_HEADER } from '../core/idempotency.js';
import { decodeStreamId, parseDecimal, parseExpectation, parseGlobalReadParams, parseIdRange, singleParam, validateStreamId } from '../core/params.js';
import type { EventStoreEngine } from '../engines/port.js';
import { routeConsumers } from './consumers.js';
import { apiResponses } from './responses.js';
import {
  renderConflict,
  renderGlobalPage,
  renderStatistics,
  renderStreamChangesets,
  renderStreamEvents,
  renderStreamHead,
  renderStreamList,
} from './render.js';
import type { ApiRequest, ApiResponse, ServedApiHandler } from './types.js';

/** The version of the HTTP contract, which stays 0.0.1 while it is compatible with the original. */
export const CONTRACT_VERSION = '0.0.1';

export interface ApiHandlerOptions {
  readonly engine: EventStoreEngine;
  /** The server's own version, sent in the `Server` header. */
  readonly serverVersion: string;
  /** Called after every successful commit (the dev server projects statistics from it). */
  readonly onCommitted?: () => void;
  /** Where unexpected faults are logged. */
  readonly logError?: (error: unknown, request: ApiRequest) => void;
}

type Route =
  | { readonly name: 'version' | 'global' | 'statistics' | 'lag' | 'streamList' }
  | { readonly name: 'commit' | 'changesets' | 'events' | 'head'; readonly streamSegment: string };

const ALLOWED_METHOD: Record<Route['name'], 'GET' | 'POST'> = {
  version: 'GET',
  global: 'GET',
  statistics: 'GET',
  lag: 'GET',
  streamList: 'GET',
  commit: 'POST',
  changesets: 'GET',
  events: 'GET',
  head: 'GET',
};

/** Streams listed per page: each costs the DynamoDB engine a query for its head. */
export const STREAM_LIST_MAX_LIMIT = 100;

function route(path: string): Route | undefined {
  const segments = path.split('/');
  if (segments[0] !== '') return undefined;
  const [, first, second, third, ...rest] = segments;
  if (rest.length > 0) return undefined;
  if (second === undefined) {
    if (first === 'version') return { name: 'version' };
    if (first === 'changesets') return { name: 'global' };
    if (first === 'streams') return { name: 'statistics' };
    if (first === 'lag') return { name: 'lag' };
    if (first === 'stream-heads') return { name: 'streamList' };
    return undefined;
  }
  if (first !== 'streams') return undefined;
  if (third === undefined) return { name: 'commit', streamSegment: second };
  if (third === 'changesets' || third === 'events' || third === 'head') return { name: third, streamSegment: second };
  return undefined;
}

/** The whole HTTP API as one function from request to response. */
export function createApiHandler(options: ApiHandlerOptions): ServedApiHandler {
  const { engine } = options;
  const responses = apiResponses(options.serverVersion);
  const { respond } = responses;
  const fail = responses.error;

  async function commit(request: ApiRequest, streamSegment: string): Promise<ApiResponse> {
    const streamId = decodeStreamId(streamSegment);
    const query = new URLSearchParams(request.query);
    const expectation = parseExpectation(
      streamId,
      singleParam(query, 'expected_last_changeset', 'INVALID_EXPECTED_CHANGESET_ID', streamId),
      singleParam(query, 'expected_last_event', 'INVALID_EXPECTED_EVENT_ID', streamId),
    );
    const commitId = parseCommitId(streamId, request.headers[IDEMPOTENCY_KEY_HEADER]);
    requireJsonContent(streamId, request.headers['content-type']);
    const body = await request.readBody(LIMITS.requestBodyMaxBytes);
    if (body === null) return fail(changesetTooLarge(streamId), { connection: 'close' });
    const parsed = parseChangesetBody(streamId, expectation, body);
    const changeset = commitId === undefined ? parsed : { ...parsed, commitId };
    const outcome = await engine.commit(changeset);
    switch (outcome.status) {
      case 'committed':
        options.onCommitted?.();
        return respond(200, `{"stream_id":${JSON.stringify(streamId)},"changeset_id":${outcome.changesetId}}`);
      case 'replayed':
        return respond(200, `{"stream_id":${JSON.stringify(streamId)},"changeset_id":${outcome.changesetId}}`, { [REPLAYED_HEADER]: 'true' });
      case 'commit_id_reused':
        throw commitIdReusedError(streamId, outcome.changesetId);
      case 'ahead':
        throw expectationAheadError(streamId, expectation, outcome.head);
      case 'behind': {
        const read = await engine.readStream(streamId, expectation.kind, { from: expectation.value + 1, to: Number.POSITIVE_INFINITY }, FORTHCOMING_BUDGET);
        return respond(409, renderConflict(streamId, expectationBehindMessage(expectation), forthcomingChangesets(read)));
      }
    }
  }

  async function readStream(request: ApiRequest, streamSegment: string, by: 'changeset' | 'event'): Promise<ApiResponse> {
    const streamId = decodeStreamId(streamSegment);
    const query = new URLSearchParams(request.query);
    const code = by === 'changeset' ? 'INVALID_CHANGESET_FILTERING_PARAMS' : 'INVALID_EVENT_FILTERING_PARAMS';
    const range = parseIdRange(streamId, singleParam(query, 'from', code, streamId), singleParam(query, 'to', code, streamId), code);
    const read = await engine.readStream(streamId, by, range, by === 'changeset' ? STREAM_CHANGESETS_BUDGET : STREAM_EVENTS_BUDGET);
    if (read.head.lastChangesetId === 0) {
      throw new EesError('STREAM_NOT_FOUND', `The specified stream(${streamId}) doesn't exist`, { streamId });
    }
    return by === 'changeset'
      ? respond(200, renderStreamChangesets(streamId, pageOfChangesets(read, STREAM_CHANGESETS_BUDGET)))
      : respond(200, renderStreamEvents(streamId, pageOfEvents(read, range, STREAM_EVENTS_BUDGET)));
  }

  /**
   * A filtered page. A long poll waits only at the head: it answers once something matches, its
   * time is up, or it has examined FILTER_EXAMINE_MAX checkpoints in all (then with an empty page
   * that still advances), so commits that do not match never end it.
   */
  async function readFiltered(checkpoint: number, limit: number, waitMs: number, filter: GlobalFilter, signal: AbortSignal | undefined): Promise<FilteredBatch> {
    const budget = globalBudget(limit);
    let batch = await engine.readGlobalFiltered(checkpoint, filter, budget);
    const deadline = Date.now() + waitMs;
    const over = (): boolean => Date.now() >= deadline || signal?.aborted === true;
    while (batch.records.length === 0 && batch.nextCheckpoint - checkpoint < FILTER_EXAMINE_MAX && !over()) {
      await engine.waitForCheckpoint(batch.nextCheckpoint, deadline - Date.now(), signal);
      const next = await engine.readGlobalFiltered(batch.nextCheckpoint, filter, budget);
      // Nothing new to examine after the wait: its time is up, or the engine is closing.
      if (next.records.length === 0 && next.nextCheckpoint === batch.nextCheckpoint) break;
      batch = next;
    }
    return batch;
  }

  async function readGlobal(request: ApiRequest): Promise<ApiResponse> {
    const query = new URLSearchParams(request.query);
    const rawSince = singleParam(query, 'since', 'INVALID_SINCE');
    const rawCheckpoint = singleParam(query, 'checkpoint', 'INVALID_CHECKPOINT');
    if (rawSince !== undefined && rawSince !== '' && rawCheckpoint !== undefined && rawCheckpoint !== '') {
      throw new EesError('INVALID_SINCE', 'Give either "checkpoint" or "since", not both.');
    }
    const since = rawSince === undefined || rawSince === '' ? undefined : parseSince(rawSince);
    const filter = parseGlobalFilter(query);
    const asked = parseGlobalReadParams(rawCheckpoint, singleParam(query, 'limit', 'INVALID_LIMIT'), singleParam(query, 'wait', 'INVALID_WAIT'));
    const params = since === undefined ? asked : { ...asked, checkpoint: await engine.checkpointAtTime(since) };
    if (filter !== undefined) {
      const batch = await readFiltered(params.checkpoint, params.limit, params.waitMs, filter, request.signal);
      return respond(200, renderGlobalPage(params.checkpoint, params.limit, { changesets: batch.records, nextCheckpoint: batch.nextCheckpoint }));
    }
    const budget = globalBudget(params.limit);
    let page = pageOfGlobalOrder(await engine.readGlobal(params.checkpoint, budget), params.checkpoint, params.limit);
    if (page.changesets.length === 0 && params.waitMs > 0) {
      await engine.waitForCheckpoint(params.checkpoint, params.waitMs, request.signal);
      page = pageOfGlobalOrder(await engine.readGlobal(params.checkpoint, budget), params.checkpoint, params.limit);
    }
    return respond(200, renderGlobalPage(params.checkpoint, params.limit, page));
  }

  async function readHead(streamSegment: string): Promise<ApiResponse> {
    const streamId = decodeStreamId(streamSegment);
    const summary = await engine.readStreamSummary(streamId);
    if (summary === undefined) throw new EesError('STREAM_NOT_FOUND', `The specified stream(${streamId}) doesn't exist`, { streamId });
    return respond(200, renderStreamHead(summary));
  }

  async function listStreams(request: ApiRequest): Promise<ApiResponse> {
    const query = new URLSearchParams(request.query);
    const prefix = singleParam(query, 'prefix', 'INVALID_STREAM_PREFIX') ?? '';
    if (prefix !== '') {
      try {
        validateStreamId(prefix);
      } catch {
        throw new EesError('INVALID_STREAM_PREFIX', 'The stream prefix must be 1 to 512 UTF-8 bytes, without control characters or "/".');
      }
    }
    const rawAfter = singleParam(query, 'after', 'INVALID_STREAM_LISTING_PARAMS');
    const after = rawAfter === undefined || rawAfter === '' ? undefined : rawAfter;
    if (after !== undefined) {
      try {
        validateStreamId(after);
      } catch {
        throw new EesError('INVALID_STREAM_LISTING_PARAMS', '"after" is a stream id: the "next_after" of the previous page.');
      }
    }
    const rawLimit = singleParam(query, 'limit', 'INVALID_STREAM_LISTING_PARAMS');
    const limit = parseDecimal(rawLimit);
    if (Number.isNaN(limit) || limit === 0) {
      throw new EesError('INVALID_STREAM_LISTING_PARAMS', `"${rawLimit}" is an invalid limit value. Expected 1 to ${STREAM_LIST_MAX_LIMIT}.`);
    }
    const listing = await engine.listStreams(prefix, after, Math.min(limit ?? STREAM_LIST_MAX_LIMIT, STREAM_LIST_MAX_LIMIT));
    return respond(200, renderStreamList(prefix, listing.streams, listing.more));
  }

  async function dispatch(request: ApiRequest): Promise<ApiResponse> {
    const consumers = routeConsumers(engine, request);
    if (consumers !== undefined) {
      const answer = await consumers;
      return respond(answer.status, answer.body, answer.headers);
    }
    const matched = route(request.path);
    if (matched === undefined) return fail(new EesError('INVALID_ENDPOINT', 'Invalid endpoint'));
    const allowed = ALLOWED_METHOD[matched.name];
    if (request.method !== allowed) {
      return fail(new EesError('METHOD_NOT_ALLOWED', `The ${request.method} method is not allowed here. Allowed: ${allowed}.`), { allow: allowed });
    }
    switch (matched.name) {
      case 'version':
        return respond(200, `{"version":"${CONTRACT_VERSION}"}`);
      case 'statistics':
        return respond(200, renderStatistics(await engine.readStatistics()));
      case 'lag':
        return respond(200, JSON.stringify(await engine.readLag()));
      case 'global':
        return readGlobal(request);
      case 'commit':
        return commit(request, matched.streamSegment);
      case 'changesets':
        return readStream(request, matched.streamSegment, 'changeset');
      case 'events':
        return readStream(request, matched.streamSegment, 'event');
      case 'head':
        return readHead(matched.streamSegment);
      case 'streamList':
        return listStreams(request);
    }
  }

  const handle = async (request: ApiRequest): Promise<ApiResponse> => {
    try {
      return await dispatch(request);
    } catch (error) {
      if (error instanceof EesError) return fail(error);
      options.logError?.(error, request);
      return fail(new EesError('INTERNAL_ERROR', 'An unexpected error occurred. It was logged on the server.'));
    }
  };
  return Object.assign(handle, { responses });
}
