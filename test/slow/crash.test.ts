import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { startDevProcess, type DevProcess } from '../support/processes.js';

interface Acknowledged {
  readonly streamId: string;
  readonly changesetId: number;
  readonly events: unknown[];
}

const WRITERS = 8;
const EVENTS_PER_CHANGESET = 3;

/** A writer that commits to its own stream until the server goes away, recording what was acknowledged. */
async function writer(url: string, streamId: string, acknowledged: Acknowledged[], stop: { now: boolean }): Promise<void> {
  // Resynchronise with the stream: a commit in flight at a crash may or may not have been kept.
  let expected = 0;
  try {
    const read = await fetch(`${url}/streams/${streamId}/changesets`);
    if (read.status === 200) {
      const body = (await read.json()) as { changesets: { changeset_id: number }[]; next_from?: number };
      expected = body.changesets.at(-1)?.changeset_id ?? 0;
      if (body.next_from !== undefined) throw new Error('stream longer than one page');
    }
  } catch {
    return;
  }
  for (let sequence = 0; !stop.now; sequence++) {
    const events = Array.from({ length: EVENTS_PER_CHANGESET }, (_, index) => ({ streamId, expected, sequence, index }));
    let response: Response;
    try {
      response = await fetch(`${url}/streams/${streamId}?expected_last_changeset=${expected}`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ events }),
      });
    } catch {
      return; // the server died: this commit is unacknowledged
    }
    const body = (await response.json()) as { changeset_id?: number };
    if (response.status !== 200) throw new Error(`unexpected ${response.status}: ${JSON.stringify(body)}`);
    acknowledged.push({ streamId, changesetId: body.changeset_id!, events });
    expected = body.changeset_id!;
  }
}

async function readAll(url: string): Promise<{ stream_id: string; changeset_id: number; events: unknown[]; checkpoint: number }[]> {
  const all: { stream_id: string; changeset_id: number; events: unknown[]; checkpoint: number }[] = [];
  let checkpoint = 0;
  for (;;) {
    const page = (await (await fetch(`${url}/changesets?checkpoint=${checkpoint}&limit=1000`)).json()) as { changesets: typeof all; next_checkpoint: number };
    if (page.changesets.length === 0) return all;
    all.push(...page.changesets);
    checkpoint = page.next_checkpoint;
  }
}

/** Every acknowledged changeset kept unchanged; nothing partial; ids contiguous; the global order dense and complete. */
async function verify(url: string, acknowledged: readonly Acknowledged[]): Promise<number> {
  const global = await readAll(url);
  expect(global.map((entry) => entry.checkpoint)).toEqual(global.map((_, index) => index));
  const byKey = new Map(global.map((entry) => [`${entry.stream_id}:${entry.changeset_id}`, entry]));
  for (const ack of acknowledged) {
    expect(byKey.get(`${ack.streamId}:${ack.changesetId}`)?.events, `${ack.streamId}:${ack.changesetId}`).toEqual(ack.events);
  }
  const perStream = new Map<string, number[]>();
  for (const entry of global) {
    expect(entry.events).toHaveLength(EVENTS_PER_CHANGESET);
    (perStream.get(entry.stream_id) ?? perStream.set(entry.stream_id, []).get(entry.stream_id)!).push(entry.changeset_id);
  }
  for (const [streamId, ids] of perStream) {
    expect(ids, streamId).toEqual(ids.map((_, index) => index + 1));
    const read = (await (await fetch(`${url}/streams/${streamId}/changesets`)).json()) as { changesets: unknown[] };
    expect(read.changesets).toHaveLength(ids.length);
  }
  return global.length;
}

describe('crash safety of ees dev (embedded engine)', () => {
  const dataDir = mkdtempSync(join(tmpdir(), 'ees-crash-'));
  const acknowledged: Acknowledged[] = [];
  afterAll(() => rmSync(dataDir, { recursive: true, force: true }));

  const run = async (dev: DevProcess, crash: () => Promise<void>): Promise<void> => {
    const stop = { now: false };
    const writers = Array.from({ length: WRITERS }, (_, index) => writer(dev.url, `writer-${index}`, acknowledged, stop));
    await new Promise((resolve) => setTimeout(resolve, 300 + Math.random() * 500));
    await crash();
    stop.now = true;
    await Promise.all(writers);
  };

  it('loses no acknowledged changeset over rounds of kill -9 under 8 concurrent writers', async () => {
    for (let round = 0; round < 5; round++) {
      const dev = await startDevProcess(['--port', '0', '--data-dir', dataDir]);
      const before = acknowledged.length;
      await run(dev, async () => {
        await dev.stop('SIGKILL');
      });
      expect(acknowledged.length).toBeGreaterThan(before);
      const check = await startDevProcess(['--port', '0', '--data-dir', dataDir]);
      try {
        expect(await verify(check.url, acknowledged)).toBeGreaterThanOrEqual(acknowledged.length);
      } finally {
        expect(await check.stop('SIGTERM')).toBe(0);
      }
    }
  });

  it('keeps or refuses every in-flight commit on SIGTERM under load, and exits 0', async () => {
    const dev = await startDevProcess(['--port', '0', '--data-dir', dataDir]);
    let exitCode: number | null = null;
    await run(dev, async () => {
      exitCode = await dev.stop('SIGTERM');
    });
    expect(exitCode).toBe(0);
    const check = await startDevProcess(['--port', '0', '--data-dir', dataDir]);
    try {
      await verify(check.url, acknowledged);
    } finally {
      await check.stop('SIGTERM');
    }
  });
});
