import { readFile, rename, writeFile } from 'node:fs/promises';
import { EesError } from '../core/errors.js';
import { parseCheckpointFile } from '../client/follow.js';

/** The checkpoint stored in `path`, or undefined when the file does not exist yet. */
export async function loadCheckpoint(path: string): Promise<number | undefined> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw new EesError('INVALID_USAGE', `Cannot read ${path}: ${(error as NodeJS.ErrnoException).code ?? String(error)}.`);
  }
  return parseCheckpointFile(text, path);
}

/** Replaces the file atomically: a crash leaves the old checkpoint or the new one, never half. */
export async function saveCheckpoint(path: string, checkpoint: number): Promise<void> {
  const temporary = `${path}.${process.pid}.tmp`;
  await writeFile(temporary, `${checkpoint}\n`);
  await rename(temporary, path);
}
