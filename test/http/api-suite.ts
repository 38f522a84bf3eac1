import { randomUUID } from 'node:crypto';
import { connect } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { apiClient, rawRequest, type TestSigner } from '../support/http.js';
import { exchange, rawGet, rawPost } from '../support/raw-socket.js';

export interface RunningApi {
  readonly url: string;
  readonly close: () => Promise<void>;
  /** Signs requests to an IAM-protected deployment. */
  readonly sign?: TestSigner;
}

export interface ContractOptions {
  /** A deployed stack: API Gateway answers raw-socket and malformed requests itself. */
  readonly remote?: boolean;
  /** The same server on a store of its own that requires `Authorization: Bearer <token>` (ees dev --token). */
  readonly startWithToken?: (token: string) => Promise<RunningApi>;
}

/** A commit time as stored: ISO 8601, UTC, milliseconds. */
const ISO_TIME = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/;
const escapeRegExp = (text: string): string => text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

const INVALID_STREAM_ID = {
  error: 'INVALID_STREAM_ID',
  message: 'The stream id must be 1 to 512 UTF-8 bytes, without control characters or "/".',
};

/**
 * The HTTP contract of API.md, through real HTTP against a running server. Every engine's server
 * runs this one function. Stream ids are unique per run, so a shared store is fine.
 */
