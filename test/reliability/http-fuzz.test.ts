import { randomUUID } from 'node:crypto';
import { request as httpRequest } from 'node:http';
import { connect } from 'node:net';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ERROR_TABLE, type ErrorCode } from '../../src/core/errors.js';
import { startTestStore } from '../support/store.js';

/*
 * HTTP fuzzing of the embedded store through real HTTP: random methods, paths, query strings,
 * headers and bodies. Whatever comes in, the answer is never a 500, always JSON (but for HEAD),
 * and every error carries a code of the error table. A rejected request changes nothing.
 */

interface FuzzRequest {
  readonly method: string;
  /** Path and query, ASCII only (what a client sends on the wire). */
  readonly target: string;
  readonly headers: Readonly<Record<string, string>>;
  readonly body: Buffer | null;
  /** Sent with Transfer-Encoding: chunked instead of Content-Length. */
  readonly chunked: boolean;
}

interface FuzzResponse {
  readonly status: number;
  readonly headers: Record<string, string | string[] | undefined>;
  readonly text: string;
}

const REQUEST_TIMEOUT_MS = 10_000;

/** How fast-check prints a request in a counterexample: readable, and bodies cut short. */
function printable<T extends FuzzRequest>(request: T): T {
  return Object.assign(request, {
    [fc.toStringMethod](this: FuzzRequest): string {
      const body =
        this.body === null
          ? 'no body'
          : `body ${this.body.length} bytes${this.chunked ? ' (chunked)' : ''}: ${JSON.stringify(this.body.subarray(0, 200).toString('utf8'))}${this.body.length > 200 ? '…' : ''}`;
      return `${this.method} ${JSON.stringify(this.target.length > 300 ? `${this.target.slice(0, 300)}…(${this.target.length} chars)` : this.target)} headers ${JSON.stringify(this.headers)} ${body}`;
    },
  });
}

/** One request on a connection of its own; resolves with the response even if the server closes early. */
function send(baseUrl: string, fuzz: FuzzRequest): Promise<FuzzResponse> {
  const base = new URL(baseUrl);
  return new Promise((resolve, reject) => {
    let settled = false;
    const finish = (outcome: { response?: FuzzResponse; error?: Error }): void => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      if (outcome.response !== undefined) resolve(outcome.response);
      else reject(outcome.error ?? new Error('no response and no error'));
    };
    const timer = setTimeout(() => {
      request.destroy();
      finish({ error: new Error(`no response within ${REQUEST_TIMEOUT_MS} ms to ${fuzz.method} ${fuzz.target}`) });
    }, REQUEST_TIMEOUT_MS);
    const headers: Record<string, string | number> = { ...fuzz.headers };
    // Explicit framing: node:http would send a GET's body unframed (neither header) otherwise.
    if (fuzz.body !== null) {
      if (fuzz.chunked) headers['transfer-encoding'] = 'chunked';
      else headers['content-length'] = fuzz.body.length;
    }
    const request = httpRequest(
      { host: base.hostname, port: base.port, method: fuzz.method, path: fuzz.target, headers, agent: false },
      (response) => {
        const parts: Buffer[] = [];
        response.on('data', (part: Buffer) => parts.push(part));
        response.on('end', () =>
          finish({ response: { status: response.statusCode ?? 0, headers: response.headers, text: Buffer.concat(parts).toString('utf8') } }),
        );
        response.on('error', (error) => finish({ error }));
      },
    );
    request.on('error', (error: NodeJS.ErrnoException) => {
      // The server may answer and close while the body is still being written: the response decides.
      if (error.code === 'EPIPE' || error.code === 'ECONNRESET') return;
      finish({ error });
    });
    if (fuzz.body === null) {
      request.end();
    } else if (fuzz.chunked) {
      const middle = Math.floor(fuzz.body.length / 2);
      request.write(fuzz.body.subarray(0, middle));
      request.end(fuzz.body.subarray(middle));
    } else {
      request.end(fuzz.body);
    }
  });
}

/** Raw bytes on a socket, for requests node:http refuses to send; resolves with what came back. */
function sendRaw(port: number, data: Buffer): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket = connect(port, '127.0.0.1', () => socket.end(data));
    const parts: Buffer[] = [];
    socket.setTimeout(REQUEST_TIMEOUT_MS, () => socket.destroy(new Error('timeout')));
    socket.on('data', (part: Buffer) => parts.push(part));
    socket.on('close', () => resolve(Buffer.concat(parts).toString('utf8')));
    socket.on('error', reject);
  });
}

