import type Database from 'better-sqlite3';
import { CONSUMERS_SCHEMA } from './consumers.js';
import { SCHEMA, SCHEMA_VERSION } from './schema.js';

/** Brings the database to this ees's schema; refuses data written by a newer one. */
export function migrate(db: Database.Database): void {
  const version = db.pragma('user_version', { simple: true }) as number;
  if (version > SCHEMA_VERSION) {
    throw new Error(`This data was written by a newer ees (schema ${version}); this one reads schema ${SCHEMA_VERSION}.`);
  }
  db.exec(SCHEMA);
  db.exec(CONSUMERS_SCHEMA);
  // A column of its own migration step (nullable, no index), so an older ees still reads the data.
  const columns = db.pragma('table_info(changesets)') as { name: string }[];
  if (!columns.some((column) => column.name === 'commit_id')) db.exec('ALTER TABLE changesets ADD COLUMN commit_id TEXT');
  db.pragma(`user_version = ${SCHEMA_VERSION}`);
}
