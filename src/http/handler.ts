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
import { decodeStreamId, parseExpectation, parseGlobalReadParams, parseIdRange, singleParam } from '../core/params.js';
import type { EventStoreEngine } from '../engines/port.js';
import { routeConsumers } from './consumers.js';
import { apiResponses } from './responses.js';
import { renderConflict, renderGlobalPage, renderStatistics, renderStreamChangesets, renderStreamEvents } from './render.js';
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
  | { readonly name: 'version' | 'global' | 'statistics' | 'lag' }
  | { readonly name: 'commit' | 'changesets' | 'events'; readonly streamSegment: string };

const ALLOWED_METHOD: Record<Route['name'], 'GET' | 'POST'> = {
  version: 'GET',
  global: 'GET',
  statistics: 'GET',
  lag: 'GET',
  commit: 'POST',
  changesets: 'GET',
  events: 'GET',
};

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
    return undefined;
  }
  if (first !== 'streams') return undefined;
  if (third === undefined) return { name: 'commit', streamSegment: second };
  if (third === 'changesets' || third === 'events') return { name: third, streamSegment: second };
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
    requireJsonContent(streamId, request.headers['content-type']);
    const body = await request.readBody(LIMITS.requestBodyMaxBytes);
    if (body === null) return fail(changesetTooLarge(streamId), { connection: 'close' });
    const changeset = parseChangesetBody(streamId, expectation, body);
    const outcome = await engine.commit(changeset);
    switch (outcome.status) {
      case 'committed':
        options.onCommitted?.();
        return respond(200, `{"stream_id":${JSON.stringify(streamId)},"changeset_id":${outcome.changesetId}}`);
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

  async function readGlobal(request: ApiRequest): Promise<ApiResponse> {
    const query = new URLSearchParams(request.query);
    const params = parseGlobalReadParams(
      singleParam(query, 'checkpoint', 'INVALID_CHECKPOINT'),
      singleParam(query, 'limit', 'INVALID_LIMIT'),
      singleParam(query, 'wait', 'INVALID_WAIT'),
    );
    const budget = globalBudget(params.limit);
    let page = pageOfGlobalOrder(await engine.readGlobal(params.checkpoint, budget), params.checkpoint, params.limit);
    if (page.changesets.length === 0 && params.waitMs > 0) {
      await engine.waitForCheckpoint(params.checkpoint, params.waitMs, request.signal);
      page = pageOfGlobalOrder(await engine.readGlobal(params.checkpoint, budget), params.checkpoint, params.limit);
    }
    return respond(200, renderGlobalPage(params.checkpoint, params.limit, page));
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
