import { connect, type Socket } from 'node:net';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SqliteEngine } from '../../src/engines/sqlite/engine.js';
import { createApiHandler } from '../../src/http/handler.js';
import { startNodeHost, type RunningHost } from '../../src/http/node-host.js';
import { apiClient, rawRequest } from '../support/http.js';

describe('resource limits of the node:http host', () => {
  const directory = mkdtempSync(join(tmpdir(), 'ees-limits-'));
  let engine: SqliteEngine;
  let host: RunningHost;
  let port: number;

  beforeAll(async () => {
    engine = new SqliteEngine({ path: join(directory, 'ees.sqlite') });
    // Short timeouts so that the test does not wait for the production ones (10 s for headers).
    host = await startNodeHost(createApiHandler({ engine, serverVersion: 'test' }), {
      host: '127.0.0.1',
      port: 0,
      timeouts: { headersMs: 500, requestMs: 1_000, checkIntervalMs: 100 },
    });
    port = host.port;
  });
  afterAll(async () => {
    await host.close();
    await engine.close();
    rmSync(directory, { recursive: true, force: true });
  });

  it('cuts off a client that trickles its headers', async () => {
    const socket = connect(port, '127.0.0.1');
    await new Promise((resolve) => socket.once('connect', resolve));
    let received = '';
    socket.on('data', (chunk: Buffer) => (received += chunk.toString()));
    const closed = new Promise<void>((resolve) => socket.once('close', () => resolve()));
    socket.write('GET /version HTTP/1.1\r\nHost: 127.0.0.1\r\n');
    // One header byte every 100 ms: 60 of them would take 6 s, far past the 0.5 s allowed.
    const header = 'X-Slow: ' + 'a'.repeat(52);
    let sent = 0;
    let open = true;
    void closed.then(() => (open = false));
    while (open && sent < header.length) {
      socket.write(header[sent++]!);
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    await closed;
    expect(sent).toBeLessThan(header.length);
    expect(received).toMatch(/^HTTP\/1\.1 408 /);
    expect(JSON.parse(received.slice(received.indexOf('\r\n\r\n') + 4))).toMatchObject({ error: 'REQUEST_TIMEOUT' });
  });

  it('keeps serving with two thousand idle connections open', async () => {
    const sockets: Socket[] = [];
    try {
      for (let index = 0; index < 2_000; index++) sockets.push(connect(port, '127.0.0.1'));
      await Promise.all(sockets.map((socket) => new Promise((resolve, reject) => socket.once('connect', resolve).once('error', reject))));
      const response = await apiClient(host.url).post('/streams/busy-server', { events: [1] });
      expect(response.status).toBe(200);
      expect((await apiClient(host.url).get('/streams/busy-server/events')).json.events).toEqual([{ id: 1, data: 1 }]);
    } finally {
      for (const socket of sockets) socket.destroy();
    }
  });

  it('refuses a 100 MB body without reading it into memory', async () => {
    const chunk = Buffer.alloc(1024 * 1024, 0x20);
    const before = process.memoryUsage().rss;
    const declared = await rawRequest(host.url, {
      method: 'POST',
      path: '/streams/huge',
      headers: { 'content-length': 100 * chunk.length, 'content-type': 'application/json' },
      chunks: (function* () {
        for (let index = 0; index < 100; index++) yield chunk;
      })(),
    });
    expect(declared.status).toBe(413);
    expect(declared.bytesWritten).toBeLessThan(30 * chunk.length);

    const streamed = await rawRequest(host.url, {
      method: 'POST',
      path: '/streams/huge',
      headers: { 'transfer-encoding': 'chunked', 'content-type': 'application/json' },
      chunks: (function* () {
        for (let index = 0; index < 100; index++) yield chunk;
      })(),
    });
    expect(streamed.status).toBe(413);
    expect(streamed.bytesWritten).toBeLessThan(30 * chunk.length);
    // Client and server share this process: neither held the 100 MB.
    expect(process.memoryUsage().rss - before).toBeLessThan(60 * chunk.length);
    expect((await apiClient(host.url).get('/streams/huge/changesets')).status).toBe(404);
  });
});
