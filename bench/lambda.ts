/**
 * Lambda cold-start inputs: each bundle's size, and how long a fresh Node process takes to load
 * it. With a baseline folder (`--lambda-baseline=<dist/lambda of another build>`), its bundles are
 * loaded in the same run, interleaved with these, so the ratio compares like with like.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { LAMBDA_ENTRIES } from '../stack/lambda-code.js';

export interface BundleLoad {
  readonly name: string;
  readonly bytes: number;
  readonly loadMs: number;
  readonly baseline?: { readonly bytes: number; readonly loadMs: number };
}

/** Milliseconds a new node process takes to require the file. */
function loadOnce(file: string): number {
  const script = `const t=process.hrtime.bigint();require(${JSON.stringify(file)});console.log(Number(process.hrtime.bigint()-t)/1e6)`;
  return Number(execFileSync(process.execPath, ['-e', script], { env: { ...process.env, AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true' } }).toString().trim());
}

const median = (values: number[]): number => values.sort((a, b) => a - b)[Math.floor(values.length / 2)]!;

export async function measureLambdaBundles(options: { baselineDirectory?: string | undefined; loads?: number } = {}): Promise<BundleLoad[]> {
  const root = fileURLToPath(new URL('../../', import.meta.url));
  const loads = options.loads ?? 11;
  return LAMBDA_ENTRIES.map((name) => {
    const file = join(root, 'dist', 'lambda', name, 'index.js');
    const baselineFile = options.baselineDirectory === undefined ? undefined : join(options.baselineDirectory, name, 'index.js');
    if (baselineFile !== undefined && !existsSync(baselineFile)) throw new Error(`No baseline bundle at ${baselineFile}.`);
    // Each load in a new process (what a cold start pays for the module); the two builds alternate.
    const now: number[] = [];
    const before: number[] = [];
    for (let load = 0; load < loads; load++) {
      now.push(loadOnce(file));
      if (baselineFile !== undefined) before.push(loadOnce(baselineFile));
    }
    return {
      name,
      bytes: statSync(file).size,
      loadMs: median(now),
      ...(baselineFile === undefined ? {} : { baseline: { bytes: statSync(baselineFile).size, loadMs: median(before) } }),
    };
  });
}
