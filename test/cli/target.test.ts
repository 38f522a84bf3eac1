import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { resolveTarget } from '../../src/client/target.js';

describe('target resolution', () => {
  const configDir = mkdtempSync(join(tmpdir(), 'ees-config-'));
  writeFileSync(
    join(configDir, 'profiles.json'),
    JSON.stringify({ profiles: { prod: { endpoint: 'https://abc.execute-api.example/prod/', region: 'eu-west-1', stack: 'ees', auth: 'iam' }, dev: { endpoint: 'http://127.0.0.1:4000' } } }),
  );
  afterAll(() => rmSync(configDir, { recursive: true, force: true }));

  it('prefers --endpoint, then EES_ENDPOINT, then a profile, then the default', async () => {
    const env = { EES_ENDPOINT: 'http://127.0.0.1:5000', EES_PROFILE: 'dev' };
    expect(await resolveTarget({ endpointFlag: 'http://127.0.0.1:6000/', profileFlag: 'prod', env, configDir })).toMatchObject({
      endpoint: 'http://127.0.0.1:6000',
      source: 'flag',
    });
    expect(await resolveTarget({ profileFlag: 'prod', env, configDir })).toMatchObject({ endpoint: 'http://127.0.0.1:5000', source: 'env' });
    expect(await resolveTarget({ profileFlag: 'prod', env: {}, configDir })).toMatchObject({
      endpoint: 'https://abc.execute-api.example/prod',
      source: 'profile',
      profile: 'prod',
      auth: 'iam',
      region: 'eu-west-1',
    });
    expect(await resolveTarget({ env: { EES_PROFILE: 'dev' }, configDir })).toMatchObject({ endpoint: 'http://127.0.0.1:4000', profile: 'dev' });
    expect(await resolveTarget({ env: {}, configDir })).toEqual({ endpoint: 'http://127.0.0.1:3000', source: 'default', auth: 'none' });
  });

  it('names the missing profile and the known ones', async () => {
    await expect(resolveTarget({ profileFlag: 'staging', env: {}, configDir })).rejects.toMatchObject({
      code: 'INVALID_USAGE',
      message: expect.stringContaining('known: prod, dev'),
    });
  });

  it('refuses an endpoint that is not an http(s) URL', async () => {
    await expect(resolveTarget({ endpointFlag: 'localhost:3000', env: {}, configDir })).rejects.toMatchObject({ code: 'INVALID_USAGE' });
    await expect(resolveTarget({ env: { EES_ENDPOINT: 'ftp://x' }, configDir })).rejects.toMatchObject({ code: 'INVALID_USAGE' });
  });

  it('uses a bearer token from the flag or EES_TOKEN', async () => {
    expect(await resolveTarget({ tokenFlag: 't1', env: {}, configDir })).toMatchObject({ auth: 'token', token: 't1' });
    expect(await resolveTarget({ env: { EES_TOKEN: 't2', EES_PROFILE: 'dev' }, configDir })).toMatchObject({ auth: 'token', token: 't2' });
  });
});
