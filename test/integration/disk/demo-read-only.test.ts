// `chainprice serve --demo` (the real command) with its data directory on an ext4 file system that
// the kernel turns read-only while it runs (errors=remount-ro after a file-system error, the way a
// failing SD card or USB disk goes): the live price, the stream and the stored history's reads go
// on, /health answers 503 and names the read-only data directory, serve stops cleanly; after the
// user's repair (unmount, e2fsck, mount) the database passes SQLite's integrity check with every
// row written before, and a new serve writes again.
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { DatabaseSync } from '../../../src/store/sqlite.ts';
import { type ServeProcess, startServe } from '../../support/serve-process.ts';
import { waitFor } from '../../support/wait.ts';
import { getJson, type Health, integrityCheck } from './service-checks.ts';
import { mountSkipReason, SmallDisk } from './small-disk.ts';

const skip = mountSkipReason('ext4') ?? false;

type Serve = ServeProcess;

function serve(dataDir: string): Promise<ServeProcess> {
  return startServe(['--demo', '--data-dir', dataDir]);
}

async function stop(s: Serve | null): Promise<number | null> {
  if (s === null || s.child.exitCode !== null) return s?.child.exitCode ?? null;
  const exited = new Promise<number | null>((resolve) => s.child.once('exit', resolve));
  s.child.kill('SIGINT');
  return exited;
}

function rows(dataDir: string): { integrity: string; days: number; estimates: number } {
  const db = new DatabaseSync(join(dataDir, 'demo-history.sqlite'), { readOnly: true });
  try {
    const count = (sql: string) => (db.prepare(sql).get() as { n: number }).n;
    return {
      integrity: integrityCheck(db),
      days: count('SELECT COUNT(*) AS n FROM chain_days'),
      estimates: count('SELECT COUNT(*) AS n FROM estimates'),
    };
  } finally {
    db.close();
  }
}

describe('serve --demo when its data directory turns read-only', { skip, timeout: 300_000 }, () => {
  let disk: SmallDisk;
  let dataDir = '';
  let running: Serve | null = null;
  let daysBefore = 0;

  before(() => {
    disk = SmallDisk.ext4(32);
    dataDir = disk.sub('data');
  });

  after(async () => {
    if (running && running.child.exitCode === null) {
      running.child.kill('SIGKILL');
      await new Promise((resolve) => running?.child.once('exit', resolve));
    }
    disk?.unmount();
  });

  it('keeps the live price and the stored history, and names the read-only directory in /health', async (t) => {
    running = await serve(dataDir);
    const s = running;
    const [, days] = await waitFor(() => /demo: simulated (\d+) days of history/.exec(s.output()), {
      what: "the demo's simulated past",
      timeoutMs: 120_000,
      detail: s.output,
    });
    daysBefore = Number(days);

    disk.failToReadOnly();
    const readOnlyAt = performance.now();
    const expected = `the data directory ${dataDir} is on a read-only file system`;
    // Estimates are recorded once a minute: the first one after the error finds the directory read-only.
    const health = await waitFor(() => getJson<Health>(`${s.base}/health`), {
      what: '/health to name the read-only data directory',
      timeoutMs: 150_000,
      everyMs: 500,
      until: (r) => r.body.storage?.ok === false,
      detail: s.output,
    });
    t.diagnostic(
      `/health ${health.status} ${((performance.now() - readOnlyAt) / 1000).toFixed(1)} s after the error: ${JSON.stringify(health.body.problems)}`,
    );
    assert.equal(health.status, 503);
    assert.deepEqual(health.body.storage?.problems, [expected]);
    assert.ok(health.body.problems.includes(`${expected} (the price history is not being written)`));

    const price = await getJson<{ price: number | null }>(`${s.base}/api/v1/price`);
    assert.equal(price.status, 200);
    assert.ok(typeof price.body.price === 'number' && price.body.price > 0);
    const daily = await getJson<{ days: unknown[] }>(`${s.base}/api/v1/history/daily`);
    assert.equal(daily.status, 200, 'the stored history is still read');
    assert.equal(daily.body.days.length, daysBefore);
    const ws = new WebSocket(`${s.base.replace('http', 'ws')}/ws/mempool`);
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error('no WebSocket message in 20 s')), 20_000);
      ws.onmessage = () => {
        clearTimeout(timer);
        resolve();
      };
    });
    ws.close();
    assert.match(s.output(), new RegExp(`${expected}: the price history is not being written`));
    assert.doesNotMatch(s.output(), /cannot rollback|SQLITE|disk I\/O error|\n\s+at /);
    assert.equal(s.child.exitCode, null, 'serve is still running');
    const code = await stop(s);
    assert.equal(code, 0, s.output());
    assert.doesNotMatch(s.output(), /SQLITE|disk I\/O error|\n\s+at /);
  });

  it('after the repair the database is sound with every row written before, and serve writes again', async (t) => {
    disk.repairAndMount();
    const after = rows(dataDir);
    assert.equal(after.integrity, 'ok');
    assert.equal(after.days, daysBefore);
    t.diagnostic(
      `after e2fsck: integrity_check ${after.integrity}; ${after.days} days, ${after.estimates} estimates`,
    );

    running = await serve(dataDir);
    const s = running;
    const health = await waitFor(() => getJson<Health>(`${s.base}/health`), {
      what: '/health after the restart',
      timeoutMs: 60_000,
      everyMs: 200,
      ignoreErrors: true,
      until: (r) => r.body.storage !== undefined,
    });
    assert.deepEqual(health.body.storage?.problems, []);
    await waitFor(() => /demo: simulated \d+ days of history/.test(s.output()), {
      what: "the demo's simulated past written again",
      timeoutMs: 120_000,
      detail: s.output,
    });
    assert.equal(await stop(s), 0, s.output());
    assert.equal(rows(dataDir).integrity, 'ok');
  });
});
