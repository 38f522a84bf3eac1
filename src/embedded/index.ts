/**
 * `elastic-event-store/embedded`: the client interface over the in-process SQLite engine, for an
 * application's unit tests and for single-process tools. Requests go through the API's own handler
 * in-process (no socket), so the rules, limits and errors are the server's.
 */
import { join } from 'node:path';
import type { Transport } from '../client/http-client.js';
import { EesClient } from '../client/http-client.js';
import { RemoteEventStore } from '../client/remote-store.js';
import { DATABASE_FILE } from '../dev/embedded.js';
import { lockDataDir } from '../dev/data-dir.js';
import { SqliteEngine } from '../engines/sqlite/engine.js';
import { createApiHandler } from '../http/handler.js';
import type { ApiHandler } from '../http/types.js';
import { StatisticsScheduler } from '../projection/statistics.js';
import { PACKAGE_VERSION } from '../version.js';

export interface EmbeddedStoreOptions {
  /** Where the database lives (the layout of `ees dev --data-dir`, locked the same way); absent: in memory. */
  readonly dataDir?: string | undefined;
  /** Where unexpected faults are reported; default console.error. */
  readonly logError?: ((error: unknown) => void) | undefined;
}

/** The same store as `connect()` gives, answered in-process; `close()` also closes the database. */
export type EmbeddedEventStore<E = unknown> = RemoteEventStore<E>;

/** An in-process origin: never on the network, only named so that URLs can be built. */
const IN_PROCESS_ENDPOINT = 'http://embedded.invalid';

function inProcessTransport(handler: ApiHandler): Transport {
  return async ({ method, url, headers, body, signal }) => {
    const bytes = body === undefined ? new Uint8Array() : new TextEncoder().encode(body);
    const response = await handler({
      method,
      path: url.pathname,
      query: url.search.slice(1),
      headers,
      readBody: async (maxBytes) => (bytes.byteLength > maxBytes ? null : bytes),
      ...(signal === undefined ? {} : { signal }),
    });
    return { status: response.status, headers: response.headers, text: response.body };
  };
}

export async function openEmbeddedStore<E = unknown>(options: EmbeddedStoreOptions = {}): Promise<EmbeddedEventStore<E>> {
  const logError = options.logError ?? ((error: unknown) => console.error(error));
  const lock = options.dataDir === undefined ? undefined : lockDataDir(options.dataDir);
  let engine: SqliteEngine;
  try {
    engine = new SqliteEngine({ path: options.dataDir === undefined ? ':memory:' : join(options.dataDir, DATABASE_FILE) });
  } catch (error) {
    lock?.release();
    throw error;
  }
  const statistics = new StatisticsScheduler(engine, 100, logError);
  const handler = createApiHandler({ engine, serverVersion: PACKAGE_VERSION, onCommitted: () => statistics.trigger(), logError: (error) => logError(error) });
  statistics.trigger();
  const http = new EesClient({ endpoint: IN_PROCESS_ENDPOINT, transport: inProcessTransport(handler) });
  return new RemoteEventStore<E>(http, async () => {
    await statistics.stop();
    await engine.close();
    lock?.release();
  });
}
