import { execFileSync } from 'node:child_process';
import { createServer, type Socket } from 'node:net';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { EesClient } from '../../src/client/http-client.js';
import { BIN } from '../support/processes.js';
import { startTestStore } from '../support/store.js';

/**
 * What a person sees in a real terminal: each case runs ees in a tmux pane of a given size and
 * reads the screen back (capture-pane), escape sequences included where colour matters.
 */

const SOCKET = `ees-test-${process.pid}`;
let sessions = 0;

/** A person's terminal: no CI variables (Ink draws only the last frame in CI), colour allowed. */
function terminalEnv(extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { ...process.env, TERM: 'xterm-256color', ...extra };
  for (const name of ['CI', 'CONTINUOUS_INTEGRATION', 'BUILD_NUMBER', 'RUN_ID', 'FORCE_COLOR', 'NO_COLOR']) if (!(name in extra)) delete env[name];
  return env;
}

const quote = (word: string): string => `'${word.replace(/'/g, `'\\''`)}'`;

function tmux(...args: string[]): string {
  return execFileSync('tmux', ['-L', SOCKET, ...args], { encoding: 'utf8' });
}

/** Starts `ees ARGS` in a detached pane of `columns`×`rows`; the pane stays after ees exits. */
function startPane(args: string[], options: { columns: number; rows?: number; env?: Record<string, string> }): string {
  const name = `pane${sessions++}`;
  const variables = Object.entries(terminalEnv(options.env))
    .filter((entry): entry is [string, string] => entry[1] !== undefined && /^[A-Za-z_][A-Za-z0-9_]*$/.test(entry[0]))
    .map(([key, value]) => `${key}=${quote(value)}`);
  const command = `env -i ${variables.join(' ')} ${quote(process.execPath)} ${quote(BIN)} ${args.map(quote).join(' ')}; echo "exit=$?"; sleep 600`;
  execFileSync('tmux', ['-L', SOCKET, '-f', '/dev/null', 'new-session', '-d', '-s', name, '-x', String(options.columns), '-y', String(options.rows ?? 24), command], {
    env: terminalEnv(),
  });
  tmux('set-option', '-t', name, 'window-size', 'manual');
  return name;
}

function screen(name: string, withEscapes = false): string {
  return tmux('capture-pane', '-p', ...(withEscapes ? ['-e'] : []), '-t', name);
}

async function waitForScreen(name: string, pattern: RegExp, timeoutMs = 15_000): Promise<string> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const text = screen(name);
    if (pattern.test(text)) return text;
    if (Date.now() > deadline) throw new Error(`not on screen: ${pattern}\n${text}`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

const SGR_COLOUR = /\u001b\[[0-9;]*(3[0-7]|9[0-7]|38;)[0-9;]*m/;

describe('ees in a terminal (tmux)', () => {
  let store: Awaited<ReturnType<typeof startTestStore>>;
  const sockets = new Set<Socket>();
  const silent = createServer((socket) => {
    sockets.add(socket);
    socket.on('error', () => {});
  });
  let silentUrl: string;

  beforeAll(async () => {
    store = await startTestStore();
    const client = new EesClient({ endpoint: store.url });
    await client.commit('term', { events: [1, 2] }, { changeset: 0 });
    await client.close();
    await new Promise<void>((resolve) => silent.listen(0, '127.0.0.1', resolve));
    silentUrl = `http://127.0.0.1:${(silent.address() as AddressInfo).port}`;
  });
  afterAll(async () => {
    try {
      tmux('kill-server');
    } catch {
      // No session was left.
    }
    for (const socket of sockets) socket.destroy();
    await new Promise((resolve) => silent.close(resolve));
    await store.dispose();
  });

  it('colours the stats panel, and not with NO_COLOR=1', async () => {
    const coloured = startPane(['stats', '--endpoint', store.url], { columns: 80 });
    const plain = startPane(['stats', '--endpoint', store.url], { columns: 80, env: { NO_COLOR: '1' } });
    await waitForScreen(coloured, /Head checkpoint/);
    await waitForScreen(plain, /Head checkpoint/);
    expect(screen(coloured, true)).toMatch(SGR_COLOUR);
    expect(screen(plain, true)).not.toMatch(SGR_COLOUR);
  });

  it('fits the watch panel to 40 and to 30 columns, the rate line unbroken, nothing wrapped', async () => {
    for (const columns of [40, 30]) {
      const name = startPane(['stats', '--watch', '--interval', '200ms', '--endpoint', store.url], { columns });
      const text = await waitForScreen(name, /Commit rate.*\/s/);
      const lines = text.split('\n').filter((line) => line.trim() !== '');
      // Every row of the panel is a border row or a framed row: a wrapped line would start elsewhere.
      for (const line of lines) expect(line, `at ${columns} columns:\n${text}`).toMatch(/^[╭│╰]/);
      expect(lines.find((line) => line.includes('Commit rate'))).toMatch(/\/s.*│$/);
      tmux('send-keys', '-t', name, 'q');
    }
  });

  it('leaves no old frame behind when the terminal narrows', async () => {
    const name = startPane(['stats', '--watch', '--interval', '200ms', '--endpoint', store.url], { columns: 90 });
    await waitForScreen(name, /Commit rate.*\/s/);
    tmux('resize-window', '-t', name, '-x', '50', '-y', '24');
    const narrow = await waitForScreen(name, /^╭─{20,48}╮$/m);
    // Two more frames drawn at the new width, each showing a commit made after the resize, before
    // looking for remains of the wide frames.
    let head = Number(/Head checkpoint\D*([\d,]+)/.exec(narrow)![1]!.replaceAll(',', ''));
    const client = new EesClient({ endpoint: store.url });
    for (const _ of [1, 2]) {
      await client.commit(`narrowing-${head}`, { events: [head] }, { changeset: 0 });
      head++;
      await waitForScreen(name, new RegExp(`Head checkpoint\\D*${head.toLocaleString('en-US').replaceAll(',', ',?')}\\b`));
    }
    await client.close();
    const text = screen(name);
    expect(text.match(/╭/g)?.length, text).toBe(1);
    expect(Math.max(...text.split('\n').map((line) => [...line.trimEnd()].length))).toBeLessThanOrEqual(50);
    tmux('send-keys', '-t', name, 'q');
  });

  it('asks "Did you mean …?" for an unknown command at a terminal, and exits 2 when declined', async () => {
    const name = startPane(['tial'], { columns: 100 });
    await waitForScreen(name, /Did you mean tail\?/);
    tmux('send-keys', '-t', name, 'n', 'Enter');
    await waitForScreen(name, /^exit=2$/m);
  });

  it('says so at a terminal when a request is slow, then gives up at --timeout', async () => {
    const name = startPane(['read', 'term', '--timeout', '4s', '--endpoint', silentUrl], { columns: 100 });
    await waitForScreen(name, /ees: waiting for http:\/\/127\.0\.0\.1:\d+… \(gives up after 4s; --timeout to change\)/);
    await waitForScreen(name, /ees: Cannot reach .*no answer within 4s/);
  });
});
