/** The embedded SQLite adapter (better-sqlite3 12). */
import { createRequire } from 'node:module';
import { Worker } from 'node:worker_threads';
import SQLite from 'better-sqlite3';
import { type CompiledQuery, Kysely, type SqliteDatabase, SqliteDialect, type SqliteStatement } from 'kysely';
import { migrateToLatest } from './migrations.ts';
import type { Database } from './schema.ts';
import { type BatchExec, type Batcher, isoSeconds, Store, type UniqueViolation } from './store.ts';

/** Prepared statements kept per SQL text: Kysely prepares on every execution, which costs a parse each time. */
const STATEMENT_CACHE_SIZE = 512;

/** Prepares through a least-recently-used cache of STATEMENT_CACHE_SIZE statements. */
function statementCache(db: SQLite.Database): (sql: string) => SQLite.Statement {
  const cache = new Map<string, SQLite.Statement>();
  return (sql) => {
    const hit = cache.get(sql);
    if (hit) {
      // least recently used first: re-insert on use
      cache.delete(sql);
      cache.set(sql, hit);
      return hit;
    }
    const stmt = db.prepare(sql);
    cache.set(sql, stmt);
    if (cache.size > STATEMENT_CACHE_SIZE) {
      const oldest = cache.keys().next().value;
      if (oldest !== undefined) cache.delete(oldest);
    }
    return stmt;
  };
}

/**
 * Statement batches (Store.batch) on the connection Kysely uses: its mutex is held for the batch, so no
 * Kysely query or transaction interleaves, and the statements run synchronously between BEGIN and COMMIT.
 */
function sqliteBatcher(
  kysely: Kysely<Database>,
  sqlite: SQLite.Database,
  prepare: (sql: string) => SQLite.Statement,
): Batcher {
  const exec: BatchExec = (q: CompiledQuery) => {
    const stmt = prepare(q.sql);
    const parameters = q.parameters as unknown[];
    if (stmt.reader) return stmt.all(parameters) as Record<string, unknown>[];
    stmt.run(parameters);
    return [];
  };
  const begin = sqlite.prepare('begin');
  const commit = sqlite.prepare('commit');
  const rollback = sqlite.prepare('rollback');
  return (fn) =>
    kysely.connection().execute(async () => {
      begin.run();
      try {
        const result = fn(exec);
        commit.run();
        return result;
      } catch (err) {
        if (sqlite.inTransaction) rollback.run();
        throw err;
      }
    });
}

/** better-sqlite3 names the columns only in the message: `UNIQUE constraint failed: ports.network_id, ports.mac_address`. */
const sqliteUniqueViolation: UniqueViolation = (err) => {
  if (!(err instanceof SQLite.SqliteError) || err.code !== 'SQLITE_CONSTRAINT_UNIQUE') return null;
  const columns = /UNIQUE constraint failed: (.*)$/.exec(err.message)?.[1] ?? '';
  return columns.split(', ').map((c) => c.slice(c.indexOf('.') + 1));
};

/** How often the checkpoint thread copies the WAL into the database. */
const CHECKPOINT_INTERVAL_MS = 20;
/**
 * The WAL size (pages) at which a commit on the main connection checkpoints by itself, as SQLite does
 * at 1,000 by default. Needed: the WAL restarts from its start only when a commit finds every frame
 * copied, which a checkpoint in another thread never ensures under a steady stream of commits (the WAL
 * then grows without end). By then the thread has copied all but the last few milliseconds' frames,
 * so this checkpoint is short: the few frames and the fsyncs.
 */
const MAIN_CHECKPOINT_PAGES = 4096;

/**
 * WAL checkpoints off the event loop. SQLite checkpoints in the connection whose commit took the WAL
 * past 1,000 pages: it copies them into the database file and fsyncs it, 5–12 ms during which the event
 * loop — every DHCP reply, every API request — waits (measured under DHCP load: 3–6 per second). This
 * thread has its own connection and checkpoints PASSIVE (never waits for the writer nor blocks it) every
 * CHECKPOINT_INTERVAL_MS, so the main connection's own checkpoint (MAIN_CHECKPOINT_PAGES) finds little
 * left to copy. Plain CommonJS evaluated in the worker: it needs no TypeScript loader.
 */
const CHECKPOINTER_SOURCE = `
const { parentPort, workerData } = require('node:worker_threads');
const Database = require(workerData.module);
const db = new Database(workerData.path, { fileMustExist: true });
db.pragma('busy_timeout = 5000');
const timer = setInterval(() => {
  try {
    db.pragma('wal_checkpoint(PASSIVE)');
  } catch (err) {
    parentPort.postMessage({ error: String((err && err.message) || err) });
  }
}, workerData.intervalMs);
parentPort.on('message', () => {
  clearInterval(timer);
  db.close();
  parentPort.close();
});
`;

function startCheckpointer(path: string): { stop(): Promise<void> } {
  const worker = new Worker(CHECKPOINTER_SOURCE, {
    eval: true,
    workerData: {
      module: createRequire(import.meta.url).resolve('better-sqlite3'),
      path,
      intervalMs: CHECKPOINT_INTERVAL_MS,
    },
  });
  worker.unref(); // a store left open does not keep the process alive
  // a failing checkpoint thread leaves the main connection's own checkpoint: nothing is lost
  worker.on('message', (m: { error?: string }) => {
    if (m.error) process.emitWarning(`sqlite checkpoint failed: ${m.error}`);
  });
  worker.on('error', (err) => process.emitWarning(`sqlite checkpoint thread stopped: ${err.message}`));
  const exited = new Promise<void>((resolve) => worker.once('exit', () => resolve()));
  return {
    stop: () => {
      worker.ref(); // closing waits for the thread to close its connection
      worker.postMessage('stop');
      return exited;
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
  const prepare = statementCache(sqlite);
  const database: SqliteDatabase = {
    close: () => sqlite.close(),
    prepare: (sql) => prepare(sql) as unknown as SqliteStatement,
  };
  const db = new Kysely<Database>({ dialect: new SqliteDialect({ database }) });
  await migrateToLatest(db as Kysely<unknown>, 'sqlite');
  const inMemory = path === ':memory:' || path === '';
  let checkpointer: { stop(): Promise<void> } | null = null;
  if (!inMemory) {
    sqlite.pragma(`wal_autocheckpoint = ${MAIN_CHECKPOINT_PAGES}`);
    checkpointer = startCheckpointer(path);
  }
  return new Store(
    db,
    'sqlite',
    () => isoSeconds(clock()),
    async () => await checkpointer?.stop(),
    sqliteBatcher(db, sqlite, prepare),
    sqliteUniqueViolation,
  );
}
