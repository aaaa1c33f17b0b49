// The history store: records at most one estimate per interval, answers range queries at a step,
// keeps block prices, survives a restart and a kill -9 mid-write, bounds its file by retention,
// and refuses an unusable data directory or file with one clear line.

import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { UserError } from '../../src/errors.ts';
import { HISTORY_FILES, HistoryStore } from '../../src/store/history.ts';

const T0 = 1_750_000_000;
const root = mkdtempSync(join(tmpdir(), 'chainprice-history-'));
after(() => rmSync(root, { recursive: true, force: true }));
let dirs = 0;
const freshDir = () => join(root, `d${dirs++}`);

function hashOf(n: number): string {
  return n.toString(16).padStart(64, '0');
}

describe('history store', () => {
  it('records at most one estimate per interval, only with a price', () => {
    const store = HistoryStore.open({ dataDir: freshDir(), intervalSeconds: 60, now: () => T0 });
    const recorded = [0, 30, 59.9, 60, 61, 119, 120, 500].map((dt) =>
      store.recordEstimate({ price: 60_000 + dt, confidence: 0.9, timestamp: T0 + dt }),
    );
    assert.deepEqual(recorded, [true, false, false, true, false, false, true, true]);
    assert.equal(store.recordEstimate({ price: null, confidence: 0, timestamp: T0 + 1000 }), false);
    assert.equal(store.recordEstimate({ price: Number.NaN, confidence: 0.5, timestamp: T0 + 2000 }), false);
    assert.equal(store.recordEstimate({ price: -5, confidence: 0.5, timestamp: T0 + 3000 }), false);
    const points = store.estimates({ from: T0, to: T0 + 10_000, step: 1 });
    assert.deepEqual(
      points.map((p) => [p.timestamp - T0, p.price, p.samples]),
      [
        [0, 60_000, 1],
        [60, 60_060, 1],
        [120, 60_120, 1],
        [500, 60_500, 1],
      ],
    );
    store.close();
  });

  it('answers a range at a step with the mean of each step, from and to inclusive', () => {
    const store = HistoryStore.open({ dataDir: freshDir(), intervalSeconds: 60, now: () => T0 });
    for (let i = 0; i <= 60; i++) {
      store.recordEstimate({ price: 50_000 + i * 10, confidence: i / 60, timestamp: T0 + i * 60 });
    }
    const points = store.estimates({ from: T0, to: T0 + 3600, step: 600 });
    assert.equal(points.length, 7); // six full steps and the lone estimate at T0 + 3600
    for (let k = 0; k < 6; k++) {
      const p = points[k];
      assert.equal(p.samples, 10);
      assert.ok(Math.abs(p.price - (50_000 + (k * 10 + 4.5) * 10)) < 1e-6);
      assert.ok(Math.abs(p.timestamp - (T0 + (k * 10 + 4.5) * 60)) < 1e-6);
      assert.equal(p.low, 50_000 + k * 100);
      assert.equal(p.high, 50_000 + k * 100 + 90);
    }
    assert.equal(store.estimates({ from: T0 + 90, to: T0 + 150, step: 3600 })[0].samples, 1);
    assert.deepEqual(store.estimates({ from: T0 - 9000, to: T0 - 1, step: 60 }), []);
    assert.throws(() => store.estimates({ from: T0 + 10, to: T0, step: 60 }), /from <= to/);
    assert.throws(() => store.estimates({ from: T0, to: T0 + 10, step: 0 }), /step/);
    store.close();
  });

  it('keeps block prices by hash and by height, the newest after a reorg', async () => {
    const store = HistoryStore.open({ dataDir: freshDir(), now: () => T0 });
    store.recordBlock({ height: 800_000, hash: hashOf(1), time: T0, price: 61_000, confidence: 0.7 });
    store.recordBlock({ height: 800_001, hash: hashOf(2), time: T0 + 600, price: null, confidence: 0 });
    store.recordBlock({ height: 800_001, hash: hashOf(3), time: T0 + 620, price: 61_500, confidence: 0.6 });
    assert.deepEqual(store.blockPrice(hashOf(1)), {
      height: 800_000,
      hash: hashOf(1),
      time: T0,
      price: 61_000,
      confidence: 0.7,
    });
    assert.equal(store.blockPrice(hashOf(2))!.price, null);
    assert.equal(store.blockPrice(hashOf(9)), null);
    assert.equal((await store.priceOf('800001'))!.hash, hashOf(3));
    assert.equal((await store.priceOf(hashOf(1).toUpperCase()))!.height, 800_000);
    assert.equal(await store.priceOf('799999'), null);
    assert.throws(
      () => store.recordBlock({ height: 1, hash: 'xyz', time: T0, price: 1, confidence: 1 }),
      /not a block hash/,
    );
    store.close();
  });

  it('survives a restart: rows stay and the interval is still respected', () => {
    const dataDir = freshDir();
    const first = HistoryStore.open({ dataDir, intervalSeconds: 60, now: () => T0 });
    for (let i = 0; i < 10; i++)
      first.recordEstimate({ price: 70_000 + i, confidence: 0.5, timestamp: T0 + i * 60 });
    first.recordBlock({ height: 5, hash: hashOf(5), time: T0, price: 70_000, confidence: 0.5 });
    first.close();
    const second = HistoryStore.open({ dataDir, intervalSeconds: 60, now: () => T0 });
    assert.equal(second.counts().estimates, 10);
    assert.equal(second.latestEstimate()!.price, 70_009);
    assert.equal(second.recordEstimate({ price: 1, confidence: 0.5, timestamp: T0 + 9 * 60 + 30 }), false);
    assert.equal(second.recordEstimate({ price: 1, confidence: 0.5, timestamp: T0 + 10 * 60 }), true);
    assert.equal(second.blockPrice(hashOf(5))!.price, 70_000);
    assert.equal(second.integrityCheck(), 'ok');
    second.close();
  });

  it('merges old estimates per hour and deletes past retention, so the file stays bounded', () => {
    let now = T0;
    const store = HistoryStore.open({
      dataDir: freshDir(),
      intervalSeconds: 60,
      retention: { fullResolutionSeconds: 86_400, hourlySeconds: 10 * 86_400, blockSeconds: 5 * 86_400 },
      now: () => now,
      // 43,200 estimates and 4,320 blocks: an fsync each would take a minute, and durability is not what is tested.
      durable: false,
    });
    const priceAt = (t: number) => 40_000 + ((t - T0) / 60) * 0.5;
    const sizes: number[] = [];
    let blocks = 0;
    for (let day = 0; day < 30; day++) {
      for (let i = 0; i < 1440; i++) {
        now = T0 + day * 86_400 + i * 60;
        store.recordEstimate({ price: priceAt(now), confidence: 0.8, timestamp: now });
        if (i % 10 === 0) {
          store.recordBlock({ height: blocks, hash: hashOf(blocks), time: now, price: 1, confidence: 0.1 });
          blocks++;
        }
      }
      if (day === 14 || day === 29) sizes.push(statSync(store.path).size);
    }
    const counts = store.counts();
    // A day at full resolution, plus up to an hour before the hour-aligned cutoff and an hour between merges.
    assert.ok(counts.estimates <= 1440 + 120, `${counts.estimates} full-resolution rows`);
    assert.ok(counts.hourly <= 10 * 24 + 2 && counts.hourly >= 9 * 24, `${counts.hourly} hourly rows`);
    assert.ok(counts.blocks <= 5 * 144 + 7, `${counts.blocks} blocks`);
    assert.ok(sizes[1] <= sizes[0] * 1.1, `file grew from ${sizes[0]} to ${sizes[1]} bytes`);
    // A merged hour is the mean of what was recorded in it.
    const hourStart = Math.floor((now - 5 * 86_400) / 3600) * 3600;
    const inHour: number[] = [];
    for (let t = T0; t < hourStart + 3600; t += 60) if (t >= hourStart) inHour.push(priceAt(t));
    const [merged] = store.estimates({ from: hourStart, to: hourStart + 3599, step: 3600 });
    assert.equal(merged.samples, 60);
    assert.ok(Math.abs(merged.price - inHour.reduce((a, b) => a + b) / 60) < 1e-6);
    assert.equal(merged.low, inHour[0]);
    assert.equal(merged.high, inHour[59]);
    assert.equal(store.blockPrice(hashOf(0)), null, 'old blocks are gone');
    assert.equal(store.integrityCheck(), 'ok');
    store.close();
  });

  it('stays bounded when estimates run ahead of the clock (a fast demo)', () => {
    const store = HistoryStore.open({
      dataDir: freshDir(),
      intervalSeconds: 60,
      retention: { fullResolutionSeconds: 86_400, hourlySeconds: 3 * 86_400, blockSeconds: 86_400 },
      now: () => T0, // the wall clock stands still while simulated time runs ten days ahead
      durable: false,
    });
    for (let i = 0; i < 10 * 1440; i++) {
      store.recordEstimate({ price: 30_000, confidence: 0.5, timestamp: T0 + i * 60 });
    }
    const counts = store.counts();
    assert.ok(counts.estimates <= 1440 + 120, `${counts.estimates} full-resolution rows`);
    assert.ok(counts.hourly <= 3 * 24 + 2, `${counts.hourly} hourly rows`);
    store.close();
  });

  it('keeps demo history apart from the node history', () => {
    const dataDir = freshDir();
    const node = HistoryStore.open({ dataDir });
    const demo = HistoryStore.open({ dataDir, source: 'demo' });
    assert.equal(node.path, join(dataDir, HISTORY_FILES.node));
    assert.equal(demo.path, join(dataDir, HISTORY_FILES.demo));
    node.close();
    demo.close();
  });

  it('refuses an unwritable data directory and a file that is not a history, in one line', () => {
    const blocker = join(root, 'a-file');
    writeFileSync(blocker, 'not a directory');
    assert.throws(
      () => HistoryStore.open({ dataDir: join(blocker, 'history') }),
      (error: unknown) =>
        error instanceof UserError &&
        /data directory .* is not writable: a file is in the way/.test(error.message) &&
        /--data-dir/.test(error.hint ?? ''),
    );
    const dataDir = freshDir();
    HistoryStore.open({ dataDir }).close();
    writeFileSync(
      join(dataDir, 'junk.sqlite'),
      'this is not a database, just some text that fills a page'.repeat(100),
    );
    assert.throws(
      () => HistoryStore.open({ dataDir, fileName: 'junk.sqlite' }),
      (error: unknown) =>
        error instanceof UserError && /cannot open the history database/.test(error.message),
    );
    assert.throws(() => HistoryStore.open({ dataDir, intervalSeconds: 0 }), /interval/);
  });

  it('leaves a readable, consistent database after kill -9 during writes', async () => {
    const dataDir = freshDir();
    const writer = fileURLToPath(new URL('./fixtures/history-writer.ts', import.meta.url));
    let start = T0;
    for (let round = 0; round < 3; round++) {
      const child = spawn(process.execPath, [writer, dataDir, String(start)], {
        stdio: ['ignore', 'pipe', 'pipe'],
      });
      let last = [0, 0];
      let firstSeen: number | null = null;
      let stderr = '';
      child.stderr.on('data', (d) => {
        stderr += d;
      });
      await new Promise<void>((resolve, reject) => {
        let buffered = '';
        child.stdout.on('data', (chunk: Buffer) => {
          buffered += chunk.toString();
          const lines = buffered.split('\n');
          buffered = lines.pop()!;
          for (const line of lines) {
            last = line.split(' ').map(Number);
            firstSeen ??= last[0];
          }
          // Kill once this round has written a few hundred estimates (several hourly merges).
          if (firstSeen !== null && last[0] - firstSeen >= 300 + round * 97) {
            child.kill('SIGKILL');
          }
        });
        child.on('exit', (_code, signal) =>
          signal === 'SIGKILL'
            ? resolve()
            : reject(new Error(`writer exited without being killed: ${stderr}`)),
        );
      });
      // The killed writer left its write-ahead log behind: reopening must recover from it.
      assert.ok(
        statSync(join(dataDir, HISTORY_FILES.node + '-wal')).size > 0,
        'no WAL left by the killed writer',
      );
      const store = HistoryStore.open({ dataDir, intervalSeconds: 60 });
      assert.equal(store.integrityCheck(), 'ok');
      const total = store.estimates({ from: 0, to: 1e12, step: 1e12 })[0].samples;
      assert.ok(total >= last[0], `round ${round}: ${total} estimates stored, ${last[0]} reported written`);
      assert.ok(store.counts().blocks >= last[1], `round ${round}: blocks lost`);
      start = store.latestEstimate()!.timestamp;
      store.close();
    }
  });
});
