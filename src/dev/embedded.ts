import { join } from 'node:path';
import { SqliteEngine } from '../engines/sqlite/engine.js';
import { createApiHandler } from '../http/handler.js';
import { startNodeHost } from '../http/node-host.js';
import { StatisticsScheduler } from '../projection/statistics.js';
import { PACKAGE_VERSION } from '../version.js';
import { lockDataDir } from './data-dir.js';

export interface EmbeddedStoreOptions {
  readonly dataDir: string;
  readonly host: string;
  readonly port: number;
  readonly logError?: (error: unknown) => void;
  /** Require `Authorization: Bearer <token>` on every request. */
  readonly token?: string;
}

export interface RunningStore {
  readonly url: string;
  readonly port: number;
  readonly databasePath: string;
  /** Stops accepting, finishes in-flight requests and commits, and closes the database. */
  close(): Promise<void>;
}

export const DATABASE_FILE = 'ees.sqlite';

/** `ees dev` on the embedded engine: the whole API over node:http, backed by SQLite. */
export async function startEmbeddedStore(options: EmbeddedStoreOptions): Promise<RunningStore> {
  const logError = options.logError ?? ((error: unknown) => console.error(error));
  const databasePath = join(options.dataDir, DATABASE_FILE);
  const lock = lockDataDir(options.dataDir);
  let engine: SqliteEngine;
  try {
    engine = new SqliteEngine({ path: databasePath });
  } catch (error) {
    lock.release();
    throw error;
  }
  const statistics = new StatisticsScheduler(engine, 100, logError);
  const handler = createApiHandler({
    engine,
    serverVersion: PACKAGE_VERSION,
    onCommitted: () => statistics.trigger(),
    logError: (error) => logError(error),
  });
  let host;
  try {
    host = await startNodeHost(handler, { host: options.host, port: options.port, token: options.token });
  } catch (error) {
    await engine.close();
    lock.release();
    throw error;
  }
  // Statistics left behind by an earlier run catch up at start.
  statistics.trigger();
  return {
    url: host.url,
    port: host.port,
    databasePath,
    close: async () => {
      await host.close();
      await statistics.stop();
      await engine.close();
      lock.release();
    },
  };
}
