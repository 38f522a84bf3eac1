import { spawn, spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BIN } from '../support/processes.js';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));

interface LockPackage {
  version?: string;
  dev?: boolean;
  dependencies?: Record<string, string>;
  bin?: unknown;
  engines?: unknown;
  license?: string;
}

function run(command: string, args: string[], options: { cwd: string; env?: Record<string, string> }): { code: number | null; stdout: string; stderr: string } {
  const result = spawnSync(command, args, { cwd: options.cwd, env: { ...process.env, ...options.env }, encoding: 'utf8', maxBuffer: 64 * 1024 * 1024 });
  return { code: result.status, stdout: result.stdout, stderr: result.stderr };
}

/**
 * The package as a user gets it: packed, then installed with --omit=dev into an empty project, and
 * every kind of command run from that installed `ees`. No test may reach a registry, so the install
 * is offline from npm's cache (filled by `npm ci`), with the runtime part of our lockfile as the
 * project's lockfile: the same tree `npm install --omit=dev ./elastic-event-store-<v>.tgz` resolves
 * to. better-sqlite3 compiles from source there, as it does for a user on this platform.
 */
describe('the packed package, installed with --omit=dev', () => {
  const project = mkdtempSync(join(tmpdir(), 'ees-install-'));
  let tarball = '';
  let installed = '';

  beforeAll(() => {
    const packed = run('npm', ['pack', '--ignore-scripts', '--json', '--pack-destination', project], { cwd: ROOT });
    expect(packed.code, packed.stderr).toBe(0);
    tarball = (JSON.parse(packed.stdout) as { filename: string }[])[0]!.filename;
    const lock = JSON.parse(readFileSync(join(ROOT, 'package-lock.json'), 'utf8')) as { packages: Record<string, LockPackage> };
    const root = lock.packages['']!;
    const integrity = `sha512-${createHash('sha512').update(readFileSync(join(project, tarball))).digest('base64')}`;
    const packages: Record<string, LockPackage | Record<string, unknown>> = {
      '': { name: 'app', dependencies: { 'elastic-event-store': `file:${tarball}` } },
      'node_modules/elastic-event-store': { version: root.version, resolved: `file:${tarball}`, integrity, dependencies: root.dependencies, bin: root.bin, engines: root.engines, license: root.license },
    };
    for (const [path, entry] of Object.entries(lock.packages)) if (path !== '' && entry.dev !== true) packages[path] = entry;
    writeFileSync(join(project, 'package.json'), JSON.stringify({ name: 'app', private: true, dependencies: { 'elastic-event-store': `file:${tarball}` } }));
    writeFileSync(join(project, 'package-lock.json'), JSON.stringify({ name: 'app', lockfileVersion: 3, requires: true, packages }));
    const install = run('npm', ['ci', '--omit=dev', '--offline', '--no-audit', '--no-fund', '--loglevel=error'], {
      cwd: project,
      // No prebuilt-binary download: better-sqlite3 builds with node-gyp against the local headers.
      env: { npm_config_build_from_source: 'true', npm_config_update_notifier: 'false' },
    });
    expect(install.code, install.stderr).toBe(0);
    installed = join(project, 'node_modules', '.bin', 'ees');
  }, 600_000);
  afterAll(() => rmSync(project, { recursive: true, force: true }));

  it('ships what the commands need and nothing else', () => {
    const listing = run('tar', ['tzf', join(project, tarball)], { cwd: project }).stdout.split('\n').filter((line) => line !== '');
    const files = listing.map((line) => line.replace(/^package\//, ''));
    for (const name of ['api', 'indexer', 'projector', 'publisher']) expect(files).toContain(`dist/lambda/${name}/index.js`);
    expect(files).toContain('dist/commands/deploy.js');
    expect(files).toContain('oclif.manifest.json');
    expect(files.filter((file) => /^dist\/(bench|scripts)\/|tsbuildinfo|^(src|test|stack|commands)\/|\.ts$/.test(file) && !file.endsWith('.d.ts'))).toEqual([]);
    expect(readdirSync(join(project, 'node_modules'))).not.toContain('esbuild');
  });

  it('answers --version and --help', () => {
    const version = run(installed, ['--version'], { cwd: project });
    expect(version.code, version.stderr).toBe(0);
    expect(version.stdout).toMatch(/^elastic-event-store\/0\.\d+\.\d+ /);
    const help = run(installed, ['--help'], { cwd: project });
    expect(help.code, help.stderr).toBe(0);
    for (const command of ['deploy', 'dev', 'append', 'tail', 'synth']) expect(help.stdout).toContain(command);
  });

  it('synthesizes the very template the repository synthesizes', () => {
    const fromInstall = run(installed, ['synth', '--stack-name', 'ees-install'], { cwd: project });
    expect(fromInstall.code, fromInstall.stderr).toBe(0);
    const fromRepo = run(process.execPath, [BIN, 'synth', '--stack-name', 'ees-install'], { cwd: ROOT });
    expect(fromRepo.code, fromRepo.stderr).toBe(0);
    expect(JSON.parse(fromInstall.stdout)).toEqual(JSON.parse(fromRepo.stdout));
  });

  it('serves the API with ees dev and takes an append and a read', async () => {
    const child = spawn(installed, ['dev', '--port', '0', '--data-dir', join(project, '.ees')], { cwd: project, stdio: ['ignore', 'pipe', 'pipe'] });
    try {
      const url = await new Promise<string>((resolve, reject) => {
        let output = '';
        child.stdout.on('data', (chunk: Buffer) => {
          output += chunk.toString();
          const found = /listening on (http:\/\/\S+)/.exec(output)?.[1];
          if (found !== undefined) resolve(found);
        });
        child.once('exit', (code) => reject(new Error(`ees dev exited with ${code}`)));
      });
      const version = (await (await fetch(`${url}/version`)).json()) as { version: string };
      expect(version.version).toBe('0.0.1');
      const env = { EES_ENDPOINT: url };
      const appended = spawnSync(installed, ['append', 'installed', '--json'], { cwd: project, env: { ...process.env, ...env }, input: '{"type": "hello"}\n', encoding: 'utf8' });
      expect(appended.status, appended.stderr).toBe(0);
      expect(JSON.parse(appended.stdout)).toMatchObject({ stream_id: 'installed', changeset_id: 1 });
      const read = run(installed, ['read', 'installed', '--json'], { cwd: project, env });
      expect(read.code, read.stderr).toBe(0);
      expect(JSON.parse(read.stdout.trim())).toMatchObject({ changeset_id: 1, events: [{ type: 'hello' }] });
    } finally {
      child.kill('SIGTERM');
    }
  });
});
