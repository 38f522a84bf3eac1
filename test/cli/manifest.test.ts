import { readdirSync, readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';

interface ManifestCommand {
  summary?: string;
  flags: Record<string, unknown>;
  args: Record<string, unknown>;
}

const root = new URL('../../', import.meta.url);
const manifest = JSON.parse(readFileSync(new URL('oclif.manifest.json', root), 'utf8')) as { version: string; commands: Record<string, ManifestCommand> };
const packageJson = JSON.parse(readFileSync(new URL('package.json', root), 'utf8')) as { version: string };

/** Command ids from the files under commands/ (topic folders become "topic:command", a topic's index.ts the topic). */
function commandIds(folder = new URL('commands/', root), prefix = ''): string[] {
  return readdirSync(folder, { withFileTypes: true }).flatMap((entry) =>
    entry.isDirectory()
      ? commandIds(new URL(`${entry.name}/`, folder), `${prefix}${entry.name}:`)
      : entry.name === 'index.ts' && prefix !== ''
        ? [prefix.slice(0, -1)]
        : entry.name.endsWith('.ts')
          ? [`${prefix}${entry.name.replace(/\.ts$/, '')}`]
          : [],
  );
}

/** The file a command id comes from. */
function commandFile(id: string): string {
  const topicIndex = `commands/${id.replaceAll(':', '/')}/index.ts`;
  return readdirSync(new URL('commands/', root), { recursive: true, encoding: 'utf8' }).includes(topicIndex.slice('commands/'.length)) ? topicIndex : `commands/${id.replaceAll(':', '/')}.ts`;
}

describe('oclif.manifest.json', () => {
  it('is current: run `npm run build` to regenerate it', async () => {
    expect(manifest.version).toBe(packageJson.version);
    const ids = commandIds().sort();
    expect(Object.keys(manifest.commands).sort()).toEqual(ids);
    for (const id of ids) {
      const module = (await import(new URL(commandFile(id), root).href)) as {
        default: { summary?: string; flags?: object; baseFlags?: object; args?: object; enableJsonFlag?: boolean };
      };
      const command = module.default;
      const entry = manifest.commands[id]!;
      expect(entry.summary, id).toBe(command.summary);
      const declared = Object.keys({ ...command.baseFlags, ...command.flags, ...(command.enableJsonFlag ? { json: true } : {}) });
      expect(Object.keys(entry.flags).sort(), id).toEqual(declared.sort());
      expect(Object.keys(entry.args ?? {}).sort(), id).toEqual(Object.keys(command.args ?? {}).sort());
    }
  });
});
