import { open, readFile, rename } from 'node:fs/promises';
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

/**
 * Replaces the file atomically and durably: written, flushed to disk, then renamed, so a crash or a
 * power loss leaves the old checkpoint or the new one, never an empty or half-written file.
 */
export async function saveCheckpoint(path: string, checkpoint: number): Promise<void> {
  const temporary = `${path}.${process.pid}.tmp`;
  const file = await open(temporary, 'w');
  try {
    await file.writeFile(`${checkpoint}\n`);
    await file.sync();
  } finally {
    await file.close();
  }
  await rename(temporary, path);
}