/** Splits a raw HTTP/1.1 response into its status and body (Content-Length or chunked). */
function parseRawResponse(raw: string): { status: number; body: string } {
  const [head = '', ...rest] = raw.split('\r\n\r\n');
  const status = Number(/^HTTP\/1\.1 (\d{3})/.exec(head)?.[1] ?? 0);
  let body = rest.join('\r\n\r\n');
  if (/\r\ntransfer-encoding: chunked/i.test(head)) {
    let decoded = '';
    for (let at = 0; ; ) {
      const end = body.indexOf('\r\n', at);
      const size = Number.parseInt(body.slice(at, end), 16);
      if (!(size > 0)) break;
      decoded += body.slice(end + 2, end + 2 + size);
      at = end + 2 + size + 2;
    }
    body = decoded;
  }
  return { status, body };
}

const ERROR_CODES = Object.keys(ERROR_TABLE) as ErrorCode[];

function parseJson(text: string): { ok: true; value: unknown } | { ok: false } {
  try {
    return { ok: true, value: JSON.parse(text) as unknown };
  } catch {
    return { ok: false };
  }
}

/** The invariants every response must hold, whatever the request. */
function checkResponse(fuzz: FuzzRequest, response: FuzzResponse): void {
  const label = `${fuzz.method} ${fuzz.target.slice(0, 300)} (body ${fuzz.body?.length ?? 'none'} bytes): ${response.status} ${response.text.slice(0, 300)}`;
  expect(response.status, label).toBeGreaterThanOrEqual(200);
  expect(response.status, label).toBeLessThan(600);
  expect(response.status, label).not.toBe(500);
  expect(String(response.headers['server']), label).toMatch(/^ees\//);
  if (fuzz.method === 'HEAD') return;
  expect(response.headers['content-type'], label).toBe('application/json; charset=utf-8');
  const parsed = parseJson(response.text);
  expect(parsed.ok, `${label}: body is not JSON`).toBe(true);
  if (!parsed.ok) return;
  const body = parsed.value as Record<string, unknown>;
  expect(typeof body === 'object' && body !== null && !Array.isArray(body), label).toBe(true);
  if (response.status >= 400) {
    expect(typeof body['error'], label).toBe('string');
    expect(typeof body['message'], label).toBe('string');
    expect(ERROR_CODES, label).toContain(body['error']);
    expect(ERROR_TABLE[body['error'] as ErrorCode].status, label).toBe(response.status);
    expect(response.text, label).not.toMatch(/\bat .+:\d+:\d+\)?/); // no stack trace
  } else if (response.status === 200 && fuzz.method === 'POST') {
    expect(typeof body['stream_id'], label).toBe('string');
    expect(Number.isSafeInteger(body['changeset_id']) && (body['changeset_id'] as number) >= 1, label).toBe(true);
  } else if (response.status === 200) {
    // One of the documented success bodies.
    expect(['version', 'changesets', 'events', 'total_streams'].some((key) => key in body), label).toBe(true);
  }
}

// ---------------------------------------------------------------------------------------------
// Generators.
// ---------------------------------------------------------------------------------------------

const run = randomUUID().slice(0, 8);
/** Streams committed in beforeAll, with SEED_CHANGESETS changesets of one event each. */
const SEEDED = [`seed-a-${run}`, `seed-b-${run}`];
const SEED_CHANGESETS = 3;

const ASCII_PATH_CHARS = [...'abcxyzABC0189-._~!$&\'()*+,;=:@%?#[]{}|\\^`"<>'];
const junkText = (maxLength: number) => fc.string({ unit: fc.constantFrom(...ASCII_PATH_CHARS), maxLength });
const unicodeText = fc.string({ unit: 'grapheme', minLength: 1, maxLength: 12 });

