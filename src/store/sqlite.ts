/** The embedded SQLite adapter (better-sqlite3 12). */
import SQLite from 'better-sqlite3';
import { Kysely, SqliteDialect } from 'kysely';
import { migrateToLatest } from './migrations.js';
import type { Database } from './schema.js';
import { isoSeconds, Store } from './store.js';

export async function openSqliteStore(path: string, clock: () => number = Date.now): Promise<Store> {
  const sqlite = new SQLite(path);
  // WAL: readers never block the writer; a commit survives a crash of bmnet once it returns.
  sqlite.pragma('journal_mode = WAL');
  sqlite.pragma('synchronous = NORMAL');
  sqlite.pragma('foreign_keys = ON');
  sqlite.pragma('busy_timeout = 5000');
  const db = new Kysely<Database>({ dialect: new SqliteDialect({ database: sqlite }) });
  await migrateToLatest(db as Kysely<unknown>, 'sqlite');
  return new Store(db, 'sqlite', () => isoSeconds(clock()));
}
