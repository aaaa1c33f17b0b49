// A history opened to read only (`chainprice history show`): it creates and writes nothing, reads
// what a writer committed (also while that writer still has it open), says there is no history
// where there is none, and refuses a history from a newer chainprice in one sentence. (Reading one
// on a read-only file system is in test/integration/disk/history-build-full.test.ts.)

import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { UserError } from '../../src/errors.ts';
import { HistoryTables } from '../../src/history/history-tables.ts';
import { HistoryStore, openHistoryToRead } from '../../src/store/history.ts';
import { block, day } from './chain-rows.ts';

const CLI = fileURLToPath(new URL('../../src/cli.ts', import.meta.url));
const root = mkdtempSync(join(tmpdir(), 'chainprice-read-'));
after(() => rmSync(root, { recursive: true, force: true }));

const show = (dir: string) =>
  spawnSync(process.execPath, [CLI, 'history', 'show', '--data-dir', dir, '--json'], { encoding: 'utf8' });

describe('a history opened to read only', () => {
  it('reads the days a writer committed, while the writer has it open, and cannot write', () => {
    const dir = join(root, 'written');
    const store = HistoryStore.open({ dataDir: dir });
    try {
      new HistoryTables(store.database).writeDay(day(2), [block(2)]);
      const db = openHistoryToRead({ dataDir: dir });
      assert.ok(db);
      try {
        const tables = HistoryTables.toRead(db);
        assert.ok(tables);
        assert.deepEqual(
          tables.days('0000-00-00', '9999-99-99').map((d) => [d.day, d.price]),
          [['2024-01-02', 42_002]],
        );
        assert.throws(() => tables.writeDay(day(3), []), /readonly|read-only/i);
      } finally {
        db.close();
      }
      const shown = show(dir);
      assert.equal(shown.status, 0, shown.stderr);
      assert.deepEqual(
        (JSON.parse(shown.stdout) as { day: string }[]).map((d) => d.day),
        ['2024-01-02'],
      );
    } finally {
      store.close();
    }
  });

  it('is no history where there is none, and creates nothing there', () => {
    const missing = join(root, 'missing');
    assert.equal(openHistoryToRead({ dataDir: missing }), null);
    const shown = show(missing);
    assert.equal(shown.status, 1);
    assert.equal(
      shown.stderr,
      `chainprice: no chain history in ${missing} yet; build it with "chainprice history build"\n`,
    );
    assert.equal(existsSync(missing), false, 'the directory was not created');
    // A history file without the chain's tables (only the live tables made): no chain history.
    const live = join(root, 'live');
    HistoryStore.open({ dataDir: live }).close();
    const db = openHistoryToRead({ dataDir: live });
    assert.ok(db);
    assert.equal(HistoryTables.toRead(db), null);
    db.close();
    assert.match(show(live).stderr, /^chainprice: no chain history in .* yet/);
  });

  it('refuses a history a newer chainprice wrote, in one sentence', () => {
    const dir = join(root, 'newer');
    const store = HistoryStore.open({ dataDir: dir });
    store.database.exec('PRAGMA user_version = 99');
    store.close();
    assert.throws(
      () => openHistoryToRead({ dataDir: dir }),
      (error: unknown) =>
        error instanceof UserError &&
        /history\.sqlite was written by a newer chainprice \(history version 99\)$/.test(error.message),
    );
    const shown = show(dir);
    assert.equal(shown.status, 1);
    assert.match(
      shown.stderr,
      /^chainprice: .* was written by a newer chainprice \(history version 99\)\nhint: /,
    );
  });
});