/** One path segment where a stream id goes: valid, percent-encoded, invalid, long or junk. */
const segmentArb: fc.Arbitrary<string> = fc.oneof(
  fc.constantFrom(...SEEDED.map(encodeURIComponent)),
  fc.stringMatching(/^[a-z0-9-]{1,20}$/).map((id) => `fuzz-${run}-${id}`),
  unicodeText.map(encodeURIComponent),
  fc.string({ unit: 'binary', minLength: 1, maxLength: 8 }).map(encodeURIComponent),
  // Invalid percent-encoding and invalid UTF-8 once decoded.
  fc.constantFrom('%', '%z', '%zz', '%E0%A4', '%ED%A0%80', '%C0%AF', '%FF', '%F4%90%80%80', 'a%', '%%41', '%u0041'),
  // Decode to what a stream id must not hold: controls, DEL, C1 controls, "/".
  fc.constantFrom('%00', '%0A', '%1F', '%7F', '%C2%80', '%C2%9F', '%2F', 'a%2Fb', '%2f'),
  fc.constantFrom('', '.', '..', '%2E%2E'),
  // Long: around the 512-byte limit and well beyond it, in ASCII and multi-byte characters.
  fc.integer({ min: 500, max: 3000 }).map((length) => 'a'.repeat(length)),
  fc.integer({ min: 100, max: 300 }).map((length) => encodeURIComponent('é'.repeat(length))),
  fc.integer({ min: 120, max: 140 }).map((length) => encodeURIComponent('🚀'.repeat(length))),
  junkText(20),
);

const pathArb: fc.Arbitrary<string> = fc.oneof(
  fc.constantFrom('/version', '/changesets', '/streams', '/version/', '/changesets/', '/streams/', '//streams', '/', '/VERSION', '/streams//events'),
  segmentArb.map((segment) => `/streams/${segment}`),
  segmentArb.map((segment) => `/streams/${segment}/changesets`),
  segmentArb.map((segment) => `/streams/${segment}/events`),
  fc.tuple(segmentArb, junkText(10)).map(([segment, junk]) => `/streams/${segment}/${junk}`),
  segmentArb.map((segment) => `/streams/${segment}/events/extra`),
  junkText(30).map((junk) => `/${junk}`),
  fc.tuple(junkText(10), junkText(10)).map(([a, b]) => `/${a}/${b}`),
);

const QUERY_KEYS = ['from', 'to', 'checkpoint', 'limit', 'expected_last_changeset', 'expected_last_event'] as const;

/** Values for whole-number parameters: valid, empty, negative, huge, letters, floats, encoded. */
const numberValueArb: fc.Arbitrary<string> = fc.oneof(
  fc.nat({ max: 20 }).map(String),
  fc.constantFrom('', '0', '00', '-1', '-0', '+1', '1.5', '1e3', '0x10', 'abc', 'NaN', 'Infinity', '%31', '%2D1', '%zz', '%', '1%00', '%C2%80'),
  fc.constantFrom('9007199254740991', '9007199254740992', '18446744073709551616', '123456789012345678901234567890'),
  fc.stringMatching(/^[0-9]{16,60}$/),
  fc.bigInt({ min: -(10n ** 20n), max: -1n }).map(String),
  fc.double({ noNaN: true }).map(String),
  unicodeText.map(encodeURIComponent),
  junkText(8).map(encodeURIComponent),
);

/** `wait` holds a request up to 20 s: only values that answer at once (0, empty, or refused). */
const waitValueArb = fc.constantFrom('', '0', '00', '-1', '1.5', 'abc', '%zz', '-20', '1e1', '+', 'Infinity');

const queryArb: fc.Arbitrary<string> = fc
  .array(
    fc.oneof(
      { arbitrary: fc.tuple(fc.constantFrom(...QUERY_KEYS), numberValueArb), weight: 6 },
      { arbitrary: fc.tuple(fc.constant('wait'), waitValueArb), weight: 1 },
      {
        arbitrary: fc.tuple(
          fc.stringMatching(/^[a-z_]{1,12}$/).filter((key) => key !== 'wait'),
          junkText(10).map(encodeURIComponent),
        ),
        weight: 1,
      },
    ),
    { maxLength: 4 },
  )
  .map((pairs) => (pairs.length === 0 ? '' : `?${pairs.map(([key, value]) => `${key}=${value}`).join('&')}`));

