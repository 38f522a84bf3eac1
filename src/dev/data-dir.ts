import { mkdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import Database from 'better-sqlite3';
import { EesError } from '../core/errors.js';

export const LOCK_FILE = 'ees.lock';
export const PID_FILE = 'ees.pid';

export interface DataDirLock {
  /** Lets another process use the directory. */
  release(): void;
}

/**
 * Creates a folder and its parents one level at a time. fs.mkdirSync with `recursive` never
 * returns for some paths (/proc/x answers ENOENT even once /proc is there, and it retries for
 * ever); this tries each level once more after its parent, then fails.
 */
function createDirectory(directory: string, parentMade = false): void {
  try {
    mkdirSync(directory);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'EEXIST') {
      if (statSync(directory).isDirectory()) return;
      throw new EesError('INVALID_USAGE', `--data-dir ${directory} is a file, not a folder.`);
    }
    if (code === 'ENOENT' && !parentMade && dirname(directory) !== directory) {
      createDirectory(dirname(directory));
      createDirectory(directory, true);
      return;
    }
    throw new EesError('INVALID_USAGE', `Cannot create the data folder ${directory}: ${code ?? String(error)}.`);
  }
}

/**
 * Makes `dataDir` this process's own: one `ees dev` per folder, since a second one on the same
 * database would hide the other's commits from its readers until it committed itself. The lock is
 * an exclusive SQLite lock on a file of its own: the operating system drops it when the process
 * ends, however it ends (kill -9 included), so no stale lock can remain.
 */
export function lockDataDir(dataDir: string): DataDirLock {
  createDirectory(dataDir);
  const pidFile = join(dataDir, PID_FILE);
  let lock: Database.Database;
  try {
    lock = new Database(join(dataDir, LOCK_FILE), { timeout: 0 });
  } catch (error) {
    throw new EesError('INVALID_USAGE', `Cannot use the data folder ${dataDir}: ${(error as NodeJS.ErrnoException).code ?? String(error)}.`);
  }
  try {
    lock.exec('BEGIN EXCLUSIVE');
  } catch (error) {
    lock.close();
    if ((error as { code?: string }).code !== 'SQLITE_BUSY') throw error;
    let holder = 'another process';
    try {
      holder = `process ${readFileSync(pidFile, 'utf8').trim()}`;
    } catch {
      // The other process has not written its id yet.
    }
    throw new EesError('INVALID_USAGE', `The data folder ${dataDir} is in use by another ees dev (${holder}): stop it, or give this one another --data-dir.`);
  }
  writeFileSync(pidFile, `${process.pid}\n`);
  return {
    release: () => {
      if (lock.open) lock.close();
    },
  };
}
