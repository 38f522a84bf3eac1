import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { EesClient } from '../../src/client/http-client.js';
import { createSigner } from '../../src/client/sigv4.js';

/**
 * A loopback API that answers each request with the next status (the last one repeats), recording
 * the headers. Each answer closes its connection, so `answered` counts the answers the client has read.
 */
async function scriptedServer(statuses: readonly number[]): Promise<{ server: Server; endpoint: string; seen: IncomingHttpHeaders[]; answered: () => number }> {
  const seen: IncomingHttpHeaders[] = [];
  let answered = 0;
  const server = createServer((request, response) => {
    seen.push(request.headers);
    request.socket.once('close', () => answered++);
    const status = statuses[Math.min(seen.length - 1, statuses.length - 1)]!;
    response.writeHead(status, { 'content-type': 'application/json', connection: 'close' });
    response.end(JSON.stringify(status === 200 ? { checkpoint: 0, limit: 1, changesets: [], next_checkpoint: 0 } : { error: 'INTERNAL_ERROR', message: 'down' }));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { server, endpoint: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, seen, answered: () => answered };
}

const waitFor = async (condition: () => boolean, what: string): Promise<void> => {
  const deadline = Date.now() + 10_000;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setImmediate(resolve));
  }
};

describe('client retries', () => {
  const cleanups: (() => Promise<void>)[] = [];
  afterEach(async () => {
    for (const cleanup of cleanups.splice(0)) await cleanup();
  });

  it('ends the backoff at once when the call is aborted, without another attempt', async () => {
    const { server, endpoint, seen, answered } = await scriptedServer([503]);
    // A backoff far longer than the test may take: only the abort can end it.
    const client = new EesClient({ endpoint, readRetries: 3, retryBaseMs: 3_600_000, timeoutMs: 24 * 3_600_000 });
    cleanups.push(async () => {
      await client.close();
      server.close();
    });
    const controller = new AbortController();
    const call = client.readGlobal(0, 1, 0, controller.signal);
    const settled = call.then(
      () => 'resolved',
      (error: unknown) => ({ rejected: error }),
    );
    // The client has read the 503 and closed the connection: it is now in (or entering) its backoff.
    await waitFor(() => answered() === 1, 'the first answer to be read');
    controller.abort();
    const outcome = await settled;
    expect(outcome).toMatchObject({ rejected: expect.anything() });
    expect(controller.signal.aborted).toBe(true);
    expect(seen).toHaveLength(1);
  });

  it('signs every attempt afresh, so a retry never carries the first attempt’s signature', async () => {
    const { server, endpoint, seen } = await scriptedServer([503, 503, 200]);
    let signed = 0;
    const signer = createSigner({ region: 'eu-west-1', credentials: async () => ({ accessKeyId: 'AKIDEXAMPLE', secretAccessKey: 'secret' }) });
    const client = new EesClient({
      endpoint,
      readRetries: 3,
      retryBaseMs: 1,
      sign: async (request) => {
        signed++;
        return { ...(await signer(request)), 'x-attempt-signature': String(signed) };
      },
    });
    cleanups.push(async () => {
      await client.close();
      server.close();
    });
    await expect(client.readGlobal(0, 1)).resolves.toMatchObject({ changesets: [] });
    expect(seen).toHaveLength(3);
    expect(signed).toBe(3);
    expect(seen.map((headers) => headers['x-attempt-signature'])).toEqual(['1', '2', '3']);
    for (const headers of seen) expect(headers.authorization).toMatch(/^AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE\//);
  });
});
