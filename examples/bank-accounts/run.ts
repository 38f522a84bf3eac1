/**
 * `npm run example`: starts `ees dev` on a fresh data folder, runs the bank against it through
 * `connect()`, prints the report as JSON, and stops the server. Exits 1 if the read model disagrees.
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { connect } from 'elastic-event-store/client';
import type { AccountEvent } from './account.js';
import { runExample } from './main.js';

// The installed package's own CLI, found the way an application finds the package.
const ees = fileURLToPath(new URL('bin/run.js', import.meta.resolve('elastic-event-store/package.json')));

async function startDev(dataDir: string): Promise<{ url: string; stop: () => Promise<void> }> {
  const child = spawn(process.execPath, [ees, 'dev', '--port', '0', '--data-dir', dataDir], { stdio: ['ignore', 'pipe', 'inherit'] });
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const url = await new Promise<string>((resolve, reject) => {
    let output = '';
    child.stdout.on('data', (chunk: Buffer) => {
      output += chunk.toString();
      const found = /listening on (http:\/\/\S+)/.exec(output)?.[1];
      if (found !== undefined) resolve(found);
    });
    void exited.then(() => reject(new Error(`ees dev stopped before it listened: ${output}`)));
  });
  return {
    url,
    stop: async () => {
      child.kill('SIGTERM');
      await exited;
    },
  };
}

const dataDir = mkdtempSync(join(tmpdir(), 'ees-bank-'));
const dev = await startDev(dataDir);
try {
  const store = await connect<AccountEvent>({ endpoint: dev.url });
  try {
    const report = await runExample(store);
    console.log(JSON.stringify(report));
    if (!report.consistent) process.exitCode = 1;
  } finally {
    await store.close();
  }
} finally {
  await dev.stop();
  rmSync(dataDir, { recursive: true, force: true });
}
