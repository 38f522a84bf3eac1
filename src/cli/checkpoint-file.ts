import { open, readFile, rename, rm } from 'node:fs/promises';
import { dirname } from 'node:path';
import { EesError } from '../core/errors.js';
import type { SavedPosition } from '../client/consumers.js';
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
 * Replaces the file atomically and durably: written and flushed to disk, renamed, then its folder
 * flushed (the rename is an entry of the folder), so a crash or a power loss leaves the old
 * checkpoint or the new one, never an empty or half-written file, nor a rename that is undone.
 * A file that cannot be written is invalid usage (exit 2), like a file that cannot be read.
 */
export async function saveCheckpoint(path: string, checkpoint: number): Promise<void> {
  const temporary = `${path}.${process.pid}.tmp`;
  try {
    const file = await open(temporary, 'w');
    try {
      await file.writeFile(`${checkpoint}\n`);
      await file.sync();
    } finally {
      await file.close();
    }
    await rename(temporary, path);
    await syncFolder(dirname(path));
  } catch (error) {
    await rm(temporary, { force: true }).catch(() => undefined);
    const code = (error as NodeJS.ErrnoException).code;
    if (code === undefined) throw error;
    const reason = code === 'ENOENT' ? 'its folder does not exist' : code === 'EACCES' || code === 'EPERM' ? 'permission denied' : code;
    throw new EesError('INVALID_USAGE', `Cannot write the checkpoint file ${path}: ${reason}.`, { cause: error });
  }
}

async function syncFolder(folder: string): Promise<void> {
  const handle = await open(folder, 'r');
  try {
    await handle.sync();
  } finally {
    await handle.close();
  }
}

/** `ees tail --checkpoint-file F`: the position kept in a local file. */
export function checkpointFilePosition(path: string): SavedPosition {
  return {
    label: `checkpoint file ${path}`,
    load: () => loadCheckpoint(path),
    begin: (start) => saveCheckpoint(path, start),
    advance: (next) => saveCheckpoint(path, next),
  };
}
