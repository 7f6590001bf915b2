/**
 * The SQLite store's checkpoint thread: the WAL is copied into the database file by the worker (below
 * the main connection's own checkpoint threshold), the WAL still restarts under a steady stream of
 * commits, and closing the store stops the thread and leaves no WAL behind. No root needed.
 */
import assert from 'node:assert/strict';
import { copyFileSync, existsSync, mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import SQLite from 'better-sqlite3';
import { sql } from 'kysely';
import { openSqliteStore } from '../../src/store/sqlite.ts';

const dir = mkdtempSync(join(tmpdir(), 'bmnet-checkpoint-'));
after(() => rmSync(dir, { recursive: true, force: true }));

/** Rows of the test table in the database file alone, as a copy without its WAL sees them. */
function rowsInDatabaseFile(path: string): number {
  const copy = join(dir, `copy-${Date.now()}.db`);
  copyFileSync(path, copy);
  const db = new SQLite(copy, { readonly: true });
  try {
    const table = db.prepare("select 1 from sqlite_master where name = 'ckpt'").get();
    return table ? (db.prepare('select count(*) as n from ckpt').get() as { n: number }).n : 0;
  } finally {
    db.close();
    rmSync(copy, { force: true });
  }
}

test('committed rows reach the database file without a checkpoint on the main connection', async () => {
  const path = join(dir, 'bmnet.db');
  const store = await openSqliteStore(path);
  const rows = 500;
  // 500 single-row commits: a few hundred WAL pages, far below the main connection's backstop
  await sql`create table ckpt (n integer)`.execute(store.builder);
  for (let i = 0; i < rows; i++) await sql`insert into ckpt values (${i})`.execute(store.builder);
  let seen = rowsInDatabaseFile(path);
  for (let waited = 0; seen < rows && waited < 5000; waited += 50) {
    await sleep(50);
    seen = rowsInDatabaseFile(path);
  }
  assert.equal(seen, rows, 'the checkpoint thread copied every committed row into the database file');
  await store.close();
  assert.equal(existsSync(`${path}-wal`), false, 'closing the store closed both connections: no WAL left');
  const reopened = await openSqliteStore(path);
  const count = await sql<{ n: number }>`select count(*) as n from ckpt`.execute(reopened.builder);
  assert.equal(count.rows[0]?.n, rows);
  await reopened.close();
});

test('under a continuous stream of commits the WAL still restarts: it stays small', async () => {
  const path = join(dir, 'stream.db');
  const store = await openSqliteStore(path);
  await sql`create table stream (k integer primary key, v text)`.execute(store.builder);
  // a commit every ~100 µs for 3 s, each touching pages all over the table (as leases do): a checkpoint in
  // another thread never catches up with that, and without the main connection's own the WAL grew to 64 MiB
  const until = performance.now() + 3000;
  let commits = 0;
  while (performance.now() < until) {
    const k = Math.floor(Math.random() * 50_000);
    await sql`insert or replace into stream values (${k}, ${'x'.repeat(200)}), (${k + 50_000}, ${'y'.repeat(200)})`.execute(
      store.builder,
    );
    commits += 1;
  }
  const walBytes = statSync(`${path}-wal`).size;
  await store.close();
  assert.ok(commits > 1000, `${commits} commits`);
  assert.ok(walBytes < 20 * 1024 * 1024, `WAL grew to ${(walBytes / 1048576).toFixed(1)} MiB over ${commits} commits`);
});
