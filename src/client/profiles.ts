import { mkdir, rename, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { EesError } from '../core/errors.js';
import { PROFILES_FILE, readProfilesFile, type Profile, type ProfilesFile } from './target.js';

/** Rewrites profiles.json atomically, readable by its owner only (it may hold tokens). */
async function writeProfilesFile(configDir: string, file: ProfilesFile): Promise<string> {
  await mkdir(configDir, { recursive: true });
  const path = join(configDir, PROFILES_FILE);
  const temporary = `${path}.${process.pid}.tmp`;
  await writeFile(temporary, `${JSON.stringify(file, null, 2)}\n`, { mode: 0o600 });
  await rename(temporary, path);
  return path;
}

function missing(name: string, file: ProfilesFile): EesError {
  const known = Object.keys(file.profiles);
  return new EesError('INVALID_USAGE', `There is no profile "${name}"${known.length > 0 ? ` (known: ${known.join(', ')})` : ' (none saved yet)'}.`);
}

/** Saves (or replaces) a named target in the CLI's config dir, atomically. */
export async function saveProfile(configDir: string, name: string, profile: Profile): Promise<string> {
  const file = await readProfilesFile(configDir);
  return writeProfilesFile(configDir, { ...file, profiles: { ...file.profiles, [name]: profile } });
}

/** Removes a profile (and the default, when it was that one). */
export async function removeProfile(configDir: string, name: string): Promise<string> {
  const file = await readProfilesFile(configDir);
  if (!Object.hasOwn(file.profiles, name)) throw missing(name, file);
  const { [name]: _removed, ...profiles } = file.profiles;
  return writeProfilesFile(configDir, { profiles, ...(file.default === undefined || file.default === name ? {} : { default: file.default }) });
}

/** Makes a saved profile the target when no flag or variable names one. */
export async function useProfile(configDir: string, name: string): Promise<string> {
  const file = await readProfilesFile(configDir);
  if (!Object.hasOwn(file.profiles, name)) throw missing(name, file);
  return writeProfilesFile(configDir, { ...file, default: name });
}
