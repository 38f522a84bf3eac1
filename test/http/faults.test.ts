import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { SqliteEngine } from '../../src/engines/sqlite/engine.js';
import { createApiHandler } from '../../src/http/handler.js';
import { startNodeHost, type RunningHost } from '../../src/http/node-host.js';
import { apiClient } from '../support/http.js';

describe('unexpected faults', () => {
  let directory: string;
  let engine: SqliteEngine;
  let host: RunningHost;
  const logged: unknown[] = [];

  beforeEach(async () => {
    directory = mkdtempSync(join(tmpdir(), 'ees-faults-'));
    engine = new SqliteEngine({ path: join(directory, 'ees.sqlite') });
    host = await startNodeHost(createApiHandler({ engine, serverVersion: '9.9.9', logError: (error) => logged.push(error) }), { host: '127.0.0.1', port: 0 });
  });
  afterEach(async () => {
    await host.close();
    await engine.close();
    rmSync(directory, { recursive: true, force: true });
  });

  it('answers a logged 500 INTERNAL_ERROR without a stack trace, and keeps serving', async () => {
    const api = apiClient(host.url);
    expect((await api.get('/streams')).status).toBe(200);
    // A real fault: the database goes away under the running server.
    await engine.close();
    for (const [method, target] of [['GET', '/streams'], ['POST', '/streams/s'], ['GET', '/changesets']] as const) {
      const failed = await api.call(method, target, method === 'POST' ? { events: [1] } : undefined);
      expect(failed.status, target).toBe(500);
      expect(failed.json).toEqual({ error: 'INTERNAL_ERROR', message: 'An unexpected error occurred. It was logged on the server.' });
      expect(failed.text).not.toMatch(/at .*\.(ts|js)/);
    }
    expect(logged).toHaveLength(3);
    expect((await api.get('/version')).headers['server']).toBe('ees/9.9.9');
  });
});
