/**
 * Bundles the Lambda entry points with esbuild into dist/lambda/<name>/index.js at build time, so
 * that neither a deploy nor a synth needs Docker or bundling, and the published package carries
 * the bundles. Run by `npm run build` after tsc; never imported by anything a command loads
 * (esbuild is a devDependency).
 */
import { mkdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';
import { LAMBDA_ENTRIES, packageRoot, type LambdaName } from '../stack/lambda-code.js';

export async function bundleLambdas(): Promise<Record<LambdaName, number>> {
  const root = packageRoot();
  const version = (JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as { version: string }).version;
  const sizes = {} as Record<LambdaName, number>;
  for (const name of LAMBDA_ENTRIES) {
    const outfile = join(root, 'dist', 'lambda', name, 'index.js');
    mkdirSync(dirname(outfile), { recursive: true });
    await build({
      entryPoints: [join(root, 'src', 'lambda', `${name}.ts`)],
      outfile,
      bundle: true,
      minify: true,
      // Maps without sources: stack traces in CloudWatch point at src/ lines (NODE_OPTIONS=--enable-source-maps).
      sourcemap: true,
      sourcesContent: false,
      platform: 'node',
      target: 'node22',
      // CommonJS: ESM bundles with the SDK inside fail on its dynamic requires of node built-ins.
      format: 'cjs',
      define: { EES_PACKAGE_VERSION: JSON.stringify(version) },
      logLevel: 'warning',
      // src/version.ts reads import.meta only when the version was not inlined, as it is here.
      logOverride: { 'empty-import-meta': 'silent' },
    });
    writeFileSync(join(dirname(outfile), 'package.json'), '{"type":"commonjs"}\n');
    sizes[name] = statSync(outfile).size;
  }
  return sizes;
}

if (process.argv[1] !== undefined && fileURLToPath(import.meta.url) === process.argv[1]) {
  const sizes = await bundleLambdas();
  console.log(`Lambda bundles: ${Object.entries(sizes).map(([name, size]) => `${name} ${Math.round(size / 1024)} KiB`).join(', ')}`);
}
