import { createServer, STATUS_CODES, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { EesError, httpStatusOf } from '../core/errors.js';
import { PACKAGE_VERSION } from '../version.js';
import { renderError } from './render.js';
import type { ApiHandler, ApiRequest } from './types.js';

export interface NodeHostOptions {
  readonly host: string;
  /** 0 picks a free port. */
  readonly port: number;
  /** Overrides of SERVER_TIMEOUTS (tests use short ones). */
  readonly timeouts?: Partial<typeof SERVER_TIMEOUTS>;
}

export interface RunningHost {
  readonly url: string;
  readonly port: number;
  readonly server: Server;
  /** Stops accepting, ends long polls, lets in-flight requests finish, then resolves. */
  close(): Promise<void>;
}

/** Timeouts so that a slow or idle client cannot pin the server. */
export const SERVER_TIMEOUTS = {
  headersMs: 10_000,
  requestMs: 30_000,
  keepAliveMs: 5_000,
  /** Longer than the longest long poll (20 s). */
  socketIdleMs: 60_000,
  /** How long shutdown waits for in-flight requests before cutting connections. */
  shutdownGraceMs: 25_000,
  /** How often Node checks the header and request timeouts of open connections. */
  checkIntervalMs: 1_000,
};

/**
 * One request as the handler sees it. A class, so every request has the same shape (an object
 * literal with a getter was a measurable cost on every request). The abort signal is created only
 * when the handler asks for it (long polls): most requests never need one.
 */
class NodeApiRequest implements ApiRequest {
  readonly method: string;
  readonly path: string;
  readonly query: string;
  readonly headers: Readonly<Record<string, string | undefined>>;
  bodyConsumed = false;
  private controller: AbortController | undefined;

  constructor(
    private readonly request: IncomingMessage,
    private readonly response: ServerResponse,
    private readonly shutdown: { closing: boolean; readonly inFlight: Set<AbortController> },
  ) {
    const target = request.url ?? '/';
    const queryAt = target.indexOf('?');
    this.method = request.method ?? 'GET';
    this.path = queryAt === -1 ? target : target.slice(0, queryAt);
    this.query = queryAt === -1 ? '' : target.slice(queryAt + 1);
    this.headers = request.headers as Record<string, string | undefined>;
  }

  get signal(): AbortSignal {
    if (this.controller === undefined) {
      const controller = new AbortController();
      this.controller = controller;
      if (this.shutdown.closing || this.response.closed) controller.abort();
      this.shutdown.inFlight.add(controller);
      this.response.once('close', () => {
        controller.abort();
        this.shutdown.inFlight.delete(controller);
      });
    }
    return this.controller.signal;
  }

  readBody(maxBytes: number): Promise<Uint8Array | null> {
    this.bodyConsumed = true;
    const request = this.request;
    const declared = Number(request.headers['content-length'] ?? Number.NaN);
    if (declared > maxBytes) return Promise.resolve(null);
    return new Promise((resolve, reject) => {
      const chunks: Buffer[] = [];
      let size = 0;
      const onData = (chunk: Buffer): void => {
        size += chunk.length;
        if (size > maxBytes) {
          // Stop here: the rest is never buffered, and the connection is closed after the reply.
          cleanup();
          request.pause();
          resolve(null);
          return;
        }
        chunks.push(chunk);
      };
      const onEnd = (): void => {
        cleanup();
        resolve(chunks.length === 1 ? chunks[0]! : Buffer.concat(chunks, size));
      };
      const onError = (error: Error): void => {
        cleanup();
        reject(error);
      };
      const cleanup = (): void => {
        request.off('data', onData).off('end', onEnd).off('error', onError);
      };
      request.on('data', onData).on('end', onEnd).on('error', onError);
    });
  }
}

function hasBody(request: IncomingMessage): boolean {
  return request.headers['transfer-encoding'] !== undefined || Number(request.headers['content-length'] ?? 0) > 0;
}

/** Serves an API handler over node:http. */
export async function startNodeHost(handler: ApiHandler, options: NodeHostOptions): Promise<RunningHost> {
  // In-flight requests' abort controllers: shutdown ends their long polls.
  const shutdown = { closing: false, inFlight: new Set<AbortController>() };

  const serve = async (request: IncomingMessage, response: ServerResponse): Promise<void> => {
    const apiRequest = new NodeApiRequest(request, response, shutdown);
    const apiResponse = await handler(apiRequest);
    // Headers go to node:http as one flat list: no object is copied per response.
    const headers: (string | number)[] = [];
    for (const name in apiResponse.headers) headers.push(name, apiResponse.headers[name]!);
    headers.push('content-length', Buffer.byteLength(apiResponse.body));
    // A body left unread (refused, or too large) is not drained: the connection is closed instead,
    // unless the handler already said so.
    const close = shutdown.closing || ((!apiRequest.bodyConsumed || !request.complete) && hasBody(request));
    if (close && apiResponse.headers['connection'] === undefined) headers.push('connection', 'close');
    response.writeHead(apiResponse.status, headers as unknown as string[]);
    response.end(apiResponse.body);
  };

  const timeouts = { ...SERVER_TIMEOUTS, ...options.timeouts };
  const server = createServer({ connectionsCheckingInterval: timeouts.checkIntervalMs }, (request, response) => {
    serve(request, response).catch((error: unknown) => {
      // The handler answers every fault itself; this is only reached if the socket broke.
      response.destroy(error instanceof Error ? error : undefined);
    });
  });
  // Requests Node refuses before the handler runs still get a JSON error body and the Server header.
  const serverHeader = `ees/${PACKAGE_VERSION}`;
  server.on('clientError', (error: NodeJS.ErrnoException, socket) => {
    if (!socket.writable || error.code === 'ECONNRESET') {
      socket.destroy();
      return;
    }
    const [code, message] =
      error.code === 'HPE_HEADER_OVERFLOW'
        ? (['REQUEST_HEADERS_TOO_LARGE', 'The request line or headers are larger than 16 KB.'] as const)
        : error.code === 'ERR_HTTP_REQUEST_TIMEOUT'
          ? (['REQUEST_TIMEOUT', 'The request was not received in time.'] as const)
          : (['MALFORMED_REQUEST', 'The request is not valid HTTP/1.1.'] as const);
    const body = renderError(new EesError(code, message));
    socket.end(
      `HTTP/1.1 ${httpStatusOf(code)} ${STATUS_CODES[httpStatusOf(code)]}\r\nContent-Type: application/json; charset=utf-8\r\n` +
        `Content-Length: ${Buffer.byteLength(body)}\r\nServer: ${serverHeader}\r\nConnection: close\r\n\r\n${body}`,
    );
  });
  server.on('checkExpectation', (_request, response) => {
    const body = renderError(new EesError('EXPECTATION_FAILED', 'Only "Expect: 100-continue" is supported.'));
    response.writeHead(417, { 'content-type': 'application/json; charset=utf-8', 'content-length': Buffer.byteLength(body), server: serverHeader, connection: 'close' });
    response.end(body);
  });
  server.headersTimeout = timeouts.headersMs;
  server.requestTimeout = timeouts.requestMs;
  server.keepAliveTimeout = timeouts.keepAliveMs;
  server.setTimeout(timeouts.socketIdleMs, (socket) => socket.destroy());

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port, options.host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const { port } = server.address() as AddressInfo;
  const hostInUrl = options.host.includes(':') ? `[${options.host}]` : options.host;

  return {
    url: `http://${hostInUrl}:${port}`,
    port,
    server,
    close: () =>
      new Promise<void>((resolve) => {
        if (shutdown.closing) return resolve();
        shutdown.closing = true;
        const forceClose = setTimeout(() => server.closeAllConnections(), timeouts.shutdownGraceMs);
        server.close(() => {
          clearTimeout(forceClose);
          resolve();
        });
        for (const controller of shutdown.inFlight) controller.abort();
        server.closeIdleConnections();
      }),
  };
}
