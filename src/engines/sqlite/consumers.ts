import type Database from 'better-sqlite3';
import { MAX_CONSUMERS, type ConsumerExpectation, type ConsumerPosition, type ConsumerSaveOutcome } from '../../core/consumers.js';

/**
 * The consumers table: added by a migration step of its own (CREATE IF NOT EXISTS), so data
 * written by an older ees opens unchanged and an older ees still reads the changesets.
 */
export const CONSUMERS_SCHEMA = `
CREATE TABLE IF NOT EXISTS consumers (
  name       TEXT    PRIMARY KEY,
  position   INTEGER NOT NULL,
  updated_at TEXT    NOT NULL
);
`;

/**
 * Consumer positions in SQLite. Each save is one statement, so the compare-and-set is atomic on
 * the one connection; `flush` makes it durable before it is acknowledged, as commits are.
 */
export class SqliteConsumers {
  private readonly statements;

  constructor(
    db: Database.Database,
    private readonly flush: () => void,
  ) {
    this.statements = {
      read: db.prepare<[string], number>('SELECT position FROM consumers WHERE name = ?').pluck(),
      list: db.prepare<[], ConsumerPosition>('SELECT name, position FROM consumers ORDER BY name'),
      count: db.prepare<[], number>('SELECT COUNT(*) FROM consumers').pluck(),
      insert: db.prepare('INSERT OR IGNORE INTO consumers (name, position, updated_at) VALUES (@name, @position, @now)'),
      advance: db.prepare('UPDATE consumers SET position = @position, updated_at = @now WHERE name = @name AND position = @expected'),
      upsert: db.prepare(
        'INSERT INTO consumers (name, position, updated_at) VALUES (@name, @position, @now) ON CONFLICT (name) DO UPDATE SET position = excluded.position, updated_at = excluded.updated_at',
      ),
      delete: db.prepare('DELETE FROM consumers WHERE name = ?'),
    };
  }

  read(name: string): number | undefined {
    return this.statements.read.get(name);
  }

  list(): ConsumerPosition[] {
    return this.statements.list.all();
  }

  save(name: string, position: number, expectation: ConsumerExpectation): ConsumerSaveOutcome {
    const row = { name, position, now: new Date().toISOString() };
    const current = this.read(name);
    if (current === undefined && expectation.kind !== 'at' && this.statements.count.get()! >= MAX_CONSUMERS) return { status: 'full' };
    // The statement itself is the check: it changes a row only if the stored position still matches.
    const changes =
      expectation.kind === 'any'
        ? this.statements.upsert.run(row).changes
        : expectation.kind === 'absent'
          ? this.statements.insert.run(row).changes
          : this.statements.advance.run({ ...row, expected: expectation.position }).changes;
    if (changes !== 1) return { status: 'conflict', current: this.read(name) };
    this.flush();
    return { status: 'saved' };
  }

  delete(name: string): boolean {
    const deleted = this.statements.delete.run(name).changes === 1;
    if (deleted) this.flush();
    return deleted;
  }
}
