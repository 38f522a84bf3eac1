/** Lambda cold-start inputs: each bundle's size, and how long a fresh Node process takes to load it. */
import { execFileSync } from 'node:child_process';
import { statSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { LAMBDA_ENTRIES } from '../stack/lambda-code.js';

export async function measureLambdaBundles(): Promise<{ name: string; bytes: number; loadMs: number }[]> {
  const root = fileURLToPath(new URL('../../', import.meta.url));
  return LAMBDA_ENTRIES.map((name) => {
    const file = join(root, 'dist', 'lambda', name, 'index.js');
    // The median of five loads, each in a new process (what a cold start pays for the module).
    const loads = Array.from({ length: 5 }, () =>
      Number(
        execFileSync(process.execPath, ['-e', `const t=process.hrtime.bigint();require(${JSON.stringify(file)});console.log(Number(process.hrtime.bigint()-t)/1e6)`], {
          env: { ...process.env, AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true' },
        })
          .toString()
          .trim(),
      ),
    ).sort((a, b) => a - b);
    return { name, bytes: statSync(file).size, loadMs: loads[2]! };
  });
}
