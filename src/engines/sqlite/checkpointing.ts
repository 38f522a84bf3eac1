import type Database from 'better-sqlite3';

/**
 * Copies the log into the database file every `everyRows` commits. SQLite would do it inside a
 * COMMIT every 1,000 log pages; run instead right after a flush has started, it overlaps the wait
 * for the disk, and the larger log lets it copy a page written by many commits once.
 */
export class WalCheckpointer {
  private rowsSinceCheckpoint = 0;

  constructor(
    private readonly db: Database.Database,
    private readonly everyRows: number,
  ) {}

  /** Counts `rows` more commits and checkpoints when due. */
  afterWrite(rows: number): void {
    this.rowsSinceCheckpoint += rows;
    if (this.rowsSinceCheckpoint < this.everyRows) return;
    this.rowsSinceCheckpoint = 0;
    try {
      this.db.pragma('wal_checkpoint(PASSIVE)');
    } catch {
      // Nothing is lost: the commits stay in the log, and the next checkpoint tries again.
    }
  }
}
