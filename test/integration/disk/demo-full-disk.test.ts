// `chainprice serve --demo` (the real command, as a child process) with its data directory on a real
// tmpfs that is full: the live price and the WebSocket stream go on, /health answers 503 and names
// the full disk, the log says it once in our words (never SQLite's "cannot rollback"), the demo's
// simulated past waits instead of stopping for good; once the filler file is deleted, the history
// is written again by itself, /health clears, and the database passes SQLite's integrity check.
import assert from 'node:assert/strict';
import type { ChildProcess } from 'node:child_process';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { DatabaseSync } from '../../../src/store/sqlite.ts';
import { startServe } from '../../support/serve-process.ts';
import { waitFor } from '../../support/wait.ts';
import { getJson, type Health, integrityCheck, untilStorageClears } from './service-checks.ts';
import { freeBytes, mountSkipReason, SmallDisk } from './small-disk.ts';

const skip = mountSkipReason() ?? false;
/** The demo's live history and its months of simulated days take about 2 MB: 8 MB holds them with room to spare. */
const DISK_SIZE = '8m';
/** Left free before the start: enough to open the database, far too little for the simulated past. */
const LEAVE_FREE = 256 * 1024;

describe('serve --demo with its data directory on a full disk', { skip, timeout: 240_000 }, () => {
  let disk: SmallDisk;
  let dataDir = '';
  let server: ChildProcess | null = null;
  let output = '';
  let base = '';

  before(async () => {
    disk = SmallDisk.tmpfs(DISK_SIZE);
    dataDir = disk.sub('data');
    disk.fill(LEAVE_FREE);
    const served = await startServe(['--demo', '--data-dir', dataDir], {
      onOutput: (text) => {
        output += text;
      },
    });
    server = served.child;
    base = served.base;
  });

  after(async () => {
    if (server && server.exitCode === null) {
      server.kill('SIGKILL');
      await new Promise((resolve) => server?.once('exit', resolve));
    }
    disk?.unmount();
  });

  it('keeps the live price and the stream, names the full disk in /health, and resumes by itself', async (t) => {
    const expected = `no space left on the device that holds ${dataDir}`;
    const full = await waitFor(() => getJson<Health>(`${base}/health`), {
      what: '/health to name the full disk',
      timeoutMs: 90_000,
      ignoreErrors: true,
      everyMs: 200,
      until: (r) => r.body.storage?.ok === false,
      detail: () => output,
    });
    assert.equal(full.status, 503, JSON.stringify(full.body));
    assert.equal(full.body.status, 'unhealthy');
    assert.deepEqual(full.body.storage?.problems, [expected]);
    assert.ok(
      full.body.problems.includes(`${expected} (the price history is not being written)`),
      JSON.stringify(full.body.problems),
    );
    t.diagnostic(`/health while full: ${JSON.stringify(full.body.problems)}`);

    // The live price goes on: two estimates with different timestamps while the disk stays full.
    type Price = { price: number | null; timestamp: number };
    const first = await waitFor(() => getJson<Price>(`${base}/api/v1/price`), {
      what: 'the live price while the disk is full',
      timeoutMs: 90_000,
      everyMs: 200,
      until: (r) => r.status === 200 && typeof r.body.price === 'number' && r.body.price > 0,
    });
    await waitFor(() => getJson<Price>(`${base}/api/v1/price`), {
      what: 'a newer live estimate while the disk is full',
      timeoutMs: 30_000,
      until: (r) => r.body.timestamp > first.body.timestamp && typeof r.body.price === 'number',
    });
    // And the stream: a WebSocket client gets its messages.
    const ws = new WebSocket(`${base.replace('http', 'ws')}/ws/mempool`);
    const messages = await new Promise<number>((resolve, reject) => {
      let n = 0;
      const timer = setTimeout(() => reject(new Error(`only ${n} WebSocket messages in 20 s`)), 20_000);
      ws.onmessage = () => {
        if (++n === 3) {
          clearTimeout(timer);
          resolve(n);
        }
      };
      ws.onerror = () => reject(new Error('the WebSocket failed'));
    });
    ws.close();
    assert.equal(messages, 3);
    assert.equal(server?.exitCode, null, 'serve is still running');

    // The demo's past waits for room rather than stopping for good.
    const daysWhileFull = (await getJson<{ days: unknown[] }>(`${base}/api/v1/history/daily`)).body.days
      .length;
    assert.doesNotMatch(output, /simulated \d+ days of history/);

    disk.free();
    const freedAt = performance.now();
    t.diagnostic(`freed: ${Math.round(freeBytes(disk.dir) / 1024)} KiB free`);
    const cleared = await untilStorageClears(base, () => output);
    const clearSeconds = (performance.now() - freedAt) / 1000;
    assert.deepEqual(cleared.body.storage?.problems, []);
    assert.ok(!cleared.body.problems.some((p) => p.includes(dataDir)), JSON.stringify(cleared.body.problems));
    t.diagnostic(`/health's storage cleared ${clearSeconds.toFixed(2)} s after the filler was deleted`);
    // The rest of /health (the demo's start can stall the event loop for a second) turns 200 too.
    await waitFor(() => getJson<Health>(`${base}/health`), {
      what: '/health to answer 200',
      timeoutMs: 90_000,
      everyMs: 200,
      until: (r) => r.status === 200,
    });

    const [, days] = await waitFor(() => /demo: simulated (\d+) days of history/.exec(output), {
      what: "the demo's simulated past to be written in full",
      timeoutMs: 90_000,
      detail: () => output,
    });
    const daily = (await getJson<{ days: unknown[] }>(`${base}/api/v1/history/daily`)).body.days.length;
    assert.equal(daily, Number(days), 'every simulated day is in the history');
    t.diagnostic(`days while full: ${daysWhileFull}; after room was made: ${daily}`);

    assert.match(output, new RegExp(`${expected}: the price history is not being written`));
    assert.match(output, /the price history is being written again in /);
    assert.doesNotMatch(output, /cannot rollback|history stopped|SQLITE|disk is full|\n\s+at /);
  });

  it('when the disk fills while it runs: counts the estimates dropped, and clears once there is room', async (t) => {
    disk.fill(0);
    const dir = `no space left on the device that holds ${dataDir}`;
    // Estimates are recorded once a minute: the first one after the fill finds the disk full.
    const full = await waitFor(() => getJson<Health>(`${base}/health`), {
      what: '/health to name the full disk again',
      timeoutMs: 150_000,
      everyMs: 500,
      until: (r) => r.body.storage?.ok === false && r.body.storage.dropped_writes > 0,
      detail: () => output,
    });
    assert.equal(full.status, 503);
    assert.deepEqual(full.body.storage?.problems, [dir]);
    const metrics = await (await fetch(`${base}/metrics`)).text();
    assert.match(metrics, /chainprice_history_writes_dropped_total\{writer="estimates"\} [1-9]/);
    assert.match(metrics, /chainprice_history_storage_ok 0/);
    const price = await getJson<{ price: number | null }>(`${base}/api/v1/price`);
    assert.equal(price.status, 200);
    assert.ok(typeof price.body.price === 'number');
    t.diagnostic(`/health while full: ${JSON.stringify(full.body.storage)}`);

    disk.free();
    const freedAt = performance.now();
    const cleared = await untilStorageClears(base, () => output);
    t.diagnostic(
      `/health's storage cleared ${((performance.now() - freedAt) / 1000).toFixed(2)} s after the filler was deleted; ${JSON.stringify(cleared.body.storage)}`,
    );
    assert.match(await (await fetch(`${base}/metrics`)).text(), /chainprice_history_storage_ok 1/);
    assert.match(
      output,
      /the price history is being written again in .* \(\d+ write\(s\) given up on while it could not be\)/,
    );
  });

  it('stops cleanly and leaves a sound database', async (t) => {
    const child = server as ChildProcess;
    child.kill('SIGINT');
    const code = await new Promise<number | null>((resolve) => child.once('exit', resolve));
    assert.equal(code, 0, output);
    const db = new DatabaseSync(join(dataDir, 'demo-history.sqlite'), { readOnly: true });
    try {
      assert.equal(integrityCheck(db), 'ok');
      const count = (sql: string) => (db.prepare(sql).get() as { n: number }).n;
      const days = count('SELECT COUNT(*) AS n FROM chain_days');
      const estimates = count('SELECT COUNT(*) AS n FROM estimates');
      assert.ok(days > 0);
      t.diagnostic(`integrity_check ok; kept ${days} days, ${estimates} estimates`);
    } finally {
      db.close();
    }
  });
});
