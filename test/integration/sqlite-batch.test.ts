/**
 * Store.batch on the SQLite store: the hot-path write of the DHCP leases and boot trace. Its statements
 * commit together or not at all, and a batch never runs inside a Kysely transaction that is open on the
 * same connection. No root needed.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { CompiledQuery, sql } from 'kysely';
import { openSqliteStore } from '../../src/store/sqlite.ts';
import type { Store } from '../../src/store/store.ts';

const dir = mkdtempSync(join(tmpdir(), 'bmnet-batch-'));
after(() => rmSync(dir, { recursive: true, force: true }));

const insert = (n: number) => CompiledQuery.raw('insert into b (n) values (?) returning id', [n]);

async function storeWithTable(name: string): Promise<Store> {
  const store = await openSqliteStore(join(dir, `${name}.db`));
  await sql`create table b (id integer primary key, n integer not null unique)`.execute(store.builder);
  return store;
}

async function values(store: Store): Promise<number[]> {
  const { rows } = await sql<{ n: number }>`select n from b order by n`.execute(store.builder);
  return rows.map((r) => r.n);
}

test('a batch commits its statements together and returns what its function returns', async () => {
  const store = await storeWithTable('commit');
  try {
    const ids = await store.batch((exec) => [1, 2, 3].map((n) => Number(exec(insert(n))[0]?.id)));
    assert.deepEqual(ids, [1, 2, 3], 'RETURNING rows come back from exec');
    assert.deepEqual(await values(store), [1, 2, 3]);
  } finally {
    await store.close();
  }
});

test('a batch that throws leaves nothing behind, and the store goes on', async () => {
  const store = await storeWithTable('rollback');
  try {
    await assert.rejects(
      store.batch((exec) => {
        exec(insert(1));
        exec(insert(1)); // unique constraint
      }),
      /UNIQUE constraint failed/,
    );
    assert.deepEqual(await values(store), []);
    await store.batch((exec) => exec(insert(2)));
    assert.deepEqual(await values(store), [2]);
  } finally {
    await store.close();
  }
});

test('a batch waits for a transaction open on the connection instead of joining it', async () => {
  const store = await storeWithTable('interleave');
  try {
    let batch: Promise<unknown> = Promise.resolve();
    const transaction = store.builder.transaction().execute(async (trx) => {
      await sql`insert into b (n) values (10)`.execute(trx);
      batch = store.batch((exec) => exec(insert(20))); // asked while the transaction is open
      await sleep(20);
      throw new Error('the transaction rolls back');
    });
    await assert.rejects(transaction, /rolls back/);
    await batch;
    assert.deepEqual(await values(store), [20], "the batch's row survives the rollback; the transaction's does not");
  } finally {
    await store.close();
  }
});