const headerValueArb = fc.string({ unit: fc.constantFrom(...'abcXYZ019 -_.,;=/*"\'()[]{}:'), maxLength: 40 });
const headersArb: fc.Arbitrary<Record<string, string>> = fc
  .tuple(
    // Mostly JSON, as commits need it; the other types and none are refused (415) often enough.
    fc.oneof(
      { arbitrary: fc.constantFrom<string | null>('application/json', 'application/json; charset=utf-8'), weight: 4 },
      { arbitrary: fc.constantFrom<string | null>(null, 'text/plain', 'application/x-www-form-urlencoded', 'application/json; charset=latin1', '*/*', 'garbage'), weight: 1 },
    ),
    // No Origin: a foreign one is refused before the handler (the HTTP suite covers that).
    fc.dictionary(
      fc.constantFrom('accept', 'accept-encoding', 'authorization', 'cookie', 'user-agent', 'referer', 'x-request-id', 'x-forwarded-for', 'x-amz-date', 'if-none-match', 'x-fuzz'),
      headerValueArb,
      { maxKeys: 4 },
    ),
  )
  .map(([contentType, rest]) => (contentType === null ? rest : { ...rest, 'content-type': contentType }));

const eventArb = fc.oneof(
  fc.jsonValue({ maxDepth: 3 }),
  fc.jsonValue({ maxDepth: 2, stringUnit: 'binary' }),
  fc.jsonValue({ maxDepth: 2, stringUnit: 'grapheme' }),
);
const validChangesetArb = fc
  .record({
    events: fc.array(eventArb, { minLength: 1, maxLength: 5 }),
    metadata: fc.option(fc.dictionary(fc.string({ maxLength: 6 }), fc.jsonValue({ maxDepth: 1 }), { maxKeys: 3 }), { nil: undefined }),
  })
  .map((changeset) => JSON.stringify(changeset));

interface Deep {
  readonly depth: number;
  readonly balanced: boolean;
  readonly kind: '[' | '{"a":';
  /** Inside a changeset's events, or the whole body. */
  readonly inEvents: boolean;
}
const deepArb: fc.Arbitrary<Deep> = fc.record({
  depth: fc.constantFrom(100, 1_000, 5_000, 50_000, 200_000),
  balanced: fc.boolean(),
  kind: fc.constantFrom('[' as const, '{"a":' as const),
  inEvents: fc.boolean(),
});
const deepBody = ({ depth, balanced, kind, inEvents }: Deep): string => {
  const nested = `${kind.repeat(depth)}1${(kind === '[' ? ']' : '}').repeat(balanced ? depth : 0)}`;
  return inEvents ? `{"events":[${nested}]}` : nested;
};

/** A body that can never be a valid changeset. */
const malformedJsonArb: fc.Arbitrary<Buffer> = fc.oneof(
  fc.constantFrom('', ' ', '{', '{"events":[1]', '{"events":[1,]}', "{'events':[1]}", '{"events":[1]}}', 'nul', 'undefined', '{"events":[NaN]}', '{"events":[Infinity]}', '[1', '"unterminated', '{"events":[01]}', '{"events":[.5]}', '{"events":[1]} x').map((text) => Buffer.from(text)),
  validChangesetArb.map((text) => Buffer.from(text.slice(0, Math.max(1, text.length - 1)))),
  fc.integer({ min: 1_000, max: 20_000 }).map((depth) => Buffer.from('['.repeat(depth))),
  // Invalid UTF-8: lone continuation bytes, overlong forms, surrogates, bytes never valid.
  fc.constantFrom([0xff], [0xc0, 0xaf], [0xed, 0xa0, 0x80], [0x80], [0xf8, 0x88, 0x80, 0x80, 0x80], [0xe2, 0x82]).map((bytes) =>
    Buffer.concat([Buffer.from('{"events":["'), Buffer.from(bytes), Buffer.from('"]}')]),
  ),
  fc.uint8Array({ minLength: 1, maxLength: 64 }).map((bytes) => Buffer.concat([Buffer.from([0xff]), Buffer.from(bytes)])),
);

/** Well-formed JSON that is not a changeset. */
const notAChangesetArb: fc.Arbitrary<Buffer> = fc
  .oneof(
    fc.constantFrom('[]', 'null', '1', '"x"', 'true', '{}', '{"events":null}', '{"events":{}}', '{"events":[]}', '{"events":"x"}', '{"events":1}', '{"metadata":{}}', '{"Events":[1]}', '{"__proto__":{"events":[1]}}'),
    fc.constantFrom('[]', '1', '"x"', 'true').map((metadata) => `{"events":[1],"metadata":${metadata}}`),
    fc.constantFrom('1e400', '-1e400', '1E999', '[1e309]', '{"a":{"b":[2e308]}}').map((number) => `{"events":[${number}]}`),
    fc.constantFrom('1e400', '{"a":-1e999}').map((number) => `{"events":[1],"metadata":{"n":${number}}}`),
    fc.jsonValue({ maxDepth: 2 }).filter((value) => value === null || typeof value !== 'object' || Array.isArray(value)).map((value) => JSON.stringify(value)),
  )
  .map((text) => Buffer.from(text));

