import { mkdtempSync, rmSync } from 'node:fs';
import { connect, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { emulateApiGateway } from '../../src/dev/api-gateway-emulation.js';
import { SqliteEngine } from '../../src/engines/sqlite/engine.js';
import { createApiHandler } from '../../src/http/handler.js';
import { startNodeHost, type RunningHost } from '../../src/http/node-host.js';
import type { ApiRequest, ApiResponse, ServedApiHandler } from '../../src/http/types.js';
import { apiGatewayHandler } from '../../src/lambda/api-gateway.js';

/** The handler, with a way to learn when it was called and when it answered. */
function observed(inner: ServedApiHandler): { handler: ServedApiHandler; entered: Promise<void>; answered: Promise<void> } {
  let entered!: () => void;
  let answered!: () => void;
  const enteredPromise = new Promise<void>((resolve) => (entered = resolve));
  const answeredPromise = new Promise<void>((resolve) => (answered = resolve));
  const handler = Object.assign(
    async (request: ApiRequest): Promise<ApiResponse> => {
      entered();
      try {
        return await inner(request);
      } finally {
        answered();
      }
    },
    { responses: inner.responses },
  );
  return { handler, entered: enteredPromise, answered: answeredPromise };
}

/** 'settled' if `promise` settles within `ms`, else 'deadline'. */
function withDeadline(promise: Promise<unknown>, ms: number): Promise<'settled' | 'deadline'> {
  let timer: NodeJS.Timeout | undefined;
  const deadline = new Promise<'deadline'>((resolve) => (timer = setTimeout(() => resolve('deadline'), ms)));
  return Promise.race([promise.then(() => 'settled' as const), deadline]).finally(() => clearTimeout(timer));
}

function open(host: RunningHost): Promise<Socket> {
  return new Promise((resolve, reject) => {
    const socket = connect({ host: '127.0.0.1', port: host.port }, () => resolve(socket)).once('error', reject);
  });
}

describe('node host lifecycle', () => {
  let directory: string;
  let engine: SqliteEngine;
  let host: RunningHost | undefined;
  const sockets: Socket[] = [];

  beforeEach(() => {
    directory = mkdtempSync(join(tmpdir(), 'ees-host-'));
    engine = new SqliteEngine({ path: join(directory, 'ees.sqlite') });
  });
  afterEach(async () => {
    for (const socket of sockets) socket.destroy();
    await host?.close();
    host = undefined;
    await engine.close();
    rmSync(directory, { recursive: true, force: true });
  });

  it('a second close() resolves only once the shutdown has ended', async () => {
    const { handler, entered } = observed(createApiHandler({ engine, serverVersion: 'test' }));
    host = await startNodeHost(handler, { host: '127.0.0.1', port: 0 });
    // A commit whose body is still arriving keeps the shutdown waiting for it.
    const socket = await open(host);
    sockets.push(socket);
    const body = '{"events":[1]}';
    socket.write(`POST /streams/s HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\nContent-Length: ${body.length}\r\n\r\n${body.slice(0, 5)}`);
    await entered;
    let serverClosed = false;
    const first = host.close();
    host.server.once('close', () => (serverClosed = true));
    const secondSawClosedServer = host.close().then(() => serverClosed);
    socket.write(body.slice(5));
    expect(await secondSawClosedServer).toBe(true);
    await first;
  });

  const servers: [string, (inner: ServedApiHandler) => ServedApiHandler][] = [
    ['the node host', (inner) => inner],
    ['the API Gateway emulation (ees dev --engine dynamodb)', (inner) => emulateApiGateway(apiGatewayHandler(inner), inner.responses)],
  ];
  for (const [name, serve] of servers) {
    it(`ends a long poll whose client goes away, through ${name}`, async () => {
      const { handler, entered, answered } = observed(createApiHandler({ engine, serverVersion: 'test' }));
      host = await startNodeHost(serve(handler), { host: '127.0.0.1', port: 0 });
      const socket = await open(host);
      sockets.push(socket);
      socket.write('GET /changesets?checkpoint=0&wait=20 HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n');
      await entered;
      socket.destroy();
      // Nothing is committed: only the client's going away can end the poll before its 20 s.
      expect(await withDeadline(answered, 10_000)).toBe('settled');
    });
  }
});
