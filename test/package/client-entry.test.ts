import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { describe, expect, it } from 'vitest';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const FORBIDDEN = ['@oclif/', 'ink', 'react', 'aws-cdk-lib', 'better-sqlite3', '@aws-cdk/'];

/**
 * Every module a fresh Node process resolves while importing one built entry point (and using it
 * once), recorded by a resolve hook: what an application pays for importing it.
 */
function modulesLoadedBy(entry: string, use: string): string[] {
  const folder = mkdtempSync(join(tmpdir(), 'ees-entry-'));
  try {
    const log = join(folder, 'resolved.txt');
    writeFileSync(
      join(folder, 'hooks.mjs'),
      `import { appendFileSync } from 'node:fs';
export async function resolve(specifier, context, next) {
  const resolved = await next(specifier, context);
  appendFileSync(${JSON.stringify(log)}, resolved.url + '\\n');
  return resolved;
}`,
    );
    writeFileSync(join(folder, 'register.mjs'), `import { register } from 'node:module'; register(${JSON.stringify(pathToFileURL(join(folder, 'hooks.mjs')).href)});`);
    writeFileSync(join(folder, 'main.mjs'), `const entry = await import(${JSON.stringify(pathToFileURL(join(ROOT, entry)).href)});\n${use}\n`);
    const result = spawnSync(process.execPath, ['--import', pathToFileURL(join(folder, 'register.mjs')).href, join(folder, 'main.mjs')], { encoding: 'utf8' });
    expect(result.status, result.stderr).toBe(0);
    return readFileSync(log, 'utf8').split('\n').filter((line) => line !== '');
  } finally {
    rmSync(folder, { recursive: true, force: true });
  }
}

const packagesIn = (urls: string[]): string[] => [...new Set(urls.flatMap((url) => /node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(url)?.[1] ?? []))].sort();

describe('the client entry point, built', () => {
  it('loads undici and nothing of the CLI, the UI, CDK or SQLite, also once connected', () => {
    const loaded = modulesLoadedBy(
      'dist/src/client/index.js',
      `const store = await entry.connect({ endpoint: 'http://127.0.0.1:9', env: {} });
console.log(entry.isConflict(new Error('x')));
await store.close();`,
    );
    const packages = packagesIn(loaded);
    expect(packages).toContain('undici');
    expect(packages.filter((name) => FORBIDDEN.some((forbidden) => name === forbidden || name.startsWith(forbidden)))).toEqual([]);
    // Nothing of the CLI's own code either.
    expect(loaded.filter((url) => /\/dist\/(commands|src\/(cli|ui|deploy|engines|dev))\//.test(url))).toEqual([]);
  });

  it('the Emmett entry loads Emmett and the client, nothing of the CLI, the UI, CDK or SQLite', () => {
    const loaded = modulesLoadedBy('dist/src/emmett/index.js', "const store = entry.getEesEventStore({ endpoint: 'http://127.0.0.1:9', env: {} }); await store.close();");
    const packages = packagesIn(loaded);
    expect(packages).toEqual(expect.arrayContaining(['@event-driven-io/emmett', 'undici']));
    expect(packages.filter((name) => FORBIDDEN.some((forbidden) => name === forbidden || name.startsWith(forbidden)))).toEqual([]);
    expect(loaded.filter((url) => /\/dist\/(commands|src\/(cli|ui|deploy|engines|dev))\//.test(url))).toEqual([]);
  });

  it('the embedded entry loads SQLite but not the CLI, the UI or CDK', () => {
    const packages = packagesIn(modulesLoadedBy('dist/src/embedded/index.js', 'const store = await entry.openEmbeddedStore(); await store.close();'));
    expect(packages).toContain('better-sqlite3');
    expect(packages.filter((name) => /^(@oclif\/|ink$|react$|aws-cdk-lib$|@aws-cdk\/)/.test(name))).toEqual([]);
  });
});
