import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { connect, type ReconnectNotice } from '../../src/client/index.js';
import { freePort, startDevProcess, type DevProcess } from '../support/processes.js';

describe('subscribe across a restart of the server', () => {
  const dataDir = mkdtempSync(join(tmpdir(), 'ees-subscribe-'));
  let server: DevProcess | undefined;
  afterAll(async () => {
    await server?.stop();
    rmSync(dataDir, { recursive: true, force: true });
  });

  it('reconnects with backoff and resumes after the last changeset it yielded: none skipped, none repeated', async () => {
    const port = await freePort();
    server = await startDevProcess(['--port', String(port), '--data-dir', dataDir]);
    const writer = await connect({ endpoint: server.url, env: {} });
    const reader = await connect({ endpoint: server.url, env: {} });
    await writer.append('restart', ['before-1'], { expect: 'new-stream' });
    await writer.append('restart', ['before-2'], { expect: { changeset: 1 } });
    const stop = new AbortController();
    const seen: unknown[] = [];
    const notices: ReconnectNotice[] = [];
    let reconnected = 0;
    let wake: (() => void) | undefined;
    const following = (async () => {
      for await (const changeset of reader.subscribe({ from: 0, signal: stop.signal, pageSize: 1, onReconnecting: (notice) => notices.push(notice), onReconnected: () => reconnected++ })) {
        seen.push(changeset.events[0]);
        wake?.();
        if (seen.length === 4) stop.abort();
      }
    })();
    const waitForSeen = async (count: number): Promise<void> => {
      while (seen.length < count) await new Promise<void>((resolve) => (wake = resolve));
    };
    await waitForSeen(2);
    await server.stop();
    // Down: the subscription is failing and says from where it will resume.
    while (notices.length === 0) await new Promise((resolve) => setTimeout(resolve, 20));
    expect(notices[0]!.checkpoint).toBe(2);
    server = await startDevProcess(['--port', String(port), '--data-dir', dataDir]);
    await writer.append('restart', ['after-1'], { expect: { changeset: 2 } });
    await writer.append('restart', ['after-2'], { expect: { changeset: 3 } });
    await following;
    expect(seen).toEqual(['before-1', 'before-2', 'after-1', 'after-2']);
    expect(reconnected).toBe(1);
    await writer.close();
    await reader.close();
  });
});
