/**
 * Where the prebuilt Lambda bundles are. They are built by `npm run build` (scripts/bundle-lambdas)
 * and shipped in the package, so synth and deploy only locate them: no build tool at run time.
 */
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

export const LAMBDA_ENTRIES = ['api', 'indexer', 'projector', 'publisher'] as const;
export type LambdaName = (typeof LAMBDA_ENTRIES)[number];

/** The package root, from dist/stack or stack/ alike. */
export function packageRoot(): string {
  let directory = dirname(fileURLToPath(import.meta.url));
  for (let depth = 0; depth < 4; depth++) {
    try {
      if ((JSON.parse(readFileSync(join(directory, 'package.json'), 'utf8')) as { name?: string }).name === 'elastic-event-store') return directory;
    } catch {
      // keep walking up
    }
    directory = dirname(directory);
  }
  throw new Error('Cannot find the elastic-event-store package root.');
}

/** The folder of the bundles, one subfolder per function; fails clearly when a bundle is missing. */
export function lambdaCodeDirectory(): string {
  const directory = join(packageRoot(), 'dist', 'lambda');
  const missing = LAMBDA_ENTRIES.filter((name) => !existsSync(join(directory, name, 'index.js')));
  if (missing.length > 0) throw new Error(`The Lambda bundles ${missing.join(', ')} are missing from ${directory}: run \`npm run build\`.`);
  return directory;
}
