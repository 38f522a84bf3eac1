import { createHash, createHmac, timingSafeEqual } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it, vi } from 'vitest';
import { EesClient } from '../../src/client/http-client.js';
import { createSigner } from '../../src/client/sigv4.js';
import { ClientCommand } from '../../src/cli/client-command.js';
import { EesError } from '../../src/core/errors.js';

const REGION = 'eu-west-1';
const SERVICE = 'execute-api';
/** What the server knows: secret (and session token) per access key id. */
const KEYS: Record<string, { secret: string; token?: string }> = {
  AKIDEXAMPLE: { secret: 'secret' },
  ASIAEXAMPLE: { secret: 'session-secret', token: 'the-session-token' },
};

const sha256Hex = (data: string | Buffer): string => createHash('sha256').update(data).digest('hex');
const hmac = (key: string | Buffer, data: string): Buffer => createHmac('sha256', key).update(data, 'utf8').digest();
/** RFC 3986 encoding: everything but A-Z a-z 0-9 - _ . ~ */
const rfc3986 = (text: string): string => encodeURIComponent(text).replace(/[!'()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`);

interface Verdict {
  readonly ok: boolean;
  readonly reason?: string;
  readonly signedHeaders?: string[];
}

/**
 * An independent SigV4 check of a request as it arrived on the wire (node:crypto only, following
 * the AWS documentation for non-S3 services: the path is URI-encoded a second time, the query is
 * decoded, re-encoded and sorted, the signed headers are taken from the Authorization header).
 */
function verify(request: IncomingMessage, body: Buffer): Verdict {
  const match = /^AWS4-HMAC-SHA256 Credential=([^/]+)\/(\d{8})\/([^/]+)\/([^/]+)\/aws4_request, SignedHeaders=([a-z0-9;-]+), Signature=([0-9a-f]{64})$/.exec(
    request.headers.authorization ?? '',
  );
  if (match === null) return { ok: false, reason: 'no SigV4 authorization header' };
  const [, accessKeyId, date, region, service, signedHeaderList, signature] = match as unknown as [string, string, string, string, string, string, string];
  const key = KEYS[accessKeyId];
  if (key === undefined) return { ok: false, reason: 'unknown access key' };
  if (region !== REGION || service !== SERVICE) return { ok: false, reason: `wrong scope ${region}/${service}` };
  const amzDate = request.headers['x-amz-date'];
  if (typeof amzDate !== 'string' || !amzDate.startsWith(date)) return { ok: false, reason: 'x-amz-date missing or not the scope date' };
  const signedHeaders = signedHeaderList.split(';');
  for (const required of ['host', 'x-amz-date', ...(key.token === undefined ? [] : ['x-amz-security-token'])]) {
    if (!signedHeaders.includes(required)) return { ok: false, reason: `${required} not signed` };
  }
  if (key.token !== undefined && request.headers['x-amz-security-token'] !== key.token) return { ok: false, reason: 'wrong session token' };
  const payloadHash = sha256Hex(body);
  const claimed = request.headers['x-amz-content-sha256'];
  if (claimed !== undefined && claimed !== payloadHash) return { ok: false, reason: 'x-amz-content-sha256 does not match the body' };

  const url = request.url ?? '/';
  const queryAt = url.indexOf('?');
  const rawPath = queryAt === -1 ? url : url.slice(0, queryAt);
  const rawQuery = queryAt === -1 ? '' : url.slice(queryAt + 1);
  const canonicalUri = rawPath
    .split('/')
    .map((segment) => rfc3986(segment))
    .join('/');
  const canonicalQuery = rawQuery
    .split('&')
    .filter((pair) => pair !== '')
    .map((pair) => {
      const equals = pair.indexOf('=');
      const name = decodeURIComponent(equals === -1 ? pair : pair.slice(0, equals));
      const value = equals === -1 ? '' : decodeURIComponent(pair.slice(equals + 1));
      return [rfc3986(name), rfc3986(value)] as const;
    })
    .sort(([a, x], [b, y]) => (a < b ? -1 : a > b ? 1 : x < y ? -1 : x > y ? 1 : 0))
    .map(([name, value]) => `${name}=${value}`)
    .join('&');
  let canonicalHeaders = '';
  for (const name of signedHeaders) {
    const value = request.headers[name];
    if (value === undefined) return { ok: false, reason: `signed header ${name} not sent` };
    canonicalHeaders += `${name}:${String(value).trim().replace(/\s+/g, ' ')}\n`;
  }
  const canonicalRequest = [request.method, canonicalUri, canonicalQuery, canonicalHeaders, signedHeaderList, payloadHash].join('\n');
  const stringToSign = ['AWS4-HMAC-SHA256', amzDate, `${date}/${region}/${service}/aws4_request`, sha256Hex(canonicalRequest)].join('\n');
  const signingKey = hmac(hmac(hmac(hmac(`AWS4${key.secret}`, date), region), service), 'aws4_request');
  const expected = createHmac('sha256', signingKey).update(stringToSign, 'utf8').digest();
  const ok = timingSafeEqual(expected, Buffer.from(signature, 'hex'));
  return ok ? { ok, signedHeaders } : { ok, reason: 'signature mismatch' };
}

interface Seen {
  readonly method: string;
  readonly url: string;
  readonly body: string;
  readonly verdict: Verdict;
  readonly headers: IncomingMessage['headers'];
}

/** A loopback API that answers only correctly signed requests, like API Gateway with IAM auth. */
async function startVerifyingServer(): Promise<{ url: string; seen: Seen[]; server: Server }> {
  const seen: Seen[] = [];
  const server = createServer((request, response) => {
    const chunks: Buffer[] = [];
    request.on('data', (chunk: Buffer) => chunks.push(chunk));
    request.on('end', () => {
      const body = Buffer.concat(chunks);
      const verdict = verify(request, body);
      seen.push({ method: request.method ?? '', url: request.url ?? '', body: body.toString('utf8'), verdict, headers: request.headers });
      const send = (status: number, payload: unknown) => {
        response.writeHead(status, { 'content-type': 'application/json' });
        response.end(JSON.stringify(payload));
      };
      if (!verdict.ok) return send(403, { message: `The request signature we calculated does not match the signature you provided (${verdict.reason}).` });
      const url = new URL(request.url ?? '/', 'http://localhost');
      const stream = /^\/streams\/([^/]+)(?:\/(events|changesets))?$/.exec(url.pathname);
      if (request.method === 'GET' && url.pathname === '/version') return send(200, { version: '0.0.1' });
      if (request.method === 'POST' && stream !== null && stream[2] === undefined) {
        return send(200, { stream_id: decodeURIComponent(stream[1]!), changeset_id: Number(url.searchParams.get('expected_last_changeset')) + 1 });
      }
      if (request.method === 'GET' && stream?.[2] === 'events') {
        const from = Number(url.searchParams.get('from'));
        const to = Number(url.searchParams.get('to'));
        return send(200, { stream_id: decodeURIComponent(stream[1]!), events: Array.from({ length: to - from + 1 }, (_, index) => ({ id: from + index, data: { n: from + index } })) });
      }
      return send(200, { echo: true });
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, seen, server };
}

const credentials = (accessKeyId: string, secretAccessKey: string, sessionToken?: string) => async () => ({
  accessKeyId,
  secretAccessKey,
  ...(sessionToken === undefined ? {} : { sessionToken }),
});

describe('SigV4 signing for IAM-protected endpoints', () => {
  let api: Awaited<ReturnType<typeof startVerifyingServer>>;
  const clients: EesClient[] = [];
  const clientWith = (sign: ReturnType<typeof createSigner>, endpoint = api.url): EesClient => {
    const client = new EesClient({ endpoint, sign, readRetries: 0 });
    clients.push(client);
    return client;
  };

  beforeAll(async () => {
    api = await startVerifyingServer();
  });
  beforeEach(() => {
    api.seen.length = 0;
  });
  afterAll(async () => {
    await Promise.all(clients.map((client) => client.close()));
    await new Promise((resolve) => api.server.close(resolve));
  });

  it('signs GET, POST with a body and reads with a query string so that the server accepts them', async () => {
    const client = clientWith(createSigner({ region: REGION, credentials: credentials('AKIDEXAMPLE', 'secret') }));
    expect((await client.version()).version).toBe('0.0.1');
    // A stream id that needs encoding: the path is signed as sent, encoded once more.
    const streamId = "account 42 ü (main)*'!";
    expect(await client.commit(streamId, { events: [{ type: 'opened' }], metadata: { user: 'ann' } }, { changeset: 2 })).toEqual({ stream_id: streamId, changeset_id: 3 });
    const pages = [];
    for await (const page of client.readStream(streamId, 'events', { from: 4, to: 6 })) pages.push(page);
    expect(pages).toEqual([[{ id: 4, data: { n: 4 } }, { id: 5, data: { n: 5 } }, { id: 6, data: { n: 6 } }]]);

    expect(api.seen.map((request) => [request.method, request.url, request.verdict.ok])).toEqual([
      ['GET', '/version', true],
      ['POST', `/streams/${encodeURIComponent(streamId)}?expected_last_changeset=2`, true],
      ['GET', `/streams/${encodeURIComponent(streamId)}/events?from=4&to=6`, true],
    ]);
    // The body was signed as it was sent, and so were the headers the client sets.
    expect(api.seen[1]!.body).toBe(JSON.stringify({ events: [{ type: 'opened' }], metadata: { user: 'ann' } }));
    expect(api.seen[1]!.verdict.signedHeaders).toEqual(expect.arrayContaining(['host', 'x-amz-date', 'x-amz-content-sha256', 'content-type', 'accept']));
    expect(api.seen.every((request) => request.headers['x-amz-security-token'] === undefined)).toBe(true);
  });

  it('is refused with FORBIDDEN when signing with a wrong secret', async () => {
    const client = clientWith(createSigner({ region: REGION, credentials: credentials('AKIDEXAMPLE', 'not-the-secret') }));
    const failure = await client.version().catch((error: unknown) => error);
    expect(failure).toBeInstanceOf(EesError);
    expect(failure).toMatchObject({ code: 'FORBIDDEN', exitCode: 6 });
    expect(api.seen.map((request) => request.verdict)).toEqual([{ ok: false, reason: 'signature mismatch' }]);
    // A wrong region is refused too (the scope is part of the signature).
    await expect(clientWith(createSigner({ region: 'us-east-1', credentials: credentials('AKIDEXAMPLE', 'secret') })).version()).rejects.toMatchObject({ code: 'FORBIDDEN' });
  });

  it('sends a session token as x-amz-security-token, signed', async () => {
    const client = clientWith(createSigner({ region: REGION, credentials: credentials('ASIAEXAMPLE', 'session-secret', 'the-session-token') }));
    await client.commit('s', { events: [1] }, { changeset: 0 });
    expect(api.seen).toHaveLength(1);
    expect(api.seen[0]!.verdict.ok).toBe(true);
    expect(api.seen[0]!.headers['x-amz-security-token']).toBe('the-session-token');
    expect(api.seen[0]!.verdict.signedHeaders).toContain('x-amz-security-token');
  });

  it('returns only the headers to add, and its signature covers the body, the query and the path', async () => {
    const sign = createSigner({ region: REGION, credentials: credentials('ASIAEXAMPLE', 'session-secret', 'the-session-token') });
    const url = new URL(`${api.url}/anything/a%20b?to=5&from=1&tag=b&tag=a&empty=`);
    const headers = { accept: 'application/json', 'content-type': 'application/json' };
    const added = await sign({ method: 'POST', url, headers, body: '{"n":1}' });
    expect(Object.keys(added).sort()).toEqual(['authorization', 'x-amz-content-sha256', 'x-amz-date', 'x-amz-security-token']);
    expect(headers).toEqual({ accept: 'application/json', 'content-type': 'application/json' });

    const send = (target: URL, body: string) => fetch(target, { method: 'POST', headers: { ...headers, ...added }, body });
    // As signed (unsorted and repeated query parameters included): accepted.
    expect((await send(url, '{"n":1}')).status).toBe(200);
    // Another body, query or path with the same signature: refused.
    expect((await send(url, '{"n":2}')).status).toBe(403);
    expect((await send(new URL(url.href.replace('to=5', 'to=6')), '{"n":1}')).status).toBe(403);
    expect((await send(new URL(url.href.replace('/anything/', '/other/')), '{"n":1}')).status).toBe(403);
    expect(api.seen.map((request) => request.verdict.ok)).toEqual([true, false, false, false]);
  });

  it('replaces a bearer token by the signature', async () => {
    const sign = createSigner({ region: REGION, credentials: credentials('AKIDEXAMPLE', 'secret') });
    const client = new EesClient({ endpoint: api.url, token: 'bearer-secret', sign });
    clients.push(client);
    expect((await client.version()).version).toBe('0.0.1');
    expect(api.seen[0]!.headers.authorization).toMatch(/^AWS4-HMAC-SHA256 /);
  });

  it('turns missing credentials into one clear UNAUTHORIZED error, without a request', async () => {
    const noCredentials = async () => {
      throw Object.assign(new Error('Could not load credentials from any providers'), { name: 'CredentialsProviderError' });
    };
    const failure = await clientWith(createSigner({ region: REGION, credentials: noCredentials })).version().catch((error: unknown) => error);
    expect(failure).toBeInstanceOf(EesError);
    expect(failure).toMatchObject({
      code: 'UNAUTHORIZED',
      exitCode: 6,
      message: `No AWS credentials found for signing requests to ${api.url}: configure a profile or set AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY.`,
    });
    // Another credentials failure keeps its reason, on one line.
    const expired = async () => {
      throw new Error('The SSO session has expired.\nRun aws sso login.');
    };
    await expect(clientWith(createSigner({ region: REGION, credentials: expired })).version()).rejects.toMatchObject({
      code: 'UNAUTHORIZED',
      message: `Could not get AWS credentials for signing requests to ${api.url}: The SSO session has expired.`,
    });
    expect(api.seen).toHaveLength(0);
  });

  describe('with the standard credential chain', () => {
    const saved = { ...process.env };
    const awsDir = mkdtempSync(join(tmpdir(), 'ees-aws-'));
    beforeEach(() => {
      // Only the environment and these empty files: no SSO, no container or instance metadata.
      for (const name of Object.keys(process.env)) if (name.startsWith('AWS_')) delete process.env[name];
      writeFileSync(join(awsDir, 'config'), '');
      writeFileSync(join(awsDir, 'credentials'), '');
      process.env['AWS_CONFIG_FILE'] = join(awsDir, 'config');
      process.env['AWS_SHARED_CREDENTIALS_FILE'] = join(awsDir, 'credentials');
      process.env['AWS_EC2_METADATA_DISABLED'] = 'true';
    });
    afterEach(() => {
      process.env = { ...saved };
    });
    afterAll(() => rmSync(awsDir, { recursive: true, force: true }));

    it('signs with credentials from the environment', async () => {
      process.env['AWS_ACCESS_KEY_ID'] = 'AKIDEXAMPLE';
      process.env['AWS_SECRET_ACCESS_KEY'] = 'secret';
      expect((await clientWith(createSigner({ region: REGION })).version()).version).toBe('0.0.1');
      expect(api.seen.map((request) => request.verdict.ok)).toEqual([true]);
    });

    it('signs with a profile from the shared credentials file', async () => {
      writeFileSync(join(awsDir, 'credentials'), '[ees-test]\naws_access_key_id = ASIAEXAMPLE\naws_secret_access_key = session-secret\naws_session_token = the-session-token\n');
      process.env['AWS_PROFILE'] = 'ees-test';
      expect((await clientWith(createSigner({ region: REGION })).version()).version).toBe('0.0.1');
      expect(api.seen[0]!.headers['x-amz-security-token']).toBe('the-session-token');
    });

    it('says that no credentials were found when the chain has none', async () => {
      await expect(clientWith(createSigner({ region: REGION })).version()).rejects.toMatchObject({
        code: 'UNAUTHORIZED',
        message: expect.stringMatching(/^No AWS credentials found for signing requests to http:\/\/127\.0\.0\.1:\d+: configure a profile/),
      });
      expect(api.seen).toHaveLength(0);
    });
  });

  describe('from a CLI command on an IAM profile', () => {
    const saved = { ...process.env };
    const configDir = mkdtempSync(join(tmpdir(), 'ees-iam-config-'));
    const awsDir = mkdtempSync(join(tmpdir(), 'ees-aws-'));

    /** The smallest client command: connects to its target and prints the API version. */
    class VersionProbe extends ClientCommand {
      override async run(): Promise<void> {
        const { flags } = await this.parse(VersionProbe);
        const client = (await this.connect(flags)).http;
        this.print((await client.version()).version);
      }
    }

    beforeEach(() => {
      for (const name of Object.keys(process.env)) if (name.startsWith('AWS_') || name.startsWith('EES_')) delete process.env[name];
      writeFileSync(join(awsDir, 'empty'), '');
      process.env['AWS_CONFIG_FILE'] = join(awsDir, 'empty');
      process.env['AWS_SHARED_CREDENTIALS_FILE'] = join(awsDir, 'empty');
      process.env['AWS_EC2_METADATA_DISABLED'] = 'true';
      // Profiles are read from the CLI's config dir (oclif's EES_CONFIG_DIR): a temporary one here.
      process.env['EES_CONFIG_DIR'] = configDir;
      writeFileSync(
        join(configDir, 'profiles.json'),
        JSON.stringify({ profiles: { prod: { endpoint: api.url, region: REGION, auth: 'iam' }, noregion: { endpoint: api.url, auth: 'iam' } } }),
      );
    });
    afterEach(() => {
      process.env = { ...saved };
      process.exitCode = undefined;
      vi.restoreAllMocks();
    });
    afterAll(() => {
      rmSync(configDir, { recursive: true, force: true });
      rmSync(awsDir, { recursive: true, force: true });
    });

    const run = async (...argv: string[]) => {
      const stdout: string[] = [];
      const stderr: string[] = [];
      vi.spyOn(process.stdout, 'write').mockImplementation((chunk) => (stdout.push(String(chunk)), true));
      vi.spyOn(process.stderr, 'write').mockImplementation((chunk) => (stderr.push(String(chunk)), true));
      let exit: number | undefined;
      try {
        await VersionProbe.run(argv, process.cwd());
      } catch (error) {
        exit = (error as { oclif?: { exit?: number } }).oclif?.exit;
      }
      vi.restoreAllMocks();
      return { stdout: stdout.join(''), stderr: stderr.join(''), exit };
    };

    it('signs with the profile region and the standard credentials', async () => {
      process.env['AWS_ACCESS_KEY_ID'] = 'AKIDEXAMPLE';
      process.env['AWS_SECRET_ACCESS_KEY'] = 'secret';
      const result = await run('--profile', 'prod');
      expect(result).toMatchObject({ stdout: '0.0.1\n', exit: undefined });
      expect(api.seen.map((request) => request.verdict.ok)).toEqual([true]);
    });

    it('takes the region from AWS_REGION when the profile has none', async () => {
      process.env['AWS_ACCESS_KEY_ID'] = 'AKIDEXAMPLE';
      process.env['AWS_SECRET_ACCESS_KEY'] = 'secret';
      process.env['AWS_REGION'] = REGION;
      expect(await run('--profile', 'noregion')).toMatchObject({ stdout: '0.0.1\n', exit: undefined });
      expect(api.seen.map((request) => request.verdict.ok)).toEqual([true]);
    });

    it('exits 6 with one line when there are no credentials', async () => {
      const result = await run('--profile', 'prod');
      expect(result.exit).toBe(6);
      expect(result.stderr).toBe(`ees: No AWS credentials found for signing requests to ${api.url}: configure a profile or set AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY.\n`);
      expect(api.seen).toHaveLength(0);
    });
  });
});