const bodyArb: fc.Arbitrary<Buffer | null> = fc.oneof(
  { arbitrary: fc.constant(null), weight: 3 },
  { arbitrary: validChangesetArb.map((text) => Buffer.from(text)), weight: 4 },
  { arbitrary: malformedJsonArb, weight: 2 },
  { arbitrary: notAChangesetArb, weight: 2 },
  { arbitrary: deepArb.map((deep) => Buffer.from(deepBody(deep))), weight: 1 },
  // Numbers beyond a double's precision are accepted (documented), beyond its range refused.
  { arbitrary: fc.constantFrom('123456789012345678901234567890', '1e308', '-0', '5e-324', '1e-400', '9007199254740993').map((n) => Buffer.from(`{"events":[${n}]}`)), weight: 1 },
  { arbitrary: fc.integer({ min: 1_000, max: 60_000 }).map((count) => Buffer.from(JSON.stringify({ events: Array.from({ length: count }, (_, index) => index) }))), weight: 1 },
  { arbitrary: fc.string({ unit: 'binary', maxLength: 200 }).map((text) => Buffer.from(JSON.stringify({ events: [text], metadata: { text } }))), weight: 1 },
  { arbitrary: fc.constantFrom('"\\ud800"', '"\\udfff\\ud800"', '"\\u0000"', '"\u2028\u2029"').map((text) => Buffer.from(`{"events":[${text}]}`)), weight: 1 },
  { arbitrary: fc.uint8Array({ maxLength: 200 }).map((bytes) => Buffer.from(bytes)), weight: 1 },
);

const methodArb = fc.oneof(
  { arbitrary: fc.constantFrom('GET', 'POST'), weight: 4 },
  { arbitrary: fc.constantFrom('PUT', 'DELETE', 'PATCH', 'HEAD', 'OPTIONS', 'TRACE', 'PROPFIND'), weight: 2 },
);

const fuzzRequestArb: fc.Arbitrary<FuzzRequest> = fc
  .record({ method: methodArb, path: pathArb, query: queryArb, headers: headersArb, body: bodyArb, chunked: fc.boolean() })
  .map(({ method, path, query, headers, body, chunked }) => ({
    method,
    target: `${path}${query}`,
    headers,
    // node:http sends no body with HEAD, TRACE must not carry one.
    body: method === 'HEAD' || method === 'TRACE' ? null : body,
    chunked,
  }))
  .map(printable);

// Requests sure to be refused, each with the code it must be refused with.

interface RejectedRequest extends FuzzRequest {
  readonly expected: readonly ErrorCode[];
}

const commitPath = (id: string, query = ''): string => `/streams/${encodeURIComponent(id)}${query}`;
const streamForCommitArb = fc.oneof(fc.constantFrom(...SEEDED), fc.stringMatching(/^[a-z0-9]{1,12}$/).map((id) => `reject-${run}-${id}`));
/** A valid expectation for a new stream, or the right one for a seeded stream. */
const rightQuery = (id: string): string => (SEEDED.includes(id) ? `?expected_last_changeset=${SEED_CHANGESETS}` : '');
const post = (target: string, body: Buffer, expected: readonly ErrorCode[], chunked = false): RejectedRequest => ({
  method: 'POST',
  target,
  headers: { 'content-type': 'application/json' },
  body,
  chunked,
  expected,
});

