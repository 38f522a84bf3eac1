import { mkdir, rename, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { PROFILES_FILE, readProfiles, type Profile } from './target.js';

/** Saves (or replaces) a named target in the CLI's config dir, atomically. */
export async function saveProfile(configDir: string, name: string, profile: Profile): Promise<string> {
  const profiles = { ...(await readProfiles(configDir)), [name]: profile };
  await mkdir(configDir, { recursive: true });
  const path = join(configDir, PROFILES_FILE);
  const temporary = `${path}.${process.pid}.tmp`;
  await writeFile(temporary, `${JSON.stringify({ profiles }, null, 2)}\n`, { mode: 0o600 });
  await rename(temporary, path);
  return path;
}
