import { readFileSync, writeFileSync } from 'node:fs';

/**
 * oclif writes the manifest's commands in the order their modules finished loading, which varies
 * from build to build; CI checks the committed manifest is current, so the build sorts it.
 */
const path = process.argv[2] ?? 'oclif.manifest.json';
const manifest = JSON.parse(readFileSync(path, 'utf8')) as { commands: Record<string, unknown> };
const commands = Object.fromEntries(Object.entries(manifest.commands).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)));
writeFileSync(path, JSON.stringify({ ...manifest, commands }, null, 2));
