import { readFileSync } from 'node:fs';

declare const EES_PACKAGE_VERSION: string | undefined;

/** The package version: inlined by the Lambda bundler, read from package.json otherwise. */
function readPackageVersion(): string {
  if (typeof EES_PACKAGE_VERSION === 'string') return EES_PACKAGE_VERSION;
  // src/version.ts and dist/src/version.js sit at different depths: walk up to the package.
  let directory = new URL('.', import.meta.url);
  for (let depth = 0; depth < 4; depth++) {
    try {
      const manifest = JSON.parse(readFileSync(new URL('package.json', directory), 'utf8')) as { name?: string; version?: string };
      if (manifest.name === 'elastic-event-store' && manifest.version !== undefined) return manifest.version;
    } catch {
      // not here: one level up
    }
    directory = new URL('..', directory);
  }
  return '0.0.0';
}

export const PACKAGE_VERSION = readPackageVersion();