export function httpContract(name: string, start: () => Promise<RunningApi>, options: ContractOptions = {}): void {
  describe(`HTTP contract: ${name}`, () => {
    let running: RunningApi;
    let api: ReturnType<typeof apiClient>;
    const run = randomUUID().slice(0, 8);
    let counter = 0;
    const stream = (label: string): string => `${label}-${run}-${++counter}`;
    const path = (id: string): string => `/streams/${encodeURIComponent(id)}`;

    beforeAll(async () => {
      running = await start();
      api = apiClient(running.url, running.sign);
    });
    afterAll(async () => {
      await running?.close();
    });

    /** The next checkpoint of the global order. */
    async function head(): Promise<number> {
      let checkpoint = 0;
      for (;;) {
        const page = (await api.get(`/changesets?checkpoint=${checkpoint}&limit=1000`)).json;
        if (page.changesets.length === 0) return checkpoint;
        checkpoint = page.next_checkpoint;
      }
    }

    describe('GET /version', () => {
      it('answers the contract version, with the server version in the Server header', async () => {
        const response = await api.get('/version');
        expect(response.status).toBe(200);
        expect(response.text).toBe('{"version":"0.0.1"}');
        expect(response.headers['server']).toMatch(/^ees\/\d+\.\d+\.\d+/);
        expect(response.headers['content-type']).toBe('application/json; charset=utf-8');
      });
    });

    describe('POST /streams/{stream_id}', () => {
      it('commits a new stream and then the next changeset', async () => {
        const id = stream('commit');
        const first = await api.post(path(id), { events: [{ type: 'init' }], metadata: { by: 'me' } });
        expect(first.status).toBe(200);
        expect(first.text).toBe(`{"stream_id":"${id}","changeset_id":1}`);
        const second = await api.post(`${path(id)}?expected_last_changeset=1`, { events: [{ type: 'sell' }, { type: 'buy' }] });
        expect(second.json).toEqual({ stream_id: id, changeset_id: 2 });
        const third = await api.post(`${path(id)}?expected_last_event=3`, { events: ['x'] });
        expect(third.json).toEqual({ stream_id: id, changeset_id: 3 });
      });

      it('answers 409 with the forthcoming changesets when the expectation is outdated', async () => {
        const id = stream('conflict');
        await api.post(path(id), { events: [1, 2], metadata: { n: 1 } });
        await api.post(`${path(id)}?expected_last_changeset=1`, { events: [3] });
        const conflict = await api.post(path(id), { events: ['late'] });
        expect(conflict.status).toBe(409);
        expect(conflict.json).toEqual({
          stream_id: id,
          error: 'OPTIMISTIC_CONCURRENCY_EXCEPTION',
          message: 'The expected last changeset (0) is outdated, review the changeset(s) appended after it.',
          forthcoming_changesets: [
            { changeset_id: 1, events: [1, 2], metadata: { n: 1 }, committed_at: expect.stringMatching(ISO_TIME) },
            { changeset_id: 2, events: [3], metadata: {}, committed_at: expect.stringMatching(ISO_TIME) },
          ],
        });
        const byEvent = await api.post(`${path(id)}?expected_last_event=2`, { events: ['late'] });
        expect(byEvent.status).toBe(409);
        expect(byEvent.json.message).toBe('The expected last event (2) is outdated, review the event(s) appended after it.');
        expect(byEvent.json.forthcoming_changesets.map((c: { changeset_id: number }) => c.changeset_id)).toEqual([2]);
        expect((await api.get(`${path(id)}/changesets`)).json.changesets).toHaveLength(2);
      });

      it('answers 400 when the expectation is ahead of the stream', async () => {
        const id = stream('ahead');
        const missing = await api.post(`${path(id)}?expected_last_changeset=2`, { events: [1] });
        expect(missing.status).toBe(400);
        expect(missing.json).toEqual({
          stream_id: id,
          error: 'INVALID_EXPECTED_CHANGESET_ID',
          message: `The specified expected changeset(2) doesn't exist. The "${id}" stream's most recent changeset is 0.`,
        });
        await api.post(path(id), { events: [1, 2] });
        const byEvent = await api.post(`${path(id)}?expected_last_event=5`, { events: [1] });
        expect(byEvent.json).toEqual({
          stream_id: id,
          error: 'INVALID_EXPECTED_CHANGESET_ID',
          message: `The specified expected event(5) doesn't exist. The "${id}" stream's most recent event is 2.`,
        });
      });

      it('checks a commit in the order of API.md', async () => {
        const id = stream('order');
        const cases: [string, unknown, number, object][] = [
          ['/streams/a%2Fb?expected_last_changeset=x', '{', 400, INVALID_STREAM_ID],
          [`${path(id)}?expected_last_changeset=x&expected_last_event=y`, '{', 400, {
            stream_id: id,
            error: 'INVALID_EXPECTED_CHANGESET_ID',
            message: 'The specified expected changeset id("x") is invalid. Expected a positive integer.',
          }],
          [`${path(id)}?expected_last_changeset=-1`, { events: [1] }, 400, {
            stream_id: id,
            error: 'INVALID_EXPECTED_CHANGESET_ID',
            message: 'The specified expected changeset id("-1") is invalid. Expected a positive integer.',
          }],
          [`${path(id)}?expected_last_event=1.5`, '{', 400, {
            stream_id: id,
            error: 'INVALID_EXPECTED_EVENT_ID',
            message: 'The specified expected event id("1.5") is invalid. Expected a positive integer.',
          }],
          [`${path(id)}?expected_last_changeset=1&expected_last_event=1`, '{', 400, {
            stream_id: id,
            error: 'BOTH_EXPECTED_CHANGESET_AND_EVENT_ARE_SET',
            message: 'Cannot use both "last_changeset_id" and "last_event_id" for concurrency management. Specify only one value.',
          }],
        ];
        for (const [target, body, status, expected] of cases) {
          const response = await api.post(target, body);
          expect(response.status, target).toBe(status);
          expect(response.json, target).toEqual(expected);
        }
        // Empty values count as absent, so this is a new-stream commit.
        expect((await api.post(`${path(id)}?expected_last_changeset=&expected_last_event=`, { events: [1] })).status).toBe(200);
      });

      it('answers 400 MISSING_STREAM_ID without a stream_id key for an empty stream id', async () => {
        const response = await api.post('/streams/', { events: [1] });
        expect(response.status).toBe(400);
        expect(response.json).toEqual({ error: 'MISSING_STREAM_ID', message: 'stream_id is a required value' });
      });

      it('refuses bodies that are not JSON or not a changeset, writing nothing', async () => {
        const id = stream('bodies');
        const invalidJson = await api.post(path(id), '{"events": [1,');
        expect(invalidJson.status).toBe(400);
        expect(invalidJson.json).toMatchObject({ stream_id: id, error: 'INVALID_JSON' });
        for (const body of ['[1, 2]', '{}', '{"events": []}', '{"events": "x"}', '{"events": [1], "metadata": [2]}', '"text"']) {
          const response = await api.post(path(id), body);
          expect(response.status, body).toBe(400);
          expect(response.json, body).toMatchObject({ stream_id: id, error: 'INVALID_CHANGESET' });
          expect(typeof response.json.message).toBe('string');
        }
        expect((await api.get(`${path(id)}/changesets`)).status).toBe(404);
      });

      it('stores null or absent metadata as {}, and ignores other keys', async () => {
        const id = stream('metadata');
        await api.post(path(id), { events: [1], metadata: null, extra: 'ignored' });
        expect((await api.get(`${path(id)}/changesets`)).json.changesets).toEqual([{ changeset_id: 1, events: [1], metadata: {}, committed_at: expect.stringMatching(ISO_TIME) }]);
      });

      it.skipIf(options.remote === true)('answers 413 for a changeset over 400,000 bytes, and for a body over 1 MB before reading it', async () => {
        const id = stream('large');
        const tooLarge = await api.post(path(id), { events: ['x'.repeat(400_001)] });
        expect(tooLarge.status).toBe(413);
        expect(tooLarge.json).toMatchObject({ stream_id: id, error: 'CHANGESET_TOO_LARGE' });

        const chunk = Buffer.alloc(64 * 1024, 0x20);
        const declared = await rawRequest(running.url, {
          method: 'POST',
          path: path(id),
          headers: { 'content-length': 8 * 1024 * 1024, 'content-type': 'application/json' },
          chunks: Array.from({ length: 128 }, () => chunk),
        });
        expect(declared.status).toBe(413);
        expect(declared.json).toMatchObject({ stream_id: id, error: 'CHANGESET_TOO_LARGE' });
        expect(declared.headers['connection']).toBe('close');

        const chunked = await rawRequest(running.url, {
          method: 'POST',
          path: path(id),
          headers: { 'transfer-encoding': 'chunked', 'content-type': 'application/json' },
          chunks: (function* () {
            for (let sent = 0; sent < 4 * 1024 * 1024; sent += chunk.length) yield chunk;
          })(),
        });
        expect(chunked.status).toBe(413);
        expect(chunked.json.error).toBe('CHANGESET_TOO_LARGE');
        expect((await api.get(`${path(id)}/changesets`)).status).toBe(404);
      });

      it('lets exactly one of several racing commits with the same expectation win', async () => {
        const id = stream('race');
        await api.post(path(id), { events: ['first'] });
        const responses = await Promise.all(Array.from({ length: 10 }, (_, index) => api.post(`${path(id)}?expected_last_changeset=1`, { events: [index] })));
        expect(responses.filter((r) => r.status === 200)).toHaveLength(1);
        expect(responses.filter((r) => r.status === 409)).toHaveLength(9);
        expect((await api.get(`${path(id)}/changesets`)).json.changesets).toHaveLength(2);
      });

      it('round-trips unicode stream ids and events', async () => {
        const id = stream('žluťoučký kůň 🐎 ?&#%');
        const events = [{ text: 'Ελληνικά', emoji: '🚀' }];
        expect((await api.post(path(id), { events })).json).toEqual({ stream_id: id, changeset_id: 1 });
        expect((await api.get(`${path(id)}/events`)).json).toEqual({ stream_id: id, events: [{ id: 1, data: events[0] }] });
        const tooLong = await api.post(`/streams/${'é'.repeat(257)}`, { events: [1] });
        expect(tooLong.json).toEqual(INVALID_STREAM_ID);
        const control = await api.post('/streams/a%0Ab', { events: [1] });
        expect(control.json).toEqual(INVALID_STREAM_ID);
      });
      it('stores every number as sent, or refuses the changeset naming where the number is', async () => {
        const id = stream('numbers');
        const cases: [string, string][] = [
          [`{"events":[{"amount":1${'0'.repeat(300)}e10}]}`, 'events[0].amount'],
          ['{"events":[1,{"a":[2,1e999]}]}', 'events[1].a[1]'],
          ['{"events":[{"tiny":1e-400}]}', 'events[0].tiny'],
          ['{"events":[1],"metadata":{"x y":-1e400}}', 'metadata["x y"]'],
        ];
        for (const [body, where] of cases) {
          const response = await api.post(path(id), body);
          expect(response.status, body.slice(0, 60)).toBe(400);
          expect(response.json, body.slice(0, 60)).toMatchObject({ stream_id: id, error: 'INVALID_CHANGESET' });
          expect(response.json.message).toContain(where);
        }
        expect((await api.get(`${path(id)}/changesets`)).status).toBe(404);
        // Rounding to the nearest double is JSON's own: 2^53 + 1 is stored as 2^53, 0e5 as 0.
        expect((await api.post(path(id), '{"events":[9007199254740993,0e5,-0.0,1e308,5e-324]}')).status).toBe(200);
        expect((await api.get(`${path(id)}/events`)).json.events.map((event: { data: number }) => event.data)).toEqual([9007199254740992, 0, 0, 1e308, 5e-324]);
      });

      it('refuses events or metadata nested deeper than 64 levels, at any depth', async () => {
        const id = stream('deep');
        const nested = (levels: number): string => '['.repeat(levels) + ']'.repeat(levels);
        expect((await api.post(path(id), `{"events":[${nested(64)}],"metadata":{"m":${nested(63)}}}`)).status).toBe(200);
        for (const body of [`{"events":[1,${nested(65)}]}`, `{"events":[1],"metadata":{"m":${nested(64)}}}`, `{"events":[${nested(4112)}]}`, `{"events":[${nested(100_000)}]}`]) {
          const response = await api.post(`${path(id)}?expected_last_changeset=1`, body);
          expect(response.status, body.slice(0, 40)).toBe(400);
          expect(response.json).toMatchObject({ stream_id: id, error: 'INVALID_CHANGESET' });
          expect(response.json.message).toContain('64 levels');
        }
        expect((await api.get(`${path(id)}/changesets`)).json.changesets).toHaveLength(1);
      });

      it('refuses a commit whose body is not declared application/json, writing nothing', async () => {
        const id = stream('content-type');
        for (const contentType of [undefined, 'text/plain', 'application/x-www-form-urlencoded', 'multipart/form-data; boundary=x', 'application/jsonx']) {
          const response = await rawRequest(running.url, {
            method: 'POST',
            path: path(id),
            headers: { ...(contentType === undefined ? {} : { 'content-type': contentType }), 'content-length': 14 },
            chunks: [Buffer.from('{"events":[1]}')],
          });
          expect(response.status, contentType).toBe(415);
          expect(response.json, contentType).toMatchObject({ stream_id: id, error: 'UNSUPPORTED_MEDIA_TYPE' });
        }
        expect((await api.get(`${path(id)}/changesets`)).status).toBe(404);
        const charset = await rawRequest(running.url, {
          method: 'POST',
          path: path(id),
          headers: { 'content-type': 'Application/JSON; charset=utf-8', 'content-length': 14 },
          chunks: [Buffer.from('{"events":[1]}')],
        });
        expect(charset.status).toBe(200);
      });

      it('refuses a repeated query parameter with its own code', async () => {
        const id = stream('repeated');
        await api.post(path(id), { events: [1] });
        const cases: [string, string, string][] = [
          ['POST', `${path(id)}?expected_last_changeset=0&expected_last_changeset=1`, 'INVALID_EXPECTED_CHANGESET_ID'],
          ['POST', `${path(id)}?expected_last_event=1&expected_last_event=1`, 'INVALID_EXPECTED_EVENT_ID'],
          ['GET', `${path(id)}/changesets?from=1&from=2`, 'INVALID_CHANGESET_FILTERING_PARAMS'],
          ['GET', `${path(id)}/events?to=1&to=`, 'INVALID_EVENT_FILTERING_PARAMS'],
          ['GET', '/changesets?checkpoint=0&checkpoint=5', 'INVALID_CHECKPOINT'],
          ['GET', '/changesets?limit=1&limit=2', 'INVALID_LIMIT'],
          ['GET', '/changesets?wait=0&wait=0', 'INVALID_WAIT'],
        ];
        for (const [method, target, code] of cases) {
          const response = method === 'POST' ? await api.post(target, { events: ['dup'] }) : await api.get(target);
          expect(response.status, target).toBe(400);
          expect(response.json.error, target).toBe(code);
        }
        expect((await api.get(`${path(id)}/changesets`)).json.changesets).toHaveLength(1);
      });
    });

    describe.skipIf(options.remote === true)('one connection (RFC 9112 pipelining and Connection: close)', () => {
      const hostOf = (): string => new URL(running.url).host;

      it('answers an executed request before the protocol error that follows it', async () => {
        const id = stream('pA');
        const valid = rawPost(path(id), hostOf(), '{"events":[1]}') + rawPost(`${path(id)}?expected_last_changeset=1`, hostOf(), '{"events":[2]}');
        const result = await exchange(running.url, [`${valid}GET /\xff HTTP/1.1\r\nHost: x\r\n\r\n`]);
        expect(result.responses.map((response) => response.status)).toEqual([200, 200, 400]);
        expect(result.responses[0]!.json).toEqual({ stream_id: id, changeset_id: 1 });
        expect(result.responses[1]!.json).toEqual({ stream_id: id, changeset_id: 2 });
        expect(result.responses[2]!.json.error).toBe('MALFORMED_REQUEST');
        expect(result.closed).toBe(true);
        expect((await api.get(`${path(id)}/changesets`)).json.changesets).toHaveLength(2);
      });

      it('runs nothing after a refusal that closes the connection', async () => {
        const id = stream('after-refusal');
        const valid = rawPost(path(id), hostOf(), '{"events":["second"]}');
        const chunk = 'x'.repeat(64 * 1024);
        const oversize = `POST ${path(id)} HTTP/1.1\r\nHost: ${hostOf()}\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\n${`${(64 * 1024).toString(16)}\r\n${chunk}\r\n`.repeat(18)}0\r\n\r\n`;
        let committed = 0;
        for (const refused of [rawPost('/streams/a%2Fb', hostOf(), '{"events":[1]}'), oversize]) {
          const result = await exchange(running.url, [refused + valid], { stopAfter: 2 });
          expect(result.responses[0]!.status).toBeGreaterThanOrEqual(400);
          // A refusal that left its body unread closes the connection, and the commit after it is
          // neither run nor answered; one that read its body may keep the connection, and then the
          // commit after it is run and answered. Never run and unanswered.
          if (result.responses[0]!.headers['connection'] === 'close') {
            expect(result.responses).toHaveLength(1);
            expect(result.closed).toBe(true);
          } else {
            expect(result.responses.map((response) => response.status)).toEqual([result.responses[0]!.status, committed === 0 ? 200 : 409]);
            committed = 1;
          }
        }
        const read = await api.get(`${path(id)}/changesets`);
        expect(committed === 0 ? read.status : read.json.changesets.length).toBe(committed === 0 ? 404 : 1);
      });

      it('reads nothing after a request that says Connection: close', async () => {
        const id = stream('client-closes');
        const last = rawPost(path(id), hostOf(), '{"events":[1]}', { connection: 'close' });
        const followedByJunk = await exchange(running.url, [`${last}junk that is no request\r\n\r\n`]);
        expect(followedByJunk.responses.map((response) => [response.status, response.headers['connection']])).toEqual([[200, 'close']]);
        expect(followedByJunk.closed).toBe(true);
        const followedByCommit = await exchange(running.url, [rawPost(`${path(id)}?expected_last_changeset=1`, hostOf(), '{"events":[2]}', { connection: 'close' }) + rawPost(`${path(id)}?expected_last_changeset=2`, hostOf(), '{"events":[3]}')]);
        expect(followedByCommit.responses.map((response) => response.status)).toEqual([200]);
        expect(followedByCommit.closed).toBe(true);
        expect((await api.get(`${path(id)}/changesets`)).json.changesets.map((changeset: { events: number[] }) => changeset.events)).toEqual([[1], [2]]);
      });

      it('answers pipelined requests in order, each after the ones before it took effect', async () => {
        const id = stream('tA');
        const result = await exchange(
          running.url,
          [rawPost(path(id), hostOf(), '{"events":[1]}') + rawGet(`${path(id)}/changesets`, hostOf()) + rawPost(`${path(id)}?expected_last_changeset=1`, hostOf(), '{"events":[2]}') + rawGet(`${path(id)}/events`, hostOf())],
          { stopAfter: 4 },
        );
        expect(result.responses.map((response) => response.status)).toEqual([200, 200, 200, 200]);
        expect(result.responses[1]!.json.changesets).toHaveLength(1);
        expect(result.responses[2]!.json).toEqual({ stream_id: id, changeset_id: 2 });
        expect(result.responses[3]!.json.events).toEqual([{ id: 1, data: 1 }, { id: 2, data: 2 }]);
      });
    });

    describe.skipIf(options.remote === true)('web pages (ees dev without a token)', () => {
      it('refuses a request from another origin, a form post included, writing nothing', async () => {
        const id = stream('csrf');
        const form = await rawRequest(running.url, {
          method: 'POST',
          path: path(id),
          headers: { 'content-type': 'text/plain', origin: 'https://evil.example', 'content-length': 14 },
          chunks: [Buffer.from('{"events":[1]}')],
        });
        expect(form.status).toBe(403);
        expect(form.json.error).toBe('FORBIDDEN');
        const json = await rawRequest(running.url, {
          method: 'POST',
          path: path(id),
          headers: { 'content-type': 'application/json', origin: 'null', 'content-length': 14 },
          chunks: [Buffer.from('{"events":[1]}')],
        });
        expect(json.status).toBe(403);
        const read = await rawRequest(running.url, { method: 'GET', path: '/changesets', headers: { origin: 'http://localhost:5173' } });
        expect(read.status).toBe(403);
        expect((await api.get(`${path(id)}/changesets`)).status).toBe(404);
        const own = await rawRequest(running.url, { method: 'GET', path: '/version', headers: { origin: running.url } });
        expect(own.status).toBe(200);
      });

      it('answers only to loopback Host names (DNS rebinding)', async () => {
        const port = new URL(running.url).port;
        for (const host of [`rebind.evil.example:${port}`, 'rebind.evil.example', `127.0.0.1.evil.example:${port}`, `localhost.evil.example`]) {
          const response = await rawRequest(running.url, { method: 'GET', path: '/changesets', headers: { host } });
          expect(response.status, host).toBe(403);
          expect(response.json.error, host).toBe('FORBIDDEN');
        }
        for (const host of [`localhost:${port}`, `127.0.0.1:${port}`, `app.localhost:${port}`, '127.0.0.1']) {
          expect((await rawRequest(running.url, { method: 'GET', path: '/version', headers: { host } })).status, host).toBe(200);
        }
      });
    });

    describe.skipIf(options.startWithToken === undefined)('ees dev --token: refused before the body is read', () => {
      const token = 'contract-token-7f3a';
      let guarded: RunningApi;
      beforeAll(async () => {
        guarded = await options.startWithToken!(token);
      });
      afterAll(async () => {
        await guarded?.close();
      });
      const hostOf = (): string => new URL(guarded.url).host;

      it('answers 401 to a large unauthenticated body without waiting for it', async () => {
        // Only the head is sent: a server that waited for the 9 MB would not answer before the deadline.
        const head = `POST /streams/big HTTP/1.1\r\nHost: ${hostOf()}\r\nContent-Type: application/json\r\nContent-Length: 9000000\r\n\r\n`;
        const result = await exchange(guarded.url, [head], { deadlineMs: 5_000 });
        expect(result.responses.map((response) => [response.status, response.json?.error, response.headers['connection']])).toEqual([[401, 'UNAUTHORIZED', 'close']]);
        expect(result.closed).toBe(true);
      });

      it('answers 413, not 100 Continue, to an oversize body that asks first, and 100 to one that fits', async () => {
        const headers = `Host: ${hostOf()}\r\nAuthorization: Bearer ${token}\r\nContent-Type: application/json\r\nExpect: 100-continue\r\n`;
        const oversize = await exchange(guarded.url, [`POST /streams/big HTTP/1.1\r\n${headers}Content-Length: 5242880\r\n\r\n`]);
        expect(oversize.responses.map((response) => [response.status, response.json?.error])).toEqual([[413, 'CHANGESET_TOO_LARGE']]);
        const unauthenticated = await exchange(guarded.url, [`POST /streams/big HTTP/1.1\r\nHost: ${hostOf()}\r\nContent-Type: application/json\r\nExpect: 100-continue\r\nContent-Length: 14\r\n\r\n`]);
        expect(unauthenticated.responses.map((response) => response.status)).toEqual([401]);
        const id = `fits-${run}`;
        const fits = await exchange(guarded.url, [`POST /streams/${id} HTTP/1.1\r\n${headers}Content-Length: 14\r\n\r\n`], {
          stopAfter: 2,
          onResponse: (response, write) => {
            if (response.status === 100) write('{"events":[1]}');
          },
        });
        expect(fits.responses.map((response) => response.status)).toEqual([100, 200]);
      });

      it('takes any Host name with the token, and still refuses other origins', async () => {
        const authorization = `Bearer ${token}`;
        expect((await rawRequest(guarded.url, { method: 'GET', path: '/version', headers: { host: 'ees.lan:3000', authorization } })).status).toBe(200);
        expect((await rawRequest(guarded.url, { method: 'GET', path: '/version', headers: { host: 'ees.lan:3000', authorization, origin: 'https://evil.example' } })).status).toBe(403);
        expect((await rawRequest(guarded.url, { method: 'GET', path: '/version', headers: { host: 'ees.lan:3000' } })).status).toBe(401);
      });
    });

    describe('GET /streams/{stream_id}/changesets and /events', () => {
      it('reads changesets and events, with ranges', async () => {
        const id = stream('reads');
        await api.post(path(id), { events: ['a', 'b'], metadata: { m: 1 } });
        await api.post(`${path(id)}?expected_last_changeset=1`, { events: ['c'] });
        await api.post(`${path(id)}?expected_last_changeset=2`, { events: ['d', 'e'] });
        // The original's keys first, byte for byte; the commit time is an additive key after them.
        expect((await api.get(`${path(id)}/changesets?from=2&to=2`)).text).toMatch(
          new RegExp(`^${escapeRegExp(`{"stream_id":"${id}","changesets":[{"changeset_id":2,"events":["c"],"metadata":{}`)},"committed_at":"${ISO_TIME.source.slice(1, -1)}"}]}$`),
        );
        expect((await api.get(`${path(id)}/changesets?from=0&to=`)).json.changesets).toHaveLength(3);
        expect((await api.get(`${path(id)}/changesets?from=9`)).json).toEqual({ stream_id: id, changesets: [] });
        expect((await api.get(`${path(id)}/events?from=2&to=4`)).text).toBe(
          `{"stream_id":"${id}","events":[{"id":2,"data":"b"},{"id":3,"data":"c"},{"id":4,"data":"d"}]}`,
        );
      });

      it('answers 404 for a stream that does not exist, and 400 for bad ranges', async () => {
        const id = stream('nothing');
        for (const kind of ['changesets', 'events']) {
          const missing = await api.get(`${path(id)}/${kind}`);
          expect(missing.status).toBe(404);
          expect(missing.json).toEqual({ stream_id: id, error: 'STREAM_NOT_FOUND', message: `The specified stream(${id}) doesn't exist` });
        }
        const code = { changesets: 'INVALID_CHANGESET_FILTERING_PARAMS', events: 'INVALID_EVENT_FILTERING_PARAMS' };
        for (const kind of ['changesets', 'events'] as const) {
          expect((await api.get(`${path(id)}/${kind}?from=x`)).json).toEqual({
            stream_id: id,
            error: code[kind],
            message: 'The filtering params(from, to) have to be positive integer values',
          });
          const inverted = await api.get(`${path(id)}/${kind}?from=5&to=3`);
          expect(inverted.status).toBe(400);
          expect(inverted.json.message).toBe('The higher boundary cannot be lower than the lower boundary: 5(from) > 3(to)');
        }
        expect((await api.get('/streams//changesets')).json).toEqual({ error: 'MISSING_STREAM_ID', message: 'stream_id is a required value' });
        expect((await api.get('/streams/%00/events')).json).toEqual(INVALID_STREAM_ID);
      });

      // 1,001 sequential commits: DynamoDB Local on a busy machine needs more than the default 30 s.
      it('pages over 1,000 changesets and 1,000 events with next_from', async () => {
        const id = stream('long');
        const events = Array.from({ length: 1500 }, (_, index) => index + 1);
        await api.post(path(id), { events });
        for (let expected = 1; expected <= 1000; expected++) {
          const response = await api.post(`${path(id)}?expected_last_changeset=${expected}`, { events: [expected] });
          expect(response.status).toBe(200);
        }
        const first = (await api.get(`${path(id)}/changesets`)).json;
        expect(first.changesets).toHaveLength(1000);
        expect(first.next_from).toBe(1001);
        const second = (await api.get(`${path(id)}/changesets?from=${first.next_from}`)).json;
        expect(second.changesets.map((c: { changeset_id: number }) => c.changeset_id)).toEqual([1001]);
        expect(second).not.toHaveProperty('next_from');

        const eventsPage = (await api.get(`${path(id)}/events`)).json;
        expect(eventsPage.events).toHaveLength(1000);
        expect(eventsPage.events.at(-1)).toEqual({ id: 1000, data: 1000 });
        expect(eventsPage.next_from).toBe(1001);
        const lastPage = (await api.get(`${path(id)}/events?from=2001`)).json;
        expect(lastPage.events.map((e: { id: number }) => e.id)).toEqual(Array.from({ length: 500 }, (_, index) => 2001 + index));
        expect(lastPage).not.toHaveProperty('next_from');
      }, 180_000);
    });

    describe('GET /changesets', () => {
      it('walks the global order with limit and next_checkpoint', async () => {
        const start = await head();
        const id = stream('global');
        for (let expected = 0; expected < 3; expected++) await api.post(`${path(id)}?expected_last_changeset=${expected}`, { events: [expected] });
        // Engines that index asynchronously may show the second changeset a moment later.
        let page = (await api.get(`/changesets?checkpoint=${start}&limit=2&wait=5`)).json;
        for (let attempt = 0; attempt < 50 && page.changesets.length < 2; attempt++) {
          await new Promise((resolve) => setTimeout(resolve, 100));
          page = (await api.get(`/changesets?checkpoint=${start}&limit=2&wait=5`)).json;
        }
        expect(page.checkpoint).toBe(start);
        expect(page.limit).toBe(2);
        expect(page.next_checkpoint).toBe(start + 2);
        expect(page.changesets).toEqual([
          { stream_id: id, changeset_id: 1, events: [0], metadata: {}, checkpoint: start, first_event_id: 1, committed_at: expect.stringMatching(ISO_TIME) },
          { stream_id: id, changeset_id: 2, events: [1], metadata: {}, checkpoint: start + 1, first_event_id: 2, committed_at: expect.stringMatching(ISO_TIME) },
        ]);
        const rest = (await api.get(`/changesets?checkpoint=${start + 2}&limit=5000&wait=5`)).json;
        expect(rest.limit).toBe(1000);
        expect(rest.changesets[0]).toMatchObject({ stream_id: id, changeset_id: 3, checkpoint: start + 2 });
        const defaults = (await api.get('/changesets?checkpoint=')).json;
        expect(defaults.checkpoint).toBe(0);
        expect(defaults.limit).toBe(10);
      });

      it('answers an empty page at the head, with next_checkpoint as asked', async () => {
        const far = 10_000_000;
        expect((await api.get(`/changesets?checkpoint=${far}`)).text).toBe(`{"checkpoint":${far},"limit":10,"changesets":[],"next_checkpoint":${far}}`);
      });

      it('refuses bad checkpoint, limit and wait values', async () => {
        const cases: [string, object][] = [
          ['checkpoint=-1', { error: 'INVALID_CHECKPOINT', message: '"-1" is an invalid checkpoint value. Expected a positive integer value.' }],
          ['limit=0', { error: 'INVALID_LIMIT', message: '"0" is an invalid limit value. Expected an integer value greater than 0.' }],
          ['limit=ten', { error: 'INVALID_LIMIT', message: '"ten" is an invalid limit value. Expected an integer value greater than 0.' }],
          ['wait=1.5', { error: 'INVALID_WAIT', message: '"1.5" is an invalid wait value. Expected 0 to 20 seconds.' }],
        ];
        for (const [query, expected] of cases) {
          const response = await api.get(`/changesets?${query}`);
          expect(response.status, query).toBe(400);
          expect(response.json, query).toEqual(expected);
        }
      });

      it('holds a long poll until a commit lands', async () => {
        const start = await head();
        const polling = api.get(`/changesets?checkpoint=${start}&wait=20`);
        let answered = false;
        void polling.then(() => (answered = true));
        // A round trip on another connection: a poll that does not hold has answered by now.
        await api.get('/version');
        expect(answered).toBe(false);
        const id = stream('wake');
        await api.post(path(id), { events: ['wake up'] });
        // The deadline is half the wait: only the commit, not the time limit, can have ended the poll.
        let deadline: NodeJS.Timeout | undefined;
        const outcome = await Promise.race([polling, new Promise<'deadline'>((resolve) => (deadline = setTimeout(() => resolve('deadline'), 10_000)))]);
        clearTimeout(deadline);
        expect(outcome).not.toBe('deadline');
        expect((await polling).json.changesets[0]).toMatchObject({ stream_id: id, checkpoint: start });
      });

      it('answers an empty page when the wait is over', async () => {
        const far = 10_000_000;
        const started = Date.now();
        const page = (await api.get(`/changesets?checkpoint=${far}&wait=1`)).json;
        expect(Date.now() - started).toBeGreaterThanOrEqual(900);
        expect(page.changesets).toEqual([]);
      });
    });

    describe('GET /streams', () => {
      it('projects statistics soon after commits', async () => {
        // Caught up first, so that the difference below is this test's commit alone.
        const settledAt = await head();
        let initial: Record<string, number> = (await api.get('/streams')).json;
        for (let attempt = 0; attempt < 100 && initial['statistics_version']! < settledAt; attempt++) {
          await new Promise((resolve) => setTimeout(resolve, 100));
          initial = (await api.get('/streams')).json;
        }
        const id = stream('stats');
        await api.post(path(id), { events: [1, 2, 3] });
        const target = await head();
        let statistics: Record<string, number> = {};
        for (let attempt = 0; attempt < 100; attempt++) {
          statistics = (await api.get('/streams')).json;
          if (statistics['statistics_version']! >= target) break;
          await new Promise((resolve) => setTimeout(resolve, 100));
        }
        expect(Object.keys(statistics)).toEqual(['total_streams', 'total_changesets', 'total_events', 'max_stream_length', 'statistics_version']);
        expect(statistics['statistics_version']).toBeGreaterThanOrEqual(target);
        // Other tests of this suite do not commit concurrently, so the totals moved by exactly this commit.
        expect(statistics['statistics_version']! - initial['statistics_version']!).toBe(target - settledAt);
        expect(statistics['total_streams']! - initial['total_streams']!).toBe(target - settledAt);
        expect(statistics['total_events']! - initial['total_events']!).toBe(3 * (target - settledAt));
      });
    });

    describe('anything else', () => {
      it('answers 404 INVALID_ENDPOINT for an unknown path', async () => {
        for (const target of ['/', '/nope', '/streams/a/b', '/streams/a/changesets/x', '/version/']) {
          const response = await api.get(target);
          expect(response.status, target).toBe(404);
          expect(response.text, target).toBe('{"error":"INVALID_ENDPOINT","message":"Invalid endpoint"}');
        }
      });

      it('answers 405 METHOD_NOT_ALLOWED for a known path with the wrong method', async () => {
        const cases: [string, string, string][] = [
          ['DELETE', '/version', 'GET'],
          ['POST', '/changesets', 'GET'],
          ['PUT', '/streams/x', 'POST'],
          ['GET', '/streams/x', 'POST'],
          ['POST', '/streams/x/events', 'GET'],
        ];
        for (const [method, target, allowed] of cases) {
          const response = await api.call(method, target);
          expect(response.status, `${method} ${target}`).toBe(405);
          expect(response.json.error).toBe('METHOD_NOT_ALLOWED');
          expect(response.headers['allow']).toBe(allowed);
        }
      });
    });

    describe('consumers', () => {
      const consumerPath = (label: string): string => `/consumers/${label}-${run}-${++counter}`;

      /** Commits one changeset and waits until the global order shows it (engines may index later). */
      async function commitAndSettle(): Promise<number> {
        const before = await head();
        await api.post(path(stream('consumed')), { events: [1] });
        for (let attempt = 0; ; attempt++) {
          const after = await head();
          if (after > before) return after;
          expect(attempt).toBeLessThan(200);
          await new Promise((resolve) => setTimeout(resolve, 50));
        }
      }

      it('creates, reads, advances, lists with the lag, resets and deletes a consumer', async () => {
        const top = await commitAndSettle();
        const target = consumerPath('life');
        const name = target.slice('/consumers/'.length);
        expect((await api.get(target)).json).toEqual({ error: 'CONSUMER_NOT_FOUND', message: `The consumer ${name} does not exist.` });
        const created = await api.post(`${target}?position=0`);
        expect(created.status).toBe(200);
        expect(created.json).toEqual({ name, position: 0, lag: top });
        const advanced = await api.post(`${target}?expected_position=0&position=1`);
        expect(advanced.json).toEqual({ name, position: 1, lag: top - 1 });
        expect((await api.get(target)).json).toEqual({ name, position: 1, lag: top - 1 });
        const listed = (await api.get('/consumers')).json;
        expect(listed.head).toBeGreaterThanOrEqual(top);
        expect(listed.consumers).toContainEqual({ name, position: 1, lag: listed.head - 1 });
        expect((await api.call('PUT', `${target}?position=0`)).json).toMatchObject({ name, position: 0 });
        expect((await api.call('DELETE', target)).json).toEqual({ name, deleted: true });
        expect((await api.call('DELETE', target)).status).toBe(404);
        expect((await api.get(target)).status).toBe(404);
      });

      it('answers 409 CONSUMER_POSITION_CONFLICT with the stored position when the expectation is outdated', async () => {
        await commitAndSettle();
        const target = consumerPath('conflict');
        await api.post(`${target}?position=1`);
        const stale = await api.post(`${target}?expected_position=0&position=1`);
        expect(stale.status).toBe(409);
        expect(stale.json).toMatchObject({ error: 'CONSUMER_POSITION_CONFLICT', position: 1 });
        const again = await api.post(`${target}?position=0`);
        expect(again.status).toBe(409);
        const missing = await api.post(`${consumerPath('missing')}?expected_position=0&position=0`);
        expect(missing.status).toBe(409);
        expect(missing.json.position).toBeUndefined();
        expect((await api.get(target)).json.position).toBe(1);
      });

      it('refuses bad names, bad positions, moving back, and positions beyond the head', async () => {
        for (const bad of ['-x', 'a%20b', 'a'.repeat(101), '%C3%A9']) {
          const response = await api.get(`/consumers/${bad}`);
          expect(response.status, bad).toBe(400);
          expect(response.json.error, bad).toBe('INVALID_CONSUMER_NAME');
        }
        const target = consumerPath('rules');
        for (const query of ['position=x', 'position=-1', '', 'position=1&expected_position=z']) {
          const response = await api.post(`${target}?${query}`);
          expect(response.status, query).toBe(400);
          expect(response.json.error, query).toBe('INVALID_POSITION');
        }
        await commitAndSettle();
        await api.post(`${target}?position=1`);
        const back = await api.post(`${target}?expected_position=1&position=0`);
        expect(back.status).toBe(400);
        expect(back.json.error).toBe('INVALID_POSITION');
        const listed = (await api.get('/consumers')).json;
        const beyond = await api.call('PUT', `${target}?position=${listed.head + 1000}`);
        expect(beyond.status).toBe(409);
        expect(beyond.json.error).toBe('POSITION_BEYOND_HEAD');
        expect((await api.get(target)).json.position).toBe(1);
      });

      it('answers 405 for other methods', async () => {
        const list = await api.post('/consumers');
        expect(list.status).toBe(405);
        expect(list.headers['allow']).toBe('GET');
        const one = await api.call('PATCH', consumerPath('method'));
        expect(one.status).toBe(405);
        expect(one.headers['allow']).toBe('GET, POST, PUT, DELETE');
      });
    });
    describe('finding and retrying: filters, heads, listing, since, Idempotency-Key', () => {
      /** A commit with an Idempotency-Key (signed for a deployed stack). */
      async function postWithKey(target: string, body: string, key: string): Promise<Response> {
        const url = new URL(`${running.url}${target}`);
        const headers: Record<string, string> = { 'content-type': 'application/json', 'idempotency-key': key };
        if (running.sign !== undefined) Object.assign(headers, await running.sign({ method: 'POST', url, headers: { ...headers, host: url.host }, body }));
        return fetch(url, { method: 'POST', body, headers });
      }

      /** Waits for a condition of the store, with a deadline. */
      async function eventually<T>(read: () => Promise<T>, done: (value: T) => boolean): Promise<T> {
        const deadline = Date.now() + 10_000;
        for (;;) {
          const value = await read();
          if (done(value) || Date.now() > deadline) return value;
          await new Promise((resolve) => setTimeout(resolve, 20));
        }
      }

      it('filters the global order by stream prefix and type, and a page that matches nothing still advances', async () => {
        const start = await head();
        const category = stream('order');
        await api.post(path(`${category}-1`), { events: [{ type: 'placed' }] });
        await api.post(path(`x-${category}`), { events: [{ type: 'placed' }] });
        await api.post(`${path(`${category}-1`)}?expected_last_changeset=1`, { events: [{ type: 'shipped' }] });
        await eventually(head, (next) => next >= start + 3);
        const query = `checkpoint=${start}&limit=10&stream_prefix=${encodeURIComponent(category)}&type=placed&type=cancelled`;
        const page = (await api.get(`/changesets?${query}`)).json;
        expect(page.changesets.map((c: { stream_id: string; changeset_id: number }) => `${c.stream_id}#${c.changeset_id}`)).toEqual([`${category}-1#1`]);
        expect(page.changesets[0]).toMatchObject({ first_event_id: 1, committed_at: expect.stringMatching(ISO_TIME) });
        expect(page.next_checkpoint).toBe(start + 3);
        const none = (await api.get(`/changesets?checkpoint=${start}&stream_prefix=nobody-${run}`)).json;
        expect(none).toEqual({ checkpoint: start, limit: 10, changesets: [], next_checkpoint: start + 3 });
        for (const [bad, code] of [
          ['stream_prefix=a&stream_prefix=b', 'INVALID_STREAM_PREFIX'],
          ['stream_prefix=a%2Fb', 'INVALID_STREAM_PREFIX'],
          [Array.from({ length: 21 }, (_, index) => `type=t${index}`).join('&'), 'INVALID_TYPE_FILTER'],
        ]) {
          const refused = await api.get(`/changesets?${bad}`);
          expect(refused.status, bad).toBe(400);
          expect(refused.json.error).toBe(code);
        }
      });

      it('holds a filtered long poll through commits that do not match, and answers when one does', async () => {
        const from = await head();
        const category = stream('wake');
        const polling = api.get(`/changesets?checkpoint=${from}&wait=10&stream_prefix=${encodeURIComponent(category)}`);
        let answered = false;
        void polling.then(() => (answered = true)); // only observed below
        await api.post(path(stream('not-matching')), { events: [1] });
        await eventually(head, (next) => next > from);
        expect(answered).toBe(false);
        await api.post(path(`${category}-1`), { events: [2] });
        const page = (await polling).json;
        expect(page.changesets.map((c: { stream_id: string }) => c.stream_id)).toEqual([`${category}-1`]);
        expect(page.next_checkpoint).toBe(page.changesets[0].checkpoint + 1);
      });

      it('reads a stream head and lists streams by prefix, paged by next_after', async () => {
        const prefix = stream('listed');
        for (const suffix of ['b', 'a', 'c']) await api.post(path(`${prefix}-${suffix}`), { events: [suffix] });
        await api.post(`${path(`${prefix}-a`)}?expected_last_changeset=1`, { events: [1, 2] });
        const headOf = await api.get(`${path(`${prefix}-a`)}/head`);
        expect(headOf.json).toEqual({ stream_id: `${prefix}-a`, last_changeset_id: 2, last_event_id: 3, committed_at: expect.stringMatching(ISO_TIME) });
        expect(Object.keys(headOf.json)).toEqual(['stream_id', 'last_changeset_id', 'last_event_id', 'committed_at']);
        const missing = await api.get(`${path(stream('none'))}/head`);
        expect(missing.status).toBe(404);
        expect(missing.json.error).toBe('STREAM_NOT_FOUND');
        const first = (await eventually(() => api.get(`/stream-heads?prefix=${encodeURIComponent(prefix)}&limit=2`), (r) => r.json?.streams?.length === 2)).json;
        expect(first.prefix).toBe(prefix);
        expect(first.streams.map((s: { stream_id: string }) => s.stream_id)).toEqual([`${prefix}-a`, `${prefix}-b`]);
        expect(first.next_after).toBe(`${prefix}-b`);
        const second = (await api.get(`/stream-heads?prefix=${encodeURIComponent(prefix)}&limit=2&after=${encodeURIComponent(first.next_after)}`)).json;
        expect(second).toEqual({ prefix, streams: [{ stream_id: `${prefix}-c`, last_changeset_id: 1, last_event_id: 1, committed_at: expect.stringMatching(ISO_TIME) }] });
        for (const [bad, code] of [
          ['limit=0', 'INVALID_STREAM_LISTING_PARAMS'],
          ['limit=x', 'INVALID_STREAM_LISTING_PARAMS'],
          ['after=a%2Fb', 'INVALID_STREAM_LISTING_PARAMS'],
          ['prefix=%01', 'INVALID_STREAM_PREFIX'],
        ]) {
          const refused = await api.get(`/stream-heads?${bad}`);
          expect(refused.status, bad).toBe(400);
          expect(refused.json.error).toBe(code);
        }
        // The original's statistics route is unchanged.
        expect(Object.keys((await api.get('/streams')).json)).toEqual(['total_streams', 'total_changesets', 'total_events', 'max_stream_length', 'statistics_version']);
      });

      it('starts the global order at a time with since, instead of checkpoint', async () => {
        const id = stream('since');
        await api.post(path(id), { events: [1] });
        const from = await eventually(head, (next) => next > 0);
        const last = (await api.get(`/changesets?checkpoint=${from - 1}`)).json.changesets[0];
        const page = (await api.get(`/changesets?since=${encodeURIComponent(last.committed_at)}&limit=1000`)).json;
        expect(page.checkpoint).toBeLessThanOrEqual(last.checkpoint);
        // Never late: none of the changesets just before where it landed was committed at or after the time.
        const start = Math.max(0, page.checkpoint - 1000);
        const before = (await api.get(`/changesets?checkpoint=${start}&limit=${Math.max(1, page.checkpoint - start)}`)).json.changesets.filter((c: { checkpoint: number }) => c.checkpoint < page.checkpoint);
        expect(before.filter((c: { committed_at: string }) => c.committed_at >= last.committed_at)).toEqual([]);
        expect(page.changesets.some((c: { checkpoint: number }) => c.checkpoint === last.checkpoint)).toBe(true);
        const future = (await api.get('/changesets?since=9999-01-01T00:00:00Z')).json;
        expect(future.changesets).toEqual([]);
        for (const bad of ['since=yesterday', 'since=2026-12-01', 'since=2026-12-01T10:00:00Z&checkpoint=3', 'since=a&since=b']) {
          const refused = await api.get(`/changesets?${bad}`);
          expect(refused.status, bad).toBe(400);
          expect(refused.json.error).toBe('INVALID_SINCE');
        }
      });

      it('answers a retried commit with its original changeset and a replay header; another body with the key is 422', async () => {
        const id = stream('idempotent');
        const fetchWithKey = async (target: string, body: unknown, key: string) => {
          const response = await postWithKey(target, JSON.stringify(body), key);
          return { status: response.status, replayed: response.headers.get('idempotent-replayed'), text: await response.text() };
        };
        const first = await fetchWithKey(path(id), { events: ['a'] }, 'k-1');
        expect(first).toEqual({ status: 200, replayed: null, text: `{"stream_id":"${id}","changeset_id":1}` });
        await api.post(`${path(id)}?expected_last_changeset=1`, { events: ['b'] });
        expect(await fetchWithKey(path(id), { events: ['a'] }, 'k-1')).toEqual({ status: 200, replayed: 'true', text: `{"stream_id":"${id}","changeset_id":1}` });
        const reused = await fetchWithKey(path(id), { events: ['other'] }, 'k-1');
        expect(reused.status).toBe(422);
        expect(JSON.parse(reused.text).error).toBe('IDEMPOTENCY_KEY_REUSED');
        const invalid = await fetchWithKey(path(id), { events: ['a'] }, 'no spaces');
        expect(invalid.status).toBe(400);
        expect(JSON.parse(invalid.text).error).toBe('INVALID_IDEMPOTENCY_KEY');
        expect((await api.get(`${path(id)}/changesets`)).json.changesets).toHaveLength(2);
      });

      it.skipIf(options.remote === true)('stores one changeset when the connection is cut after the server committed, and the retry is answered as a replay', async () => {
        const id = stream('cut');
        const target = new URL(running.url);
        const body = JSON.stringify({ events: [{ type: 'paid' }] });
        const request = `POST ${path(id)} HTTP/1.1\r\nHost: ${target.host}\r\nContent-Type: application/json\r\nIdempotency-Key: cut-1\r\nContent-Length: ${Buffer.byteLength(body)}\r\n\r\n${body}`;
        const socket = connect({ host: target.hostname, port: Number(target.port) });
        socket.on('error', () => {});
        socket.write(request);
        // Cut once the commit is stored, before reading any answer.
        const stored = await eventually(() => api.get(`${path(id)}/head`), (r) => r.status === 200);
        expect(stored.status).toBe(200);
        socket.destroy();
        const [retry, racing] = await Promise.all(
          ['cut-1', 'cut-1'].map(async (key) => {
            const response = await postWithKey(path(id), body, key);
            return { status: response.status, replayed: response.headers.get('idempotent-replayed'), json: await response.json() };
          }),
        );
        for (const answer of [retry, racing]) expect(answer).toEqual({ status: 200, replayed: 'true', json: { stream_id: id, changeset_id: 1 } });
        expect((await api.get(`${path(id)}/changesets`)).json.changesets).toHaveLength(1);
      });

      it('stores one changeset when a commit and its retry race', async () => {
        const id = stream('racing');
        const body = JSON.stringify({ events: ['once'] });
        const answers = await Promise.all(
          Array.from({ length: 4 }, async () => {
            const response = await postWithKey(path(id), body, 'race-1');
            return { status: response.status, replayed: response.headers.get('idempotent-replayed'), text: await response.text() };
          }),
        );
        expect(answers.map((answer) => answer.status)).toEqual([200, 200, 200, 200]);
        expect(answers.filter((answer) => answer.replayed === 'true')).toHaveLength(3);
        expect(new Set(answers.map((answer) => answer.text))).toEqual(new Set([`{"stream_id":"${id}","changeset_id":1}`]));
        expect((await api.get(`${path(id)}/changesets`)).json.changesets).toHaveLength(1);
      });
    });
  });
}
