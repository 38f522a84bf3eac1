import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { startEmbeddedStore } from '../../src/dev/embedded.js';
import { apiClient } from '../support/http.js';

describe('restart on the same data dir', () => {
  const dataDir = mkdtempSync(join(tmpdir(), 'ees-restart-'));
  afterAll(() => rmSync(dataDir, { recursive: true, force: true }));

  it('keeps every changeset, the global order and the statistics', async () => {
    const first = await startEmbeddedStore({ dataDir, host: '127.0.0.1', port: 0 });
    const before = apiClient(first.url);
    await before.post('/streams/kept', { events: [1, 2], metadata: { a: 1 } });
    await before.post('/streams/kept?expected_last_changeset=1', { events: [3] });
    await before.post('/streams/other', { events: ['x'] });
    const global = (await before.get('/changesets?limit=100')).text;
    await first.close();

    const second = await startEmbeddedStore({ dataDir, host: '127.0.0.1', port: 0 });
    try {
      const after = apiClient(second.url);
      expect((await after.get('/changesets?limit=100')).text).toBe(global);
      expect((await after.get('/streams/kept/events')).json.events.map((e: { data: number }) => e.data)).toEqual([1, 2, 3]);
      // The next commit continues the numbering where the first run stopped.
      expect((await after.post('/streams/kept?expected_last_changeset=2', { events: [4] })).json.changeset_id).toBe(3);
      expect((await after.get('/changesets?checkpoint=3')).json.changesets[0]).toMatchObject({ stream_id: 'kept', changeset_id: 3, checkpoint: 3 });
      let statistics = (await after.get('/streams')).json;
      for (let attempt = 0; attempt < 50 && statistics.statistics_version < 4; attempt++) {
        await new Promise((resolve) => setTimeout(resolve, 100));
        statistics = (await after.get('/streams')).json;
      }
      expect(statistics).toEqual({ total_streams: 2, total_changesets: 4, total_events: 5, max_stream_length: 3, statistics_version: 4 });
    } finally {
      await second.close();
    }
  });
});
