import { request as httpRequest } from 'node:http';

export interface HttpResult {
  readonly status: number;
  readonly headers: Record<string, string | string[] | undefined>;
  readonly text: string;
  /** The body parsed as JSON. */
  readonly json: any; // eslint-disable-line @typescript-eslint/no-explicit-any
}

/** Adds headers to a request before it is sent (SigV4 for a deployed stack). */
export type TestSigner = (request: { method: string; url: URL; headers: Record<string, string>; body: string }) => Promise<Record<string, string>>;

/** A tiny client over fetch for tests; the body is sent as given (string) or as JSON. */
export function apiClient(baseUrl: string, sign?: TestSigner) {
  async function call(method: string, path: string, body?: unknown): Promise<HttpResult> {
    const payload = body === undefined ? undefined : typeof body === 'string' ? body : JSON.stringify(body);
    const url = new URL(`${baseUrl}${path}`);
    const headers: Record<string, string> = body === undefined ? {} : { 'content-type': 'application/json' };
    if (sign !== undefined) Object.assign(headers, await sign({ method, url, headers: { ...headers, host: url.host }, body: payload ?? '' }));
    const response = await fetch(url, { method, body: payload ?? null, headers });
    const text = await response.text();
    let json: unknown;
    try {
      json = JSON.parse(text);
    } catch {
      json = undefined;
    }
    return { status: response.status, headers: Object.fromEntries(response.headers), text, json };
  }
  return {
    get: (path: string) => call('GET', path),
    post: (path: string, body?: unknown) => call('POST', path, body),
    call,
  };
}

/**
 * Sends a request through node:http, writing the body in chunks, and resolves with the response
 * even when the server answers and closes before the body is sent whole.
 */
export function rawRequest(
  url: string,
  options: { method: string; path: string; headers?: Record<string, string | number>; chunks?: Iterable<Buffer> },
): Promise<HttpResult & { bytesWritten: number }> {
  const target = new URL(url);
  return new Promise((resolve, reject) => {
    let bytesWritten = 0;
    const request = httpRequest(
      { host: target.hostname, port: target.port, method: options.method, path: options.path, headers: options.headers, agent: false },
      (response) => {
        const parts: Buffer[] = [];
        response.on('data', (part: Buffer) => parts.push(part));
        response.on('end', () => {
          const text = Buffer.concat(parts).toString('utf8');
          let json: unknown;
          try {
            json = JSON.parse(text);
          } catch {
            json = undefined;
          }
          resolve({ status: response.statusCode ?? 0, headers: response.headers, text, json, bytesWritten });
        });
      },
    );
    request.on('error', (error: NodeJS.ErrnoException) => {
      // The server may close while the body is still being written; the response decides.
      if (error.code !== 'EPIPE' && error.code !== 'ECONNRESET') reject(error);
    });
    const chunks = options.chunks?.[Symbol.iterator]();
    const writeNext = (): void => {
      for (;;) {
        const next = chunks?.next();
        if (next === undefined || next.done) {
          request.end();
          return;
        }
        bytesWritten += next.value.length;
        if (!request.write(next.value)) {
          request.once('drain', writeNext);
          return;
        }
      }
    };
    request.on('response', () => chunks?.return?.());
    writeNext();
  });
}
