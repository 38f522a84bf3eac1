import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startEmbeddedStore, type RunningStore } from '../../src/dev/embedded.js';
import { bearerTokenMatches, isLoopbackHost } from '../../src/http/auth.js';
import { redactEndpoint } from '../../src/client/target.js';
import { apiClient } from '../support/http.js';
import { runCli } from '../support/processes.js';

const TOKEN = 's3cr3t-token-0f9a';

describe('bearer tokens', () => {
  it('match only the exact token', () => {
    expect(bearerTokenMatches(`Bearer ${TOKEN}`, TOKEN)).toBe(true);
    expect(bearerTokenMatches(`bearer ${TOKEN}`, TOKEN)).toBe(true);
    for (const header of [undefined, '', 'Bearer ', `Bearer ${TOKEN}x`, `Basic ${TOKEN}`, TOKEN, `Bearer ${TOKEN.slice(1)}`]) {
      expect(bearerTokenMatches(header, TOKEN), String(header)).toBe(false);
    }
  });

  it('knows loopback addresses', () => {
    expect(['127.0.0.1', '127.1.2.3', 'localhost', '::1'].every(isLoopbackHost)).toBe(true);
    expect(['0.0.0.0', '10.0.0.1', '::', '192.168.1.1'].some(isLoopbackHost)).toBe(false);
  });

  it('masks credentials in endpoints that are printed', () => {
    expect(redactEndpoint('https://user:pa55@example.test/prod')).toBe('https://***@example.test/prod');
    expect(redactEndpoint('http://127.0.0.1:3000')).toBe('http://127.0.0.1:3000');
  });
});

describe('ees dev with --token', () => {
  const dataDir = mkdtempSync(join(tmpdir(), 'ees-token-'));
  let store: RunningStore;

  beforeAll(async () => {
    store = await startEmbeddedStore({ dataDir, host: '127.0.0.1', port: 0, token: TOKEN, logError: () => {} });
  });
  afterAll(async () => {
    await store.close();
    rmSync(dataDir, { recursive: true, force: true });
  });

  it('answers 401 to every request without the token, and serves it with the token', async () => {
    for (const path of ['/version', '/streams', '/changesets', '/nope']) {
      const response = await fetch(`${store.url}${path}`, { headers: { authorization: 'Bearer wrong' } });
      expect(response.status, path).toBe(401);
      expect(response.headers.get('www-authenticate')).toBe('Bearer');
      expect(await response.json()).toMatchObject({ error: 'UNAUTHORIZED' });
    }
    expect((await apiClient(store.url).post('/streams/guarded', { events: [1] })).status).toBe(401);
    const allowed = await fetch(`${store.url}/version`, { headers: { authorization: `Bearer ${TOKEN}` } });
    expect(allowed.status).toBe(200);
  });

  it('is used by the CLI from --token or EES_TOKEN, and never printed', async () => {
    const withFlag = await runCli(['append', 'guarded', '--endpoint', store.url, '--token', TOKEN], { input: '[1]' });
    expect(withFlag.code).toBe(0);
    const fromEnv = await runCli(['read', 'guarded', '--endpoint', store.url], { env: { EES_TOKEN: TOKEN } });
    expect(fromEnv.code).toBe(0);
    expect(fromEnv.stdout).toContain('"changeset_id":1');

    const refused = await runCli(['status', '--endpoint', store.url, '--token', `${TOKEN}-wrong`, '--verbose']);
    expect(refused.code).toBe(6);
    const missing = await runCli(['append', 'guarded', '--expect', '1', '--endpoint', store.url, '--verbose'], { input: '[2]' });
    expect(missing.code).toBe(6);
    for (const output of [withFlag, fromEnv, refused, missing]) {
      expect(output.stdout + output.stderr).not.toContain(TOKEN);
    }
  });

  it('refuses to bind beyond loopback without a token', async () => {
    const result = await runCli(['dev', '--host', '0.0.0.0', '--port', '0', '--data-dir', dataDir], { env: { EES_DEV_TOKEN: '' } });
    expect(result.code).toBe(2);
    expect(result.stderr).toMatch(/^ees: --host 0\.0\.0\.0 would let other machines read and write the store: give it a --token/);
  });
});
