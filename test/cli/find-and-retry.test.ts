import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { EesClient } from '../../src/client/http-client.js';
import { runCli } from '../support/processes.js';
import { startTestStore } from '../support/store.js';

/**
 * A loopback proxy in front of the store that forwards the first `cut` commits and then drops the
 * client's connection instead of answering: the server committed, the client never hears it.
 */
async function startCuttingProxy(target: string, cut: number): Promise<{ url: string; commitsSeen: () => number; close: () => Promise<void> }> {
  let commits = 0;
  const server: Server = createServer((request, response) => {
    const parts: Buffer[] = [];
    request.on('data', (part: Buffer) => parts.push(part));
    request.on('end', () => {
      void (async () => {
        const headers = Object.fromEntries(Object.entries(request.headers).filter(([name]) => !['host', 'connection', 'content-length'].includes(name))) as Record<string, string>;
        const forwarded = await fetch(`${target}${request.url}`, { method: request.method!, headers, ...(parts.length > 0 ? { body: Buffer.concat(parts) } : {}) });
        const text = await forwarded.text();
        if (request.method === 'POST' && ++commits <= cut) {
          request.socket.destroy();
          return;
        }
        response.writeHead(forwarded.status, Object.fromEntries(forwarded.headers));
        response.end(text);
      })(); // errors end the connection, which the test sees as the client's failure
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    commitsSeen: () => commits,
    close: () => new Promise((resolve) => server.close(() => resolve())),
  };
}

describe('finding and retrying from the CLI', () => {
  let store: Awaited<ReturnType<typeof startTestStore>>;
  let client: EesClient;
  let env: Record<string, string>;

  beforeAll(async () => {
    store = await startTestStore();
    client = new EesClient({ endpoint: store.url });
    env = { EES_ENDPOINT: store.url };
    for (const [stream, type] of [['account-1', 'opened'], ['order-1', 'placed'], ['account-2', 'closed'], ['account-1', 'deposited']] as const) {
      const head = await client.streamHead(stream).catch(() => undefined);
      await client.commit(stream, { events: [{ type }] }, { changeset: head?.last_changeset_id ?? 0 });
    }
  });
  afterAll(async () => {
    await client.close();
    await store.dispose();
  });

  it('tails the global order filtered by stream prefix and type, and from a time', async () => {
    const filtered = await runCli(['tail', '--from-checkpoint', '0', '--stream-prefix', 'account-', '--type', 'opened', '--type', 'closed', '--json'], { env });
    expect(filtered.code).toBe(0);
    const lines = filtered.stdout.trim().split('\n').map((line) => JSON.parse(line) as { stream_id: string; changeset_id: number });
    expect(lines.map((line) => `${line.stream_id}#${line.changeset_id}`)).toEqual(['account-1#1', 'account-2#1']);
    const recent = await runCli(['tail', '--since', '1h', '--json'], { env });
    expect(recent.code).toBe(0);
    expect(recent.stdout.trim().split('\n')).toHaveLength(4);
    const future = await runCli(['tail', '--since', '2999-01-01T00:00:00Z', '--json'], { env });
    expect(future.stdout).toBe('');
    const bad = await runCli(['tail', '--since', 'yesterday'], { env });
    expect(bad.code).toBe(2);
    expect(bad.stderr).toMatch(/^ees: --since "yesterday" is neither/);
  });

  it('lists streams by prefix and shows a stream head with its commit time', async () => {
    const listed = await runCli(['streams', 'account-', '--json'], { env });
    expect(listed.code).toBe(0);
    expect(listed.stdout.trim().split('\n').map((line) => JSON.parse(line))).toEqual([
      { stream_id: 'account-1', last_changeset_id: 2, last_event_id: 2, committed_at: expect.any(String) },
      { stream_id: 'account-2', last_changeset_id: 1, last_event_id: 1, committed_at: expect.any(String) },
    ]);
    expect((await runCli(['streams', '--json', '--limit', '1', '-n', '3'], { env })).stdout.trim().split('\n')).toHaveLength(3);
    const info = await runCli(['info', 'account-1', '--json'], { env });
    expect(JSON.parse(info.stdout)).toEqual({ stream_id: 'account-1', last_changeset_id: 2, last_event_id: 2, committed_at: expect.any(String) });
  });

  it('retries a commit whose answer was lost with the same commit id, and stores it once', async () => {
    const proxy = await startCuttingProxy(store.url, 1);
    try {
      const result = await runCli(['append', 'paid-once', '--json', '--verbose'], { input: '[{"type":"paid"}]', env: { EES_ENDPOINT: proxy.url } });
      expect(result.stderr).toMatch(/retrying with the same commit id/);
      expect(result.code).toBe(0);
      expect(JSON.parse(result.stdout)).toEqual({ stream_id: 'paid-once', changeset_id: 1, replayed: true });
      expect(proxy.commitsSeen()).toBe(2);
      const stored = [];
      for await (const page of client.readStream('paid-once', 'changesets')) stored.push(...page);
      expect(stored).toHaveLength(1);
    } finally {
      await proxy.close();
    }
  });

  it('exits 7 after its last attempt when no answer ever comes, naming the commit id to retry with', async () => {
    const proxy = await startCuttingProxy(store.url, 100);
    try {
      const result = await runCli(['append', 'never-answered'], { input: '[1]', env: { EES_ENDPOINT: proxy.url } });
      expect(result.code).toBe(7);
      const commitId = /--commit-id (\S+?)\)? /.exec(result.stderr)?.[1];
      expect(commitId).toBeDefined();
      expect(proxy.commitsSeen()).toBe(4);
      const retried = await runCli(['append', 'never-answered', '--commit-id', commitId!, '--json'], { input: '[1]', env });
      expect(JSON.parse(retried.stdout)).toEqual({ stream_id: 'never-answered', changeset_id: 1, replayed: true });
    } finally {
      await proxy.close();
    }
  });
});
