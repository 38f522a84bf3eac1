import { closeSync, fdatasync, fdatasyncSync, openSync, realpathSync } from 'node:fs';
import { promisify } from 'node:util';
import type { DurableLog } from './group-commit-log.js';

const fdatasyncAsync = promisify(fdatasync);

export interface LogFileOptions {
  /** Flushes the file for a group of commits (fs.fdatasync); a test may pass a failing or slow one. */
  readonly flush?: ((fd: number) => Promise<void>) | undefined;
  /** The flush at opening (fs.fdatasyncSync); a test may pass a failing one. */
  readonly flushAtOpening?: ((fd: number) => void) | undefined;
}

/**
 * The write-ahead log file of a SQLite database, opened so the engine can flush it itself.
 *
 * SQLite names the log after the database's real path (symbolic links resolved). The log exists
 * from the migration's write on and stays the same file while the connection is open: SQLite removes
 * it only when the last connection closes. Opened for writing only because some systems flush no
 * file opened read-only; nothing writes to it through this descriptor.
 */
export class LogFile implements DurableLog {
  readonly flushInPlace: (() => void) | undefined;
  private open = true;

  private constructor(
    private readonly fd: number,
    private readonly flushFile: (fd: number) => Promise<void>,
    inPlace: boolean,
  ) {
    this.flushInPlace = inPlace ? () => fdatasyncSync(this.fd) : undefined;
  }

  /** Opens the log of the database at `databasePath` and flushes what a crashed process may have left in the page cache. */
  static open(databasePath: string, options: LogFileOptions): LogFile {
    const fd = openSync(`${realpathSync(databasePath)}-wal`, 'r+');
    try {
      (options.flushAtOpening ?? fdatasyncSync)(fd);
    } catch (error) {
      closeSync(fd);
      throw error;
    }
    // A test's own flush is used for every group flush, lone commits too.
    return options.flush === undefined ? new LogFile(fd, fdatasyncAsync, true) : new LogFile(fd, options.flush, false);
  }

  flush(): Promise<void> {
    return this.flushFile(this.fd);
  }

  /** Flushes at once, whatever flush a test passed: for writes outside group commit. */
  flushNow(): void {
    fdatasyncSync(this.fd);
  }

  close(): void {
    if (!this.open) return;
    this.open = false;
    closeSync(this.fd);
  }
}
