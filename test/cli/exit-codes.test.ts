import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createServer as createHttpServer, type Server } from 'node:http';
import { createServer as createTcpServer, type Server as TcpServer, type Socket } from 'node:net';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { EesClient } from '../../src/client/http-client.js';
import { startEmbeddedStore } from '../../src/dev/embedded.js';
import { runCli } from '../support/processes.js';
import { startTestStore } from '../support/store.js';

/**
 * The exit-code contract, path by path, as scripts meet it: every row of the README's table runs
 * as a process, with and without --json, and the README's table and this one must list the same
 * paths with the same codes.
 */

type TargetName = 'store' | 'refused' | 'silent' | 'closing' | 'webPage' | 'tokenStore';

interface PathSetup {
  /** The server the command talks to (EES_ENDPOINT). */
  readonly target?: TargetName;
  readonly input?: string;
  /** Commands without --json (dev, synth). */
  readonly noJsonFlag?: boolean;
  /** ees status prints its (error) object whenever stdout is not a terminal, --json or not. */
  readonly jsonWhenPiped?: boolean;
  /** Words the one-line message must contain. */
  readonly says?: readonly string[];
}

const eesReadOutput = ['{"stream_id":"a","changeset_id":1,"events":[{"type":"x"}],"metadata":{}}', '{"stream_id":"a","changeset_id":2,"events":[{"type":"y"}],"metadata":{}}'].join('\n');

/** Keyed by the README's "path" cell; the README gives the exit code and the error code. */
const SETUPS: Record<string, PathSetup> = {
  '`ees read s --from`': { says: ['--from'] },
  '`ees append s --expect`': { says: ['--expect'] },
  '`ees stats --interval`': { says: ['--interval'] },
  '`ees status --endpoint`': { jsonWhenPiped: true, says: ['--endpoint'] },
  '`ees tail --from-checkpoint x`': { says: ['checkpoint'] },
  '`ees status --endpoint http://127.0.0.1:1 --endpoint http://127.0.0.1:2`': { jsonWhenPiped: true, says: ['once'] },
  '`ees read s --bogus`': { says: ['--bogus'] },
  '`ees read`': { says: ['stream'] },
  '`ees read s --from 3 --to 1`': { says: ['--from 3 is after --to 1'] },
  '`ees stats --interval soon`': { says: ['not a duration'] },
  '`ees read s --timeout never`': { says: ['--timeout', 'not a duration'] },
  '`ees dev --engine mysql`': { noJsonFlag: true, says: ['sqlite, dynamodb'] },
  "`ees synth --stack-name 'bad name!'`": { noJsonFlag: true, says: ['not a stack name'] },
  '`ees tial`': { says: ['Did you mean "tail"?'] },
  '`ees --json`': { says: ['goes after a command'] },
  '`ees profile remove nope`': { says: ['no profile "nope"'] },
  '`ees repair --events-table t`': { says: ['--meta-table'] },
  '`ees dlq redrive`': { says: ['--all'] },
  '`ees append s --file /nonexistent`': { says: ['ENOENT'] },
  '`ees append s < empty`': { input: '', says: ['stdin is empty'] },
  '`ees append s < misspelt-events`': { input: '{"evnets":[{"type":"a"}],"metadata":{}}', says: ['"evnets"', '--raw'] },
  '`ees append s < ees-read-output`': { input: eesReadOutput, says: ["ees's own output", '--data-only'] },
  '`ees append s < 5-MB`': { input: `${'{"n":1}\n'.repeat(625_000)}`, says: ['more than 4000000 bytes'] },
  '`ees append taken --expect 0`': { target: 'store', input: '[1]', says: ['Conflict'] },
  '`ees append fresh --expect 1`': { target: 'store', input: '[1]', says: ['Conflict', 'ees info fresh'] },
  '`ees read nosuch`': { target: 'store' },
  '`ees info nosuch`': { target: 'store' },
  '`ees tail nosuch`': { target: 'store' },
  '`ees consumers delete nosuch`': { target: 'store', says: ['nosuch'] },
  '`ees read s` (nothing listening)': { target: 'refused', says: ['connection refused'] },
  '`ees read s --timeout 1s` (server never answers)': { target: 'silent', says: ['no answer within 1s', '--timeout'] },
  '`ees status --timeout 1s` (server never answers)': { jsonWhenPiped: true, target: 'silent', says: ['no answer within 1s'] },
  '`ees status` (a web page, not ees)': { jsonWhenPiped: true, target: 'webPage', says: ['ees'] },
  '`ees read s` (a web page, not ees)': { target: 'webPage', says: ['HTTP 404 (text/html)', 'right endpoint'] },
  '`ees read s` (token required, none given)': { target: 'tokenStore', says: ['--token', 'EES_TOKEN'] },
  '`ees read s --token wrong` (token required)': { target: 'tokenStore', says: ['not the one it expects'] },
  '`ees append s` (connection closed after sending)': { target: 'closing', input: '[1]', says: ['may be stored', 'ees read s --from 1'] },
  '`ees append s --timeout 1s` (server never answers)': { target: 'silent', input: '[1]', says: ['may be stored', 'no answer within 1s'] },
  '`ees read boom --timeout 1s` (HTTP 500, no ees body)': { target: 'webPage', says: ['HTTP 500'] },
  // The consumer exists before the runs, so the two variants, run side by side, only ever fail in the command.
  '`ees tail --consumer failing --exec false`': { target: 'store', says: ['exited with 1', 'the position stays at 0'] },
};

