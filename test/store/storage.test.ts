// A history write the disk refuses. SQLite's own "database or disk is full" (SQLITE_FULL, made real
// with PRAGMA max_page_count: SQLite then refuses to grow the file exactly as on a full disk) rolls
// the transaction back by itself; inTransaction must throw that error, not "cannot rollback - no
// transaction is active", and leave the earlier rows and a sound file. storageProblem names the
// cause in a user's words; StorageWatch holds a writer back, logs once, counts drops, and clears
// with the first write that goes through; persist retries until it does. (The real full and
// read-only file systems are in test/integration/disk/.)

import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { HistoryTables } from '../../src/history/history-tables.ts';
import { HistoryStore } from '../../src/store/history.ts';
import { inTransaction } from '../../src/store/sqlite.ts';
import { StorageWatch, storageProblem } from '../../src/store/storage.ts';
import { block, day } from './chain-rows.ts';

const root = mkdtempSync(join(tmpdir(), 'chainprice-storage-'));
after(() => rmSync(root, { recursive: true, force: true }));
let dirs = 0;
const freshDir = () => join(root, `d${dirs++}`);

/** A store whose file may not grow past its size now: the next pages it needs are refused with SQLITE_FULL. */
function fullStore(): { store: HistoryStore; tables: HistoryTables; capacity: (pages: number) => void } {
  const store = HistoryStore.open({ dataDir: freshDir() });
  const tables = new HistoryTables(store.database);
  return {
    store,
    tables,
    capacity: (pages) => {
      const { page_count } = store.database.prepare('PRAGMA page_count').get() as { page_count: number };
      store.database.exec(`PRAGMA max_page_count = ${page_count + pages}`);
    },
  };
}

/** A day with so many blocks that its pages do not fit in a file that may not grow. */
function bigDay(tables: HistoryTables, n: number): void {
  tables.writeDay(
    day(n),
    Array.from({ length: 2_000 }, (_, i) => block(n * 10_000 + i)),
  );
}

describe('a history write the disk refuses', () => {
  it('throws SQLite\'s "full" error, not "cannot rollback", and keeps the earlier rows and a sound file', () => {
    const { store, tables, capacity } = fullStore();
    tables.writeDay(day(1), [block(1)]);
    // A checkpoint moves the day into the file, so the cap counts from a file that holds it.
    store.database.exec('PRAGMA wal_checkpoint(TRUNCATE)');
    capacity(0);
    const error = (() => {
      try {
        bigDay(tables, 2);
      } catch (e) {
        return e as Error & { errcode?: number };
      }
      return null;
    })();
    assert.ok(error !== null, 'the big day does not fit');
    assert.equal(error.message, 'database or disk is full');
    assert.equal((error.errcode ?? 0) & 0xff, 13);
    assert.equal(store.database.isTransaction, false);
    assert.deepEqual(
      tables.days('0000', '9999').map((d) => d.day),
      ['2024-01-01'],
    );
    assert.equal(store.integrityCheck(), 'ok');
    assert.deepEqual(storageProblem(error, store.dir), {
      kind: 'full',
      dir: store.dir,
      message: `no space left on the device that holds ${store.dir}`,
    });
    // Room again: the same write goes through.
    capacity(100_000);
    bigDay(tables, 2);
    assert.equal(tables.days('0000', '9999').length, 2);
    store.close();
  });

  it('inTransaction rolls back an open transaction and throws the error that counts', () => {
    const store = HistoryStore.open({ dataDir: freshDir() });
    const db = store.database;
    db.exec('CREATE TABLE t (x INTEGER)');
    assert.throws(
      () =>
        inTransaction(db, () => {
          db.exec('INSERT INTO t VALUES (1)');
          throw new Error('the work failed');
        }),
      /the work failed/,
    );
    assert.equal(db.isTransaction, false);
    assert.equal((db.prepare('SELECT COUNT(*) AS n FROM t').get() as { n: number }).n, 0);
    assert.equal(
      inTransaction(db, () => db.prepare('INSERT INTO t VALUES (2)').run().changes),
      1,
    );
    store.close();
  });

  it('names Node errors by what the user can do, and leaves other errors alone', () => {
    const at = (code: string) => storageProblem(Object.assign(new Error(code), { code }), '/data')?.message;
    assert.equal(at('ENOSPC'), 'no space left on the device that holds /data');
    assert.equal(at('EDQUOT'), 'no space left on the device that holds /data');
    assert.equal(at('EROFS'), 'the data directory /data is on a read-only file system');
    assert.equal(at('EACCES'), 'chainprice may not write to the data directory /data (permission denied)');
    assert.equal(at('EIO'), 'the device that holds /data fails to write (input/output error)');
    assert.equal(at('ECONNREFUSED'), undefined);
    assert.equal(storageProblem(new RangeError('bad height'), '/data'), null);
    assert.equal(storageProblem(null, '/data'), null);
  });
});

describe('StorageWatch', () => {
  const full = Object.assign(new Error('database or disk is full'), {
    code: 'ERR_SQLITE_ERROR',
    errcode: 13,
  });

  it('holds writers back, says so once, counts drops, and clears with a write that went through', () => {
    const lines: string[] = [];
    const watch = new StorageWatch('/data', { log: (l) => lines.push(l), retryMs: 5_000 });
    assert.deepEqual(watch.problems(), []);
    assert.equal(watch.failed('live', new Error('not about the disk')), null);
    assert.deepEqual(watch.problems(), []);
    assert.equal(watch.failed('live', full, true)?.kind, 'full');
    assert.equal(watch.failed('live', full, true)?.kind, 'full');
    assert.equal(watch.failed('chain_history', full)?.kind, 'full');
    assert.deepEqual(watch.problems(), ['no space left on the device that holds /data']);
    assert.deepEqual(watch.waiting(), ['chain_history', 'live']);
    assert.deepEqual(watch.dropped(), { live: 2 });
    assert.deepEqual(lines, [
      'no space left on the device that holds /data: the price history is not being written (the live price goes on; chainprice tries again every 5 s)',
    ]);
    watch.wrote('live');
    assert.deepEqual(watch.waiting(), ['chain_history']);
    assert.equal(lines.length, 1, 'not clear while a writer still waits');
    watch.wrote('chain_history');
    assert.deepEqual(watch.problems(), []);
    assert.deepEqual(lines.slice(1), [
      'the price history is being written again in /data (2 write(s) given up on while it could not be)',
    ]);
  });

  it('persist retries a refused write until it goes through, and stops when aborted', async () => {
    const watch = new StorageWatch('/data', { retryMs: 10 });
    let tries = 0;
    const written = await watch.persist('chain_history', () => {
      if (++tries < 3) throw full;
    });
    assert.equal(written, true);
    assert.equal(tries, 3);
    assert.deepEqual(watch.problems(), []);

    const controller = new AbortController();
    const pending = watch.persist(
      'chain_history',
      () => {
        throw full;
      },
      controller.signal,
    );
    controller.abort();
    assert.equal(await pending, false);
    await assert.rejects(
      watch.persist('chain_history', () => {
        throw new RangeError('not about the disk');
      }),
      /not about the disk/,
    );
  });
});
