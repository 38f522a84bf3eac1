import { spawn, spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { cpSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
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
  peerDependencies?: Record<string, string>;
  peerDependenciesMeta?: unknown;
  bin?: unknown;
  engines?: unknown;
  license?: string;
}

function run(command: string, args: string[], options: { cwd: string; env?: Record<string, string> }): { code: number | null; stdout: string; stderr: string } {
  const result = spawnSync(command, args, { cwd: options.cwd, env: { ...process.env, ...options.env }, encoding: 'utf8', maxBuffer: 64 * 1024 * 1024 });
  return { code: result.status, stdout: result.stdout, stderr: result.stderr };
}

/** A package's entry in a lockfile and those of everything it depends on, peers included (hoisted, as npm lays them out). */
function lockClosure(packages: Record<string, LockPackage>, start: string): string[] {
  const found = new Set<string>();
  const pending = [start];
  while (pending.length > 0) {
    const path = pending.pop()!;
    if (found.has(path) || packages[path] === undefined) continue;
    found.add(path);
    // Emmett's own dependencies are peer dependencies, which npm installs too.
    const entry = packages[path];
    for (const name of Object.keys({ ...entry.dependencies, ...entry.peerDependencies })) pending.push(`node_modules/${name}`);
  }
  return [...found];
}

/** A program an application could write: the three entry points, used so that a missing or loose type fails `tsc`. */
const SAMPLE_PROGRAM = `import { connect, isConflict, type Changeset, type EventStoreClient } from 'elastic-event-store/client';
import { openEmbeddedStore } from 'elastic-event-store/embedded';
import { getEesEventStore } from 'elastic-event-store/emmett';

type Deposited = { type: 'deposited'; amount: number };

export async function sample(): Promise<number> {
  const embedded: EventStoreClient<Deposited> = await openEmbeddedStore<Deposited>();
  const appended = await embedded.append('a', [{ type: 'deposited', amount: 5 }], { expect: 'new-stream' });
  const changesetId: number = appended.changesetId;
  // @ts-expect-error a changeset id is a number
  const wrong: string = appended.changesetId;
  // @ts-expect-error the events are of the store's type
  await embedded.append('a', [{ type: 'withdrawn' }], { expect: { changeset: 1 } });
  let total = 0;
  for await (const changeset of embedded.readStream('a')) {
    const typed: Changeset<Deposited> = changeset;
    for (const event of typed.events) total += event.amount;
  }
  try {
    await embedded.append('a', [{ type: 'deposited', amount: 1 }], { expect: 'new-stream' });
  } catch (error) {
    if (isConflict(error)) total += error.forthcoming.length + (error.actualChangesetId ?? 0);
  }
  const remote = await connect({ endpoint: 'http://127.0.0.1:1' });
  const emmett = getEesEventStore(embedded);
  const { currentStreamVersion } = await emmett.readStream('a');
  const version: bigint = currentStreamVersion;
  await remote.close();
  await embedded.close();
  return total + changesetId + Number(version) + wrong.length;
}
`;

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
    // The application brings its own Emmett (a peer dependency of elastic-event-store/emmett).
    const emmett = { '@event-driven-io/emmett': root.peerDependencies!['@event-driven-io/emmett']! };
    const dependencies = { 'elastic-event-store': `file:${tarball}`, ...emmett };
    const packages: Record<string, LockPackage | Record<string, unknown>> = {
      '': { name: 'app', dependencies },
      'node_modules/elastic-event-store': {
        version: root.version,
        resolved: `file:${tarball}`,
        integrity,
        dependencies: root.dependencies,
        peerDependencies: root.peerDependencies,
        peerDependenciesMeta: root.peerDependenciesMeta,
        bin: root.bin,
        engines: root.engines,
        license: root.license,
      },
    };
    for (const [path, entry] of Object.entries(lock.packages)) if (path !== '' && entry.dev !== true) packages[path] = entry;
    for (const path of lockClosure(lock.packages, 'node_modules/@event-driven-io/emmett')) packages[path] = { ...lock.packages[path], dev: undefined };
    writeFileSync(join(project, 'package.json'), JSON.stringify({ name: 'app', private: true, type: 'module', dependencies }));
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

  it('type-checks a program that imports the three entry points, and runs the example app against ees dev', () => {
    const tsc = join(ROOT, 'node_modules', 'typescript', 'bin', 'tsc');
    writeFileSync(join(project, 'sample.ts'), SAMPLE_PROGRAM);
    mkdirSync(join(project, 'bank'));
    for (const file of ['account.ts', 'bank.ts', 'read-model.ts', 'main.ts', 'run.ts']) cpSync(join(ROOT, 'examples', 'bank-accounts', file), join(project, 'bank', file));
    writeFileSync(
      join(project, 'tsconfig.json'),
      JSON.stringify({
        compilerOptions: {
          target: 'ES2023',
          lib: ['ES2024'],
          module: 'NodeNext',
          moduleResolution: 'NodeNext',
          strict: true,
          exactOptionalPropertyTypes: true,
          noEmit: true,
          skipLibCheck: true,
          // Node's types from the repository's own install: the project installed only runtime packages.
          typeRoots: [join(ROOT, 'node_modules', '@types')],
          types: ['node'],
        },
        include: ['sample.ts', 'bank/*.ts'],
      }),
    );
    const checked = run(process.execPath, [tsc, '-p', 'tsconfig.json'], { cwd: project });
    expect(checked.code, checked.stdout).toBe(0);
    const built = run(process.execPath, [tsc, '-p', 'tsconfig.json', '--noEmit', 'false', '--outDir', 'out'], { cwd: project });
    expect(built.code, built.stdout).toBe(0);
    const example = run(process.execPath, [join(project, 'out', 'bank', 'run.js')], { cwd: project });
    expect(example.code, example.stderr).toBe(0);
    expect(JSON.parse(example.stdout)).toMatchObject({ accounts: 3, commands: 43, consistent: true });
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