const rejectedRequestArb: fc.Arbitrary<RejectedRequest> = fc
  .oneof(
  fc.tuple(streamForCommitArb, malformedJsonArb, fc.boolean()).map(([id, body, chunked]) => post(commitPath(id, rightQuery(id)), body, ['INVALID_JSON'], chunked)),
  fc.tuple(streamForCommitArb, notAChangesetArb).map(([id, body]) => post(commitPath(id, rightQuery(id)), body, ['INVALID_CHANGESET'])),
  // Nested deeper than any stack (under 1 MiB): refused by the parser, when stored, or as too large; never committed.
  fc.tuple(streamForCommitArb, fc.constantFrom({ kind: '[' as const, depth: 200_000 }, { kind: '{"a":' as const, depth: 100_000 })).map(([id, { kind, depth }]) =>
    post(commitPath(id, rightQuery(id)), Buffer.from(deepBody({ depth, balanced: true, kind, inEvents: true })), ['INVALID_JSON', 'INVALID_CHANGESET', 'CHANGESET_TOO_LARGE']),
  ),
  fc.tuple(streamForCommitArb, fc.constantFrom('-1', 'abc', '1.5', '1e3', '9007199254740992', '123456789012345678901234567890', '%zz'), validChangesetArb).map(([id, value, body]) =>
    post(commitPath(id, `?expected_last_changeset=${value}`), Buffer.from(body), ['INVALID_EXPECTED_CHANGESET_ID']),
  ),
  fc.tuple(streamForCommitArb, fc.constantFrom('-1', 'x', '0.0', '18446744073709551616'), validChangesetArb).map(([id, value, body]) =>
    post(commitPath(id, `?expected_last_event=${value}`), Buffer.from(body), ['INVALID_EXPECTED_EVENT_ID']),
  ),
  fc.tuple(streamForCommitArb, fc.nat({ max: 5 }), fc.nat({ max: 5 }), validChangesetArb).map(([id, changeset, event, body]) =>
    post(commitPath(id, `?expected_last_changeset=${changeset}&expected_last_event=${event}`), Buffer.from(body), ['BOTH_EXPECTED_CHANGESET_AND_EVENT_ARE_SET']),
  ),
  // Behind (409) or ahead (400) of a seeded stream.
  fc.tuple(fc.constantFrom(...SEEDED), fc.constantFrom('changeset', 'event'), fc.nat({ max: SEED_CHANGESETS - 1 }), validChangesetArb).map(([id, kind, value, body]) =>
    post(commitPath(id, `?expected_last_${kind}=${value}`), Buffer.from(body), ['OPTIMISTIC_CONCURRENCY_EXCEPTION']),
  ),
  fc.tuple(streamForCommitArb, fc.constantFrom('changeset', 'event'), fc.integer({ min: SEED_CHANGESETS + 1, max: 1_000_000 }), validChangesetArb).map(([id, kind, value, body]) =>
    post(commitPath(id, `?expected_last_${kind}=${value}`), Buffer.from(body), ['INVALID_EXPECTED_CHANGESET_ID']),
  ),
  fc.tuple(fc.constantFrom('%', '%zz', '%ED%A0%80', '%00', '%C2%80', '%2F', 'a'.repeat(513), encodeURIComponent('é'.repeat(257))), validChangesetArb).map(([segment, body]) =>
    post(`/streams/${segment}`, Buffer.from(body), ['INVALID_STREAM_ID']),
  ),
  validChangesetArb.map((body) => post('/streams/', Buffer.from(body), ['MISSING_STREAM_ID'])),
  fc.tuple(streamForCommitArb, fc.constantFrom('PUT', 'PATCH', 'DELETE'), validChangesetArb).map(([id, method, body]) => ({
    ...post(commitPath(id, rightQuery(id)), Buffer.from(body), ['METHOD_NOT_ALLOWED']),
    method,
  })),
  // Over 400,000 bytes of events, under the 1 MiB body limit.
  streamForCommitArb.map((id) => post(commitPath(id, rightQuery(id)), Buffer.from(JSON.stringify({ events: ['x'.repeat(400_001)] })), ['CHANGESET_TOO_LARGE'])),
  )
  .map(printable);

// ---------------------------------------------------------------------------------------------

