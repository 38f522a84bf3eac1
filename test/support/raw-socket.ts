import { connect } from 'node:net';

export interface RawResponse {
  readonly status: number;
  readonly headers: Record<string, string>;
  readonly text: string;
  /** The body parsed as JSON, or undefined. */
  readonly json: any; // eslint-disable-line @typescript-eslint/no-explicit-any
}

export interface Exchange {
  readonly responses: RawResponse[];
  /** Whether the server closed the connection (before the deadline). */
  readonly closed: boolean;
}

/** Parses as many whole HTTP/1.1 responses as `buffer` holds; returns them and the bytes left. */
function parseResponses(buffer: Buffer): { responses: RawResponse[]; rest: Buffer } {
  const responses: RawResponse[] = [];
  let rest = buffer;
  for (;;) {
    const headEnd = rest.indexOf('\r\n\r\n');
    if (headEnd === -1) break;
    const [statusLine, ...lines] = rest.subarray(0, headEnd).toString('latin1').split('\r\n');
    const headers: Record<string, string> = {};
    for (const line of lines) {
      const colon = line.indexOf(':');
      headers[line.slice(0, colon).trim().toLowerCase()] = line.slice(colon + 1).trim();
    }
    const length = Number(headers['content-length'] ?? 0);
    if (rest.length < headEnd + 4 + length) break;
    const text = rest.subarray(headEnd + 4, headEnd + 4 + length).toString('utf8');
    let json: unknown;
    try {
      json = JSON.parse(text);
    } catch {
      json = undefined;
    }
    responses.push({ status: Number(statusLine!.split(' ')[1]), headers, text, json });
    rest = rest.subarray(headEnd + 4 + length);
  }
  return { responses, rest };
}

/**
 * Writes `parts` to one TCP connection (each part in one write, in order, the next after
 * `pauseAfterResponses` answers when given) and collects the answers until the server closes the
 * connection, `stopAfter` answers have come, or the deadline passes.
 */
export function exchange(
  url: string,
  parts: readonly (string | Buffer)[],
  options: { stopAfter?: number; deadlineMs?: number; onResponse?: (response: RawResponse, write: (data: string | Buffer) => void) => void } = {},
): Promise<Exchange> {
  const target = new URL(url);
  return new Promise((resolve, reject) => {
    const socket = connect({ host: target.hostname, port: Number(target.port) });
    let buffer: Buffer = Buffer.alloc(0);
    const responses: RawResponse[] = [];
    let settled = false;
    const finish = (closed: boolean): void => {
      if (settled) return;
      settled = true;
      clearTimeout(deadline);
      socket.destroy();
      resolve({ responses, closed });
    };
    const deadline = setTimeout(() => finish(false), options.deadlineMs ?? 5_000);
    socket.on('connect', () => {
      for (const part of parts) socket.write(part);
    });
    socket.on('data', (chunk: Buffer) => {
      const parsed = parseResponses(Buffer.concat([buffer, chunk]));
      buffer = parsed.rest;
      for (const response of parsed.responses) {
        responses.push(response);
        options.onResponse?.(response, (data) => socket.write(data));
      }
      if (options.stopAfter !== undefined && responses.length >= options.stopAfter) finish(false);
    });
    socket.on('end', () => finish(true));
    socket.on('close', () => finish(true));
    socket.on('error', (error: NodeJS.ErrnoException) => {
      if (error.code === 'ECONNRESET' || error.code === 'EPIPE') finish(true);
      else if (!settled) reject(error);
    });
  });
}

/** A request as raw bytes. */
export function rawPost(target: string, host: string, body: string, headers: Record<string, string> = {}): string {
  const extra = Object.entries(headers).map(([name, value]) => `${name}: ${value}\r\n`).join('');
  return `POST ${target} HTTP/1.1\r\nHost: ${host}\r\nContent-Type: application/json\r\nContent-Length: ${Buffer.byteLength(body)}\r\n${extra}\r\n${body}`;
}

export function rawGet(target: string, host: string, headers: Record<string, string> = {}): string {
  const extra = Object.entries(headers).map(([name, value]) => `${name}: ${value}\r\n`).join('');
  return `GET ${target} HTTP/1.1\r\nHost: ${host}\r\n${extra}\r\n`;
}
