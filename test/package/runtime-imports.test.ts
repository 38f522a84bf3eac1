import { readdirSync, readFileSync } from 'node:fs';
import { builtinModules } from 'node:module';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const manifest = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { dependencies: Record<string, string>; peerDependencies: Record<string, string>; files: string[] };

function javascriptFiles(directory: string): string[] {
  return readdirSync(directory, { withFileTypes: true }).flatMap((entry) => {
    const path = join(directory, entry.name);
    if (entry.isDirectory()) return javascriptFiles(path);
    return entry.name.endsWith('.js') ? [path] : [];
  });
}

const packageOf = (specifier: string) => (specifier.startsWith('@') ? specifier.split('/').slice(0, 2).join('/') : specifier.split('/')[0]!);

/**
 * What an installed package (npm install --omit=dev) loads: every import in the shipped, built
 * code (bin/ and dist/, less the Lambda bundles, which are self-contained) names a runtime
 * dependency or a Node built-in — never a build tool. The slow suite installs the package for real.
 */
describe('the run-time import graph', () => {
  const shipped = ['bin', 'dist/src', 'dist/commands', 'dist/stack'];

  it('imports only runtime dependencies and Node built-ins', () => {
    const offending: string[] = [];
    for (const folder of shipped) {
      for (const file of javascriptFiles(join(ROOT, folder))) {
        const source = readFileSync(file, 'utf8');
        for (const match of source.matchAll(/(?:\bfrom\s+|\bimport\(\s*|^import\s+)["']([^"']+)["']/gm)) {
          const specifier = match[1]!;
          if (specifier.startsWith('.') || specifier.startsWith('node:') || builtinModules.includes(specifier)) continue;
          // A peer dependency is the application's (elastic-event-store/emmett imports the application's Emmett).
          if (!Object.hasOwn(manifest.dependencies, packageOf(specifier)) && !Object.hasOwn(manifest.peerDependencies, packageOf(specifier))) offending.push(`${relative(ROOT, file)} imports ${specifier}`);
        }
      }
    }
    expect(offending).toEqual([]);
  });

  it('ships the built code the commands load and not the build scripts or benchmarks', () => {
    for (const folder of shipped) expect(manifest.files).toContain(folder);
    expect(manifest.files).toContain('dist/lambda');
    expect(manifest.files.filter((entry) => /^dist\/?$|dist\/(bench|scripts)/.test(entry))).toEqual([]);
  });
});