describe('HTTP fuzzing (embedded store)', () => {
  let store: Awaited<ReturnType<typeof startTestStore>>;

  beforeAll(async () => {
    store = await startTestStore();
    for (const id of SEEDED) {
      for (let changeset = 0; changeset < SEED_CHANGESETS; changeset++) {
        const response = await send(store.url, post(commitPath(id, `?expected_last_changeset=${changeset}`), Buffer.from(`{"events":[${changeset}]}`), []));
        expect(response.status).toBe(200);
      }
    }
  });
  afterAll(async () => {
    await store?.dispose();
  });

  /** The whole global order, following next_checkpoint. */
  async function globalOrder(): Promise<unknown[]> {
    const all: unknown[] = [];
    let checkpoint = 0;
    for (;;) {
      const response = await send(store.url, { method: 'GET', target: `/changesets?checkpoint=${checkpoint}&limit=1000`, headers: {}, body: null, chunked: false });
      expect(response.status).toBe(200);
      const page = JSON.parse(response.text) as { changesets: unknown[]; next_checkpoint: number };
      if (page.changesets.length === 0) return all;
      all.push(...page.changesets);
      checkpoint = page.next_checkpoint;
    }
  }

  it('answers every random request with JSON, never a 500, and errors from the error table', async () => {
    const statuses = new Map<number, number>();
    await fc.assert(
      fc.asyncProperty(fuzzRequestArb, async (fuzz) => {
        const response = await send(store.url, fuzz);
        checkResponse(fuzz, response);
        statuses.set(response.status, (statuses.get(response.status) ?? 0) + 1);
      }),
      { numRuns: 250 },
    );
    // The generator reaches the handler's successes and its refusals, not only one of them.
    expect(statuses.get(200) ?? 0).toBeGreaterThan(0);
    expect(statuses.get(400) ?? 0).toBeGreaterThan(0);
    expect(statuses.get(404) ?? 0).toBeGreaterThan(0);
    expect(statuses.get(405) ?? 0).toBeGreaterThan(0);
  });

  it('changes nothing for a batch of requests that are all refused', async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(rejectedRequestArb, { minLength: 1, maxLength: 10 }), async (batch) => {
        const before = await globalOrder();
        expect(before.length).toBeGreaterThanOrEqual(SEEDED.length * SEED_CHANGESETS);
        for (const rejected of batch) {
          const response = await send(store.url, rejected);
          checkResponse(rejected, response);
          expect(rejected.expected, `${rejected.method} ${rejected.target.slice(0, 200)}: ${response.text.slice(0, 200)}`).toContain(
            (JSON.parse(response.text) as { error?: string }).error,
          );
        }
        expect(await globalOrder()).toEqual(before);
      }),
      { numRuns: 6 },
    );
  });

  it('refuses a body over 1 MiB with 413 and changes nothing, with Content-Length or chunked', async () => {
    const before = await globalOrder();
    const body = Buffer.from(JSON.stringify({ events: ['y'.repeat(1_100_000)] }));
    for (const chunked of [false, true]) {
      const request = post(commitPath(SEEDED[0]!, `?expected_last_changeset=${SEED_CHANGESETS}`), body, ['CHANGESET_TOO_LARGE'], chunked);
      const response = await send(store.url, request);
      checkResponse(request, response);
      expect(response.status).toBe(413);
      expect(JSON.parse(response.text)).toMatchObject({ error: 'CHANGESET_TOO_LARGE' });
    }
    expect(await globalOrder()).toEqual(before);
  });

  /*
   * Found by this fuzzing: requests that node:http itself refuses before the API handler runs
   * were answered with an empty body. The node host now answers them with JSON error bodies too.
   */
  describe('protocol-level refusals get JSON error bodies', () => {
    const rawGet = (target: string, extraHeaders = ''): Buffer => Buffer.from(`GET ${target} HTTP/1.1\r\nHost: 127.0.0.1\r\n${extraHeaders}Connection: close\r\n\r\n`);

    async function expectJsonError(data: Buffer): Promise<void> {
      const { status, body } = parseRawResponse(await sendRaw(store.port, data));
      expect(status).toBeGreaterThanOrEqual(400);
      expect(status).not.toBe(500);
      const parsed = parseJson(body);
      expect(parsed.ok, `${status} with body ${JSON.stringify(body.slice(0, 100))}`).toBe(true);
      expect(ERROR_CODES).toContain((parsed as { value: { error?: string } }).value.error);
    }

    it('a very long stream id segment within the header limit is still a JSON INVALID_STREAM_ID', async () => {
      const { status, body } = parseRawResponse(await sendRaw(store.port, rawGet(`/streams/${'a'.repeat(10_000)}/events`)));
      expect(status).toBe(400);
      expect(JSON.parse(body)).toMatchObject({ error: 'INVALID_STREAM_ID' });
    });

    it('a URL over 16 KB: 431 REQUEST_HEADERS_TOO_LARGE', async () => {
      await expectJsonError(rawGet(`/streams/${'a'.repeat(20_000)}/events`));
    });

    it('raw non-ASCII bytes in the path: 400 MALFORMED_REQUEST', async () => {
      await expectJsonError(rawGet('/streams/ü🚀/events'));
    });

    it('an Expect header other than 100-continue: 417 EXPECTATION_FAILED', async () => {
      await expectJsonError(rawGet('/version', 'Expect: something-else\r\n'));
    });
  });
});