interface DocumentedPath {
  readonly path: string;
  readonly exit: number;
  readonly error: string;
}

/** The rows of the README's table of paths. */
function documentedPaths(): DocumentedPath[] {
  const readme = readFileSync(new URL('../../README.md', import.meta.url), 'utf8');
  const section = readme.slice(readme.indexOf('| path | situation | exit | `error` |'));
  const rows = section.split('\n').slice(2);
  const paths: DocumentedPath[] = [];
  for (const row of rows) {
    if (!row.startsWith('|')) break;
    const [path, , exit, error] = row.slice(1, -1).split(' | ').map((cell) => cell.trim());
    paths.push({ path: path!, exit: Number(exit), error: error! });
  }
  return paths;
}

/** The command line inside the backticks, as words (single quotes group), without `ees` and `< input`. */
function argvOf(path: string): string[] {
  const command = /`([^`]+)`/.exec(path)![1]!.replace(/\s*<\s*\S+$/, '');
  const words = [...command.matchAll(/'([^']*)'|(\S+)/g)].map((match) => match[1] ?? match[2]!);
  expect(words[0]).toBe('ees');
  return words.slice(1);
}

async function listen(server: Server | TcpServer): Promise<string> {
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
}

/** Runs `tasks` with at most `parallel` at once (each is a CLI process: keep the machine responsive). */
async function inPool<T>(tasks: (() => Promise<T>)[], parallel: number): Promise<T[]> {
  const results: T[] = new Array<T>(tasks.length);
  let next = 0;
  await Promise.all(
    Array.from({ length: parallel }, async () => {
      while (next < tasks.length) {
        const index = next++;
        results[index] = await tasks[index]!();
      }
    }),
  );
  return results;
}

describe('exit codes, path by path', () => {
  let store: Awaited<ReturnType<typeof startTestStore>>;
  let tokenStore: Awaited<ReturnType<typeof startEmbeddedStore>>;
  const tokenDir = mkdtempSync(join(tmpdir(), 'ees-token-'));
  const configHome = mkdtempSync(join(tmpdir(), 'ees-xdg-'));
  const sockets = new Set<Socket>();
  // Accepts connections and never answers.
  const silent = createTcpServer((socket) => {
    sockets.add(socket);
    socket.on('error', () => {});
  });
  // Reads the request, then hangs up without answering: the commit was sent, its fate unknown.
  const closing = createHttpServer((request) => request.on('end', () => request.socket.destroy()).resume());
  // Any web server that is not ees: a page for everything, a bare 500 for one path.
  const webPage = createHttpServer((request, response) => {
    if (request.url?.startsWith('/streams/boom/')) response.writeHead(500, { 'content-type': 'text/plain' }).end('oops');
    else response.writeHead(404, { 'content-type': 'text/html' }).end('<html><body>Not Found</body></html>');
  });
  const targets: Partial<Record<TargetName, string>> = {};

  beforeAll(async () => {
    store = await startTestStore();
    tokenStore = await startEmbeddedStore({ dataDir: tokenDir, host: '127.0.0.1', port: 0, token: 'right', logError: () => {} });
    const refused = createTcpServer();
    targets.refused = await listen(refused);
    await new Promise((resolve) => refused.close(resolve));
    targets.store = store.url;
    targets.tokenStore = tokenStore.url;
    targets.silent = await listen(silent);
    targets.closing = await listen(closing);
    targets.webPage = await listen(webPage);
    const client = new EesClient({ endpoint: store.url });
    await client.commit('taken', { events: [1] }, { changeset: 0 });
    await client.advanceConsumer('failing', 0, undefined);
    await client.close();
  });
  afterAll(async () => {
    for (const socket of sockets) socket.destroy();
    await Promise.all([silent, closing, webPage].map((server) => new Promise((resolve) => server.close(resolve))));
    await tokenStore.close();
    await store.dispose();
    rmSync(tokenDir, { recursive: true, force: true });
    rmSync(configHome, { recursive: true, force: true });
  });

  it('lists the same paths as the README, each with an exit code of the table', () => {
    const documented = documentedPaths();
    expect(documented.map((row) => row.path).sort()).toEqual(Object.keys(SETUPS).sort());
    for (const row of documented) expect([1, 2, 3, 4, 5, 6, 7, 8]).toContain(row.exit);
  });

  it('exits with the documented code, one line on stderr, and under --json one JSON error object on stdout', async () => {
    const runs = documentedPaths().flatMap((row) => {
      const setup = SETUPS[row.path]!;
      const argv = argvOf(row.path);
      const variants = setup.noJsonFlag ? [false] : argv.includes('--json') ? [true] : [false, true];
      return variants.map((json) => async () => {
        const env: Record<string, string> = { EES_ENDPOINT: targets[setup.target ?? 'refused'] ?? '', XDG_CONFIG_HOME: configHome, EES_TOKEN: '' };
        const args = json && !argv.includes('--json') ? [...argv, '--json'] : argv;
        const result = await runCli(args, { input: setup.input ?? '', env });
        return { row, setup, json, args, result };
      });
    });
    const results = await inPool(runs, 3);
    const failures: string[] = [];
    for (const { row, setup, json, args, result } of results) {
      const problems: string[] = [];
      if (result.code !== row.exit) problems.push(`exit ${result.code}, documented ${row.exit}`);
      if (!/^ees: [^\n]+\n$/.test(result.stderr)) problems.push(`stderr is not one line: ${JSON.stringify(result.stderr)}`);
      const message = result.stderr.replace(/^ees: /, '').trimEnd();
      for (const words of setup.says ?? []) if (!message.includes(words)) problems.push(`message lacks "${words}": ${message}`);
      if (json || setup.jsonWhenPiped === true) {
        let object: Record<string, unknown> | undefined;
        try {
          object = JSON.parse(result.stdout.trimEnd().split('\n').at(-1) ?? '') as Record<string, unknown>;
        } catch {
          problems.push(`stdout is not JSON: ${JSON.stringify(result.stdout)}`);
        }
        if (object !== undefined) {
          if (object['error'] !== row.error) problems.push(`JSON error ${String(object['error'])}, documented ${row.error}`);
          if (object['exit_code'] !== row.exit) problems.push(`JSON exit_code ${String(object['exit_code'])}`);
          if (object['message'] !== message) problems.push(`JSON message differs from stderr: ${String(object['message'])}`);
        }
        if (result.stdout.trimEnd().split('\n').length !== 1) problems.push(`stdout holds more than the error object: ${result.stdout}`);
      } else if (result.stdout.includes('"exit_code"')) {
        problems.push('a JSON error object without --json');
      }
      if (problems.length > 0) failures.push(`ees ${args.join(' ')}:\n    ${problems.join('\n    ')}`);
    }
    expect(failures).toEqual([]);
  }, 180_000);

  it('shows help for -h at the root and on every command', async () => {
    const [root, read, profile] = await Promise.all([runCli(['-h']), runCli(['read', '-h']), runCli(['profile', 'add', '-h'])]);
    for (const result of [root, read, profile]) expect(result.code).toBe(0);
    expect(root.stdout).toContain('EXIT CODES');
    expect(read.stdout).toMatch(/USAGE\s+\$ ees read STREAM/);
    expect(profile.stdout).toMatch(/USAGE\s+\$ ees profile add NAME/);
  });
});
