/** The embedded SQLite adapter (better-sqlite3 12). */
import SQLite from 'better-sqlite3';
import { Kysely, type SqliteDatabase, SqliteDialect, type SqliteStatement } from 'kysely';
import { migrateToLatest } from './migrations.js';
import type { Database } from './schema.js';
import { isoSeconds, Store } from './store.js';

/** Prepared statements kept per SQL text: Kysely prepares on every execution, which costs a parse each time. */
const STATEMENT_CACHE_SIZE = 512;

function withStatementCache(db: SQLite.Database): SqliteDatabase {
  const cache = new Map<string, SqliteStatement>();
  return {
    close: () => {
      db.close();
    },
    prepare(sql: string): SqliteStatement {
      const hit = cache.get(sql);
      if (hit) {
        // least recently used first: re-insert on use
        cache.delete(sql);
        cache.set(sql, hit);
        return hit;
      }
      const stmt = db.prepare(sql) as unknown as SqliteStatement;
      cache.set(sql, stmt);
      if (cache.size > STATEMENT_CACHE_SIZE) {
        const oldest = cache.keys().next().value;
        if (oldest !== undefined) cache.delete(oldest);
      }
      return stmt;
    },
  };
}

export async function openSqliteStore(path: string, clock: () => number = Date.now): Promise<Store> {
  const sqlite = new SQLite(path);
  // WAL: readers never block the writer; a commit survives a crash of bmnet once it returns.
  sqlite.pragma('journal_mode = WAL');
  sqlite.pragma('synchronous = NORMAL');
  sqlite.pragma('foreign_keys = ON');
  sqlite.pragma('busy_timeout = 5000');
  const db = new Kysely<Database>({ dialect: new SqliteDialect({ database: withStatementCache(sqlite) }) });
  await migrateToLatest(db as Kysely<unknown>, 'sqlite');
  return new Store(db, 'sqlite', () => isoSeconds(clock()));
}
