import {
  checkAdvance,
  checkWithinHead,
  consumerNameOf,
  consumerNotFound,
  parsePosition,
  positionConflict,
  requirePosition,
  tooManyConsumers,
  type ConsumerExpectation,
} from '../core/consumers.js';
import { EesError } from '../core/errors.js';
import type { EventStoreEngine } from '../engines/port.js';
import { renderError } from './render.js';
import type { ApiRequest } from './types.js';

/** A consumers route's answer; the handler adds the common headers. */
export interface ConsumersResponse {
  readonly status: number;
  readonly body: string;
  readonly headers?: Record<string, string>;
}

const quote = JSON.stringify;

const consumerBody = (name: string, position: number, head: number): string =>
  `{"name":${quote(name)},"position":${position},"lag":${Math.max(0, head - position)}}`;

/**
 * The consumers routes: `GET /consumers` (all, with their lag behind the head), and on
 * `/consumers/{name}`: GET (one), POST (advance, compare-and-set on `expected_position`), PUT (reset)
 * and DELETE. Undefined for any other path, which the handler routes itself.
 */
export function routeConsumers(engine: EventStoreEngine, request: ApiRequest): Promise<ConsumersResponse> | undefined {
  const segments = request.path.split('/');
  if (segments[1] !== 'consumers' || segments[0] !== '' || segments.length > 3) return undefined;
  const segment = segments[2];
  if (segment === undefined) {
    return request.method === 'GET' ? listConsumers(engine) : Promise.resolve(methodNotAllowed(request.method, 'GET'));
  }
  const query = new URLSearchParams(request.query);
  switch (request.method) {
    case 'GET':
      return readConsumer(engine, consumerNameOf(segment));
    case 'POST':
      return advanceConsumer(engine, consumerNameOf(segment), query);
    case 'PUT':
      return resetConsumer(engine, consumerNameOf(segment), query);
    case 'DELETE':
      return deleteConsumer(engine, consumerNameOf(segment));
    default:
      return Promise.resolve(methodNotAllowed(request.method, 'GET, POST, PUT, DELETE'));
  }
}

function methodNotAllowed(method: string, allowed: string): ConsumersResponse {
  const error = new EesError('METHOD_NOT_ALLOWED', `The ${method} method is not allowed here. Allowed: ${allowed}.`);
  return { status: error.status, body: renderError(error), headers: { allow: allowed } };
}

async function listConsumers(engine: EventStoreEngine): Promise<ConsumersResponse> {
  const [head, consumers] = await Promise.all([engine.readHead(), engine.listConsumers()]);
  return { status: 200, body: `{"head":${head},"consumers":[${consumers.map((consumer) => consumerBody(consumer.name, consumer.position, head)).join(',')}]}` };
}

async function readConsumer(engine: EventStoreEngine, name: string): Promise<ConsumersResponse> {
  const [head, position] = await Promise.all([engine.readHead(), engine.readConsumer(name)]);
  if (position === undefined) throw consumerNotFound(name);
  return { status: 200, body: consumerBody(name, position, head) };
}

async function save(engine: EventStoreEngine, name: string, position: number, expectation: ConsumerExpectation): Promise<ConsumersResponse> {
  // The head only grows, so a position within it stays within it while the save runs.
  const head = await engine.readHead();
  checkWithinHead(position, head);
  const outcome = await engine.saveConsumer(name, position, expectation);
  if (outcome.status === 'conflict') throw positionConflict(name, expectation, outcome.current);
  if (outcome.status === 'full') throw tooManyConsumers();
  return { status: 200, body: consumerBody(name, position, head) };
}

function advanceConsumer(engine: EventStoreEngine, name: string, query: URLSearchParams): Promise<ConsumersResponse> {
  const position = requirePosition(query.get('position'), 'position');
  const expected = parsePosition(query.get('expected_position'), 'expected_position');
  // As with streams, no expectation means "the consumer must not exist yet".
  if (expected === undefined) return save(engine, name, position, { kind: 'absent' });
  checkAdvance(name, expected, position);
  return save(engine, name, position, { kind: 'at', position: expected });
}

function resetConsumer(engine: EventStoreEngine, name: string, query: URLSearchParams): Promise<ConsumersResponse> {
  return save(engine, name, requirePosition(query.get('position'), 'position'), { kind: 'any' });
}

async function deleteConsumer(engine: EventStoreEngine, name: string): Promise<ConsumersResponse> {
  if (!(await engine.deleteConsumer(name))) throw consumerNotFound(name);
  return { status: 200, body: `{"name":${quote(name)},"deleted":true}` };
}
