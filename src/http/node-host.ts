import { createServer, STATUS_CODES, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { EesError } from '../core/errors.js';
import { refusalOfCaller } from './auth.js';
import type { ApiRequest, ApiResponse, ServedApiHandler } from './types.js';

export interface NodeHostOptions {
  readonly host: string;
  /** 0 picks a free port. */
  readonly port: number;
  /** Overrides of SERVER_TIMEOUTS (tests use short ones). */
  readonly timeouts?: Partial<typeof SERVER_TIMEOUTS>;
  /** When set, every request must carry `Authorization: Bearer <token>` (ees dev --token). */
  readonly token?: string | undefined;
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
    // "100 Continue" only once the body is wanted: a refused or oversize request never gets one.
    if (request.httpVersionMinor >= 1 && /^100-continue$/i.test(request.headers['expect'] ?? '')) this.response.writeContinue();
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

/** Whether the client said this is its last request on the connection (RFC 9112 §9.6). */
function clientCloses(request: IncomingMessage): boolean {
  const connection = request.headers.connection ?? '';
  if (request.httpVersionMajor === 1 && request.httpVersionMinor === 0) return !/(^|[\s,])keep-alive($|[\s,])/i.test(connection);
  return /(^|[\s,])close($|[\s,])/i.test(connection);
}

/**
 * One connection's requests, taken one at a time (RFC 9112 §9.3): node:http parses pipelined
 * requests as they arrive and would run them side by side, so a later request could be answered
 * from a store that its predecessor had not yet written to, and a parse error or a closing response
 * could cut off requests already executed.
 */
interface Connection {
  /** Settles once every request taken so far on this connection has been answered. */
  answered: Promise<void>;
  /** A response closes the connection: no request after it is run. */
  closing: boolean;
  /** The parser failed: the error is answered once (after what came before), then the connection closes. */
  broken: boolean;
}

/** The response's headers as one flat list for node:http (no object copied per response), with its length. */
function headerList(response: ApiResponse): (string | number)[] {
  const headers: (string | number)[] = [];
  for (const name in response.headers) headers.push(name, response.headers[name]!);
  headers.push('content-length', Buffer.byteLength(response.body));
  return headers;
}

/** Why the server cannot listen, as one line for the person who started it. */
function listenFailure(error: NodeJS.ErrnoException, options: NodeHostOptions): Error {
  const where = `${options.host}:${options.port}`;
  if (error.code === 'EADDRINUSE') return new EesError('INVALID_USAGE', `Port ${options.port} on ${options.host} is in use by another program: stop it, or pick another --port (0 picks a free one).`, { cause: error });
  if (error.code === 'EACCES') return new EesError('INVALID_USAGE', `Not allowed to listen on ${where}: pick a port above 1023.`, { cause: error });
  if (error.code === 'EADDRNOTAVAIL' || error.code === 'ENOTFOUND' || error.code === 'EAI_AGAIN') {
    return new EesError('INVALID_USAGE', `Cannot listen on ${where}: ${options.host} is not an address of this machine.`, { cause: error });
  }
  return error;
}

/** Serves an API handler over node:http. */
export async function startNodeHost(handler: ServedApiHandler, options: NodeHostOptions): Promise<RunningHost> {
  const { responses } = handler;
  // In-flight requests' abort controllers: shutdown ends their long polls.
  const shutdown = { closing: false, inFlight: new Set<AbortController>() };
  const connections = new WeakMap<Socket, Connection>();
  const connectionOf = (socket: Socket): Connection => {
    let connection = connections.get(socket);
    if (connection === undefined) {
      connection = { answered: Promise.resolve(), closing: false, broken: false };
      connections.set(socket, connection);
    }
    return connection;
  };
  const caller = { boundHost: options.host, token: options.token };

  const serve = async (request: IncomingMessage, response: ServerResponse, connection: Connection): Promise<void> => {
    const apiRequest = new NodeApiRequest(request, response, shutdown);
    // Who may call is settled before any body byte is read, on every engine.
    const refusal = refusalOfCaller(request.headers, caller);
    const apiResponse = refusal === undefined ? await handler(apiRequest) : responses.error(refusal.error, refusal.headers);
    const headers = headerList(apiResponse);
    // A body left unread (refused, or too large) is not drained: the connection is closed instead,
    // unless the handler already said so.
    const bodyLeft = (!apiRequest.bodyConsumed || !request.complete) && hasBody(request);
    const handlerCloses = /^close$/i.test(apiResponse.headers['connection'] ?? '');
    const close = shutdown.closing || clientCloses(request) || bodyLeft || handlerCloses;
    if (close) {
      connection.closing = true;
      if (apiResponse.headers['connection'] === undefined) headers.push('connection', 'close');
    }
    response.writeHead(apiResponse.status, headers as unknown as string[]);
    response.end(apiResponse.body);
  };

  const take = (request: IncomingMessage, response: ServerResponse): void => {
    const connection = connectionOf(request.socket);
    const answered = new Promise<void>((resolve) => {
      response.once('finish', resolve).once('close', resolve);
    });
    const run = (): Promise<void> => {
      // After a response that closes the connection nothing is run: node:http ends the socket.
      // Requests parsed before a parse error are run and answered, and the error after them.
      if (connection.closing) return Promise.resolve();
      return serve(request, response, connection).then(
        () => answered,
        (error: unknown) => {
          // The handler answers every fault itself; this is only reached if the socket broke.
          response.destroy(error instanceof Error ? error : undefined);
        },
      );
    };
    connection.answered = connection.answered.then(run);
  };

  const timeouts = { ...SERVER_TIMEOUTS, ...options.timeouts };
  const server = createServer({ connectionsCheckingInterval: timeouts.checkIntervalMs }, take);
  // With this listener node:http no longer answers "100 Continue" by itself: readBody does, once
  // the request was admitted and its declared size fits.
  server.on('checkContinue', take);
  // Requests Node refuses before the handler runs still get a JSON error body and the Server header,
  // after the answers to the requests before them on the connection.
  server.on('clientError', (error: NodeJS.ErrnoException, socket: Socket) => {
    const connection = connectionOf(socket);
    if (connection.broken) return;
    connection.broken = true;
    const [code, message] =
      error.code === 'HPE_HEADER_OVERFLOW'
        ? (['REQUEST_HEADERS_TOO_LARGE', 'The request line or headers are larger than 16 KB.'] as const)
        : error.code === 'ERR_HTTP_REQUEST_TIMEOUT'
          ? (['REQUEST_TIMEOUT', 'The request was not received in time.'] as const)
          : (['MALFORMED_REQUEST', 'The request is not valid HTTP/1.1.'] as const);
    void connection.answered.then(() => {
      if (!socket.writable || error.code === 'ECONNRESET') {
        socket.destroy();
        return;
      }
      // Bytes after a closing response are not a request: they get no answer. Ended, not
      // destroyed, so that the closing response still in the socket's buffer is delivered whole.
      if (connection.closing) {
        socket.end();
        return;
      }
      // No response object exists here: the error response is written on the socket as it stands.
      const answer = responses.error(new EesError(code, message), { connection: 'close' });
      const headers = headerList(answer);
      let head = `HTTP/1.1 ${answer.status} ${STATUS_CODES[answer.status]}\r\n`;
      for (let index = 0; index < headers.length; index += 2) head += `${headers[index]}: ${headers[index + 1]}\r\n`;
      socket.end(`${head}\r\n${answer.body}`);
    });
  });
  server.on('checkExpectation', (request: IncomingMessage, response: ServerResponse) => {
    const connection = connectionOf(request.socket);
    connection.answered = connection.answered.then(() => {
      if (connection.closing) return;
      connection.closing = true;
      const answer = responses.error(new EesError('EXPECTATION_FAILED', 'Only "Expect: 100-continue" is supported.'), { connection: 'close' });
      response.writeHead(answer.status, headerList(answer) as unknown as string[]);
      response.end(answer.body);
    });
  });
  server.headersTimeout = timeouts.headersMs;
  server.requestTimeout = timeouts.requestMs;
  server.keepAliveTimeout = timeouts.keepAliveMs;
  server.setTimeout(timeouts.socketIdleMs, (socket) => socket.destroy());

  await new Promise<void>((resolve, reject) => {
    server.once('error', (error) => reject(listenFailure(error, options)));
    server.listen(options.port, options.host, () => {
      server.removeAllListeners('error');
      resolve();
    });
  });
  const { port } = server.address() as AddressInfo;
  const hostInUrl = options.host.includes(':') ? `[${options.host}]` : options.host;
  let closed: Promise<void> | undefined;

  return {
    url: `http://${hostInUrl}:${port}`,
    port,
    server,
    // Every call gets the one shutdown's promise: a second close() resolves when the first does.
    close: () =>
      (closed ??= new Promise<void>((resolve) => {
        shutdown.closing = true;
        const forceClose = setTimeout(() => server.closeAllConnections(), timeouts.shutdownGraceMs);
        server.close(() => {
          clearTimeout(forceClose);
          resolve();
        });
        for (const controller of shutdown.inFlight) controller.abort();
        server.closeIdleConnections();
      })),
  };
}
