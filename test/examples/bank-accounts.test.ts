import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));

function runNode(args: string[]): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, args, { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    child.once('close', (code) => resolve({ code, stdout, stderr }));
  });
}

/** The example application as `npm run example` runs it (built), and on the embedded store. */
describe('the bank-accounts example', () => {
  it('runs against ees dev: racing tellers retried on conflict, the subscribed read model agrees', async () => {
    const run = await runNode(['dist/examples/bank-accounts/run.js']);
    expect(run.code, run.stderr).toBe(0);
    const report = JSON.parse(run.stdout) as { accounts: number; commands: number; consistent: boolean; balances: Record<string, number> };
    expect(report).toMatchObject({ accounts: 3, commands: 43, consistent: true });
    // 4 tellers, 10 operations each: deposits of teller+1, every third operation a withdrawal of 1.
    expect(Object.values(report.balances).reduce((sum, balance) => sum + balance, 0)).toBe(58);
  });

  it('runs on the embedded store, no server', async () => {
    const script = `import { openEmbeddedStore } from 'elastic-event-store/embedded';
import { runExample } from './dist/examples/bank-accounts/main.js';
const store = await openEmbeddedStore();
console.log(JSON.stringify(await runExample(store, { tellers: 3, operations: 5 })));
await store.close();`;
    const run = await runNode(['--input-type=module', '-e', script]);
    expect(run.code, run.stderr).toBe(0);
    expect(JSON.parse(run.stdout)).toMatchObject({ accounts: 3, commands: 18, consistent: true });
  });
});
