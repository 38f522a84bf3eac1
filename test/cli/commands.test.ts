import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runCommand } from '@oclif/test';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { EesClient } from '../../src/client/http-client.js';
import { startTestStore } from '../support/store.js';

type Store = Awaited<ReturnType<typeof startTestStore>>;

const jsonLines = (stdout: string): unknown[] =>
  stdout
    .split('\n')
    .filter((line) => line !== '')
    .map((line) => JSON.parse(line) as unknown);

describe('client commands, in-process', () => {
  let store: Store;
  let client: EesClient;
  const directory = mkdtempSync(join(tmpdir(), 'ees-cli-'));
  const file = (name: string, content: string): string => {
    const path = join(directory, name);
    writeFileSync(path, content);
    return path;
  };
  const ees = (...args: string[]) => runCommand(args, { root: process.cwd() });

  beforeAll(async () => {
    store = await startTestStore();
    client = new EesClient({ endpoint: store.url });
    process.env['EES_ENDPOINT'] = store.url;
  });
  afterAll(async () => {
    delete process.env['EES_ENDPOINT'];
    await client.close();
    await store.dispose();
    rmSync(directory, { recursive: true, force: true });
  });
  afterEach(() => {
    process.exitCode = undefined;
  });

  describe('append', () => {
    it('commits each input format and prints the API response as JSON when not at a terminal', async () => {
      const inputs = ['{"events": [{"type": "a"}], "metadata": {"by": "cli"}}', '[1, 2, 3]', '{"n": 1}\n{"n": 2}\n'];
      for (const [index, content] of inputs.entries()) {
        const { stdout, error } = await ees('append', 'formats', '--expect', String(index), '--file', file(`in-${index}.json`, content));
        expect(error).toBeUndefined();
        expect(JSON.parse(stdout)).toEqual({ stream_id: 'formats', changeset_id: index + 1 });
      }
      const stored = [];
      for await (const page of client.readStream('formats', 'changesets')) stored.push(...page);
      expect(stored.map((c) => [c.events, c.metadata])).toEqual([
        [[{ type: 'a' }], { by: 'cli' }],
        [[1, 2, 3], {}],
        [[{ n: 1 }, { n: 2 }], {}],
      ]);
    });

    it('commits with --expect-event and --metadata', async () => {
      await ees('append', 'by-event', '--file', file('e1.json', '[1, 2]'));
      const { stdout } = await ees('append', 'by-event', '--expect-event', '2', '--metadata', '{"user":"ann"}', '--file', file('e2.json', '[3]'));
      expect(JSON.parse(stdout)).toEqual({ stream_id: 'by-event', changeset_id: 2 });
      const [, second] = (await client.readStream('by-event', 'changesets').next()).value!;
      expect(second!.metadata).toEqual({ user: 'ann' });
    });

    it('exits 3 on a conflict, with one line on stderr and the 409 body on stdout', async () => {
      await ees('append', 'conflict', '--file', file('c1.json', '[1]'));
      const { stdout, stderr, error } = await ees('append', 'conflict', '--json', '--file', file('c2.json', '[2]'));
      expect(error?.oclif?.exit).toBe(3);
      expect(stderr.trim().split('\n')).toHaveLength(1);
      expect(stderr).toMatch(/^ees: Conflict: "conflict" has moved past changeset 0; 1 changeset\(s\) were committed after it/);
      expect(JSON.parse(stdout)).toMatchObject({
        error: 'OPTIMISTIC_CONCURRENCY_EXCEPTION',
        forthcoming_changesets: [{ changeset_id: 1, events: [1], metadata: {} }],
      });
    });

    it('exits 2 on bad input without reaching the server', async () => {
      const cases: string[][] = [
        ['append', 'bad', '--file', file('bad.json', '{"events": [1')],
        ['append', 'bad', '--file', join(directory, 'missing.json')],
        ['append', 'bad', '--file', file('empty.json', '[]')],
        ['append', 'bad', '--expect', '-1', '--file', file('ok.json', '[1]')],
        ['append', 'bad', '--expect', '1', '--expect-event', '1', '--file', file('ok.json', '[1]')],
        ['append', 'a/b', '--file', file('ok.json', '[1]')],
        ['append', 'bad', '--file', file('large.json', JSON.stringify(['x'.repeat(400_001)]))],
        ['append', 'bad', '--metadata', '[1]', '--file', file('ok.json', '[1]')],
      ];
      for (const args of cases) {
        const { stderr, error } = await ees(...args);
        expect(error?.oclif?.exit, args.join(' ')).toBe(2);
        expect(stderr.trim().split('\n'), `${args.join(' ')}: ${stderr}`).toHaveLength(1);
        expect(stderr).toMatch(/^ees: /);
      }
      await expect(client.readStream('bad', 'changesets').next()).rejects.toMatchObject({ code: 'STREAM_NOT_FOUND' });
    });

    it('shows the stack trace only with --verbose', async () => {
      const quiet = await ees('append', 'v', '--file', join(directory, 'nope.json'));
      expect(quiet.stderr).not.toMatch(/\n\s+at /);
      const verbose = await ees('append', 'v', '--verbose', '--file', join(directory, 'nope.json'));
      expect(verbose.stderr).toMatch(/\n\s+at /);
    });
  });

  describe('read', () => {
    it('pages through more than 1,000 changesets transparently', async () => {
      for (let expected = 0; expected < 1003; expected++) await client.commit('long', { events: [expected] }, { changeset: expected });
      const { stdout } = await ees('read', 'long');
      const lines = jsonLines(stdout) as { changeset_id: number; events: number[] }[];
      expect(lines).toHaveLength(1003);
      expect(lines.map((line) => line.changeset_id)).toEqual(Array.from({ length: 1003 }, (_, index) => index + 1));
      const { stdout: events } = await ees('read', 'long', '--events', '--from', '999', '--to', '1002');
      expect(jsonLines(events)).toEqual([999, 1000, 1001, 1002].map((id) => ({ stream_id: 'long', event_id: id, data: id - 1 })));
    });

    it('exits 4 for a stream that does not exist', async () => {
      const { stderr, error } = await ees('read', 'no-such-stream');
      expect(error?.oclif?.exit).toBe(4);
      expect(stderr).toBe("ees: The specified stream(no-such-stream) doesn't exist\n");
    });
  });

  describe('tail', () => {
    it('dumps the global order as JSON Lines, with checkpoints, and events with their ids', async () => {
      await client.commit('tail-a', { events: ['a1', 'a2'] }, { changeset: 0 });
      await client.commit('tail-b', { events: ['b1'] }, { changeset: 0 });
      await client.commit('tail-a', { events: ['a3'] }, { changeset: 1 });
      const { stdout } = await ees('tail', '--from-checkpoint', '0', '--limit', '7');
      const lines = jsonLines(stdout) as { stream_id: string; checkpoint: number }[];
      expect(lines.map((line) => line.checkpoint)).toEqual(lines.map((_, index) => index));
      const head = lines.length;
      const { stdout: events } = await ees('tail', '--from-checkpoint', String(head - 3), '--events');
      expect(jsonLines(events)).toEqual([
        { stream_id: 'tail-a', changeset_id: 1, event_id: 1, checkpoint: head - 3, committed_at: expect.any(String), data: 'a1' },
        { stream_id: 'tail-a', changeset_id: 1, event_id: 2, checkpoint: head - 3, committed_at: expect.any(String), data: 'a2' },
        { stream_id: 'tail-b', changeset_id: 1, event_id: 1, checkpoint: head - 2, committed_at: expect.any(String), data: 'b1' },
        { stream_id: 'tail-a', changeset_id: 2, event_id: 3, checkpoint: head - 1, committed_at: expect.any(String), data: 'a3' },
      ]);
      // Starting mid-stream, the event numbering is learnt from the stream.
      const { stdout: late } = await ees('tail', '--from-checkpoint', String(head - 1), '--events');
      expect(jsonLines(late)).toEqual([{ stream_id: 'tail-a', changeset_id: 2, event_id: 3, checkpoint: head - 1, committed_at: expect.any(String), data: 'a3' }]);
    });

    it('prints one stream from a changeset id', async () => {
      const { stdout } = await ees('tail', 'tail-a', '--from', '2');
      expect(jsonLines(stdout)).toEqual([{ stream_id: 'tail-a', changeset_id: 2, events: ['a3'], metadata: {}, committed_at: expect.any(String) }]);
    });

    it('resumes from a checkpoint file with no duplicate and no gap', async () => {
      const checkpointFile = join(directory, 'projection.checkpoint');
      const first = jsonLines((await ees('tail', '--checkpoint-file', checkpointFile, '--limit', '5')).stdout) as { checkpoint: number }[];
      const saved = Number(readFileSync(checkpointFile, 'utf8'));
      expect(saved).toBe(first.at(-1)!.checkpoint + 1);
      await client.commit('resume', { events: [1] }, { changeset: 0 });
      await client.commit('resume', { events: [2] }, { changeset: 1 });
      const second = jsonLines((await ees('tail', '--checkpoint-file', checkpointFile)).stdout) as { checkpoint: number; stream_id: string }[];
      expect(second.map((line) => line.checkpoint)).toEqual([saved, saved + 1]);
      expect(second.every((line) => line.stream_id === 'resume')).toBe(true);
      expect(Number(readFileSync(checkpointFile, 'utf8'))).toBe(saved + 2);
      const third = await ees('tail', '--checkpoint-file', checkpointFile);
      expect(third.stdout).toBe('');
    });

    it('refuses a corrupt checkpoint file and contradictory flags with exit 2', async () => {
      const corrupt = file('corrupt.checkpoint', 'twelve');
      for (const args of [
        ['tail', '--checkpoint-file', corrupt],
        ['tail', 'tail-a', '--from-checkpoint', '3'],
        ['tail', '--from', '3'],
        ['tail', '--limit', '0'],
      ]) {
        const { error, stderr } = await ees(...args);
        expect(error?.oclif?.exit, args.join(' ')).toBe(2);
        expect(stderr.trim().split('\n')).toHaveLength(1);
      }
    });
  });

  describe('status and unreachable targets', () => {
    it('reports the target, its version and round trip', async () => {
      const { stdout } = await ees('status');
      expect(JSON.parse(stdout)).toMatchObject({ endpoint: store.url, source: 'env', reachable: true, version: '0.0.1', server: 'ees/0.1.0' });
      expect(JSON.parse(stdout).round_trip_ms).toBeGreaterThan(0);
    });

    it('exits 5 naming the endpoint when nothing answers', async () => {
      const closed = createServer();
      await new Promise<void>((resolve) => closed.listen(0, '127.0.0.1', resolve));
      const port = (closed.address() as AddressInfo).port;
      await new Promise((resolve) => closed.close(resolve));
      const endpoint = `http://127.0.0.1:${port}`;
      for (const args of [['status'], ['read', 'x'], ['append', 'x', '--file', file('u.json', '[1]')]]) {
        const { stderr, error } = await ees(...args, '--endpoint', endpoint);
        expect(error?.oclif?.exit, args[0]).toBe(5);
        expect(stderr).toContain(`Cannot reach ${endpoint}`);
      }
    });
  });

  describe('servers that refuse or fail', () => {
    let server: Server;
    let endpoint: string;
    let requests = 0;
    beforeAll(async () => {
      server = createServer((request, response) => {
        requests++;
        if (request.url?.startsWith('/version')) {
          response.writeHead(403, { 'content-type': 'application/json' }).end('{"message":"Missing Authentication Token"}');
        } else if (request.url?.startsWith('/streams/denied')) {
          response.writeHead(401, { 'content-type': 'application/json' }).end('{"error":"UNAUTHORIZED","message":"A bearer token is required."}');
        } else {
          response.writeHead(503).end('busy');
        }
      });
      await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
      endpoint = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    });
    afterAll(() => new Promise((resolve) => server.close(resolve)));

    it('exits 6 when authentication or authorisation is refused', async () => {
      const forbidden = await ees('status', '--endpoint', endpoint);
      expect(forbidden.error?.oclif?.exit).toBe(6);
      expect(forbidden.stderr).toContain('Missing Authentication Token');
      const unauthorized = await ees('read', 'denied', '--endpoint', endpoint);
      expect(unauthorized.error?.oclif?.exit).toBe(6);
    });

    it('retries reads on 5xx with backoff, never commits, and then exits 1', async () => {
      requests = 0;
      const read = await ees('read', 'flaky', '--endpoint', endpoint);
      expect(read.error?.oclif?.exit).toBe(1);
      expect(requests).toBe(4);
      requests = 0;
      const append = await ees('append', 'flaky', '--endpoint', endpoint, '--file', file('f.json', '[1]'));
      expect(append.error?.oclif?.exit).toBe(1);
      expect(requests).toBe(1);
    });
  });
});
