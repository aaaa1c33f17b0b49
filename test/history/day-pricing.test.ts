// Day and block pricing on the four consecutive real blocks 831328–831331 (one pooled window, then
// each block seeded by the pooled price), read from blk files: the pooled day is confident, each
// block's search is seeded with it, and a block's seeded price is the cold one where that is confident.

import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { readBlock } from '../../src/bitcoin/block.ts';
import { readBlockAt } from '../../src/history/blk-file.ts';
import { BlockFiles } from '../../src/history/block-files.ts';
import { blockSeed, priceBlocks, priceDay, priceDayWindow } from '../../src/history/day-pricing.ts';
import { runDayJob } from '../../src/history/price-worker.ts';
import { WorkerPool } from '../../src/history/worker-pool.ts';
import { DayWindows } from '../../src/oracle/day-windows.ts';
import { MIN_SEED_CONFIDENCE } from '../../src/oracle/seed-price.ts';
import { PriceWindow } from '../../src/oracle/window.ts';
import { REAL_DATA_MISSING, readRealBlock, realBlocks } from '../bitcoin/real-data.ts';
import { sleep } from '../support/wait.ts';
import { writeBlkDir } from './blk-fixture.ts';

const manifest = realBlocks();
const run = manifest?.filter((b) => b.height >= 831_328 && b.height <= 831_331) ?? [];
const skip = manifest === null ? REAL_DATA_MISSING : false;
const KEY = Uint8Array.from([1, 2, 3, 4, 5, 6, 7, 8]);

describe('day and block pricing on real consecutive blocks', { skip }, () => {
  const dir = mkdtempSync(join(tmpdir(), 'chainprice-day-'));
  after(() => rmSync(dir, { recursive: true, force: true }));

  it('pools the day, seeds each block with it, and reads the same from a worker job', () => {
    assert.equal(run.length, 4);
    writeBlkDir(dir, run.map(readRealBlock), { key: KEY });
    const files = BlockFiles.open(dir, 'main');
    files.refresh();
    const blocks = run.map((b) => {
      const at = files.locate(b.hash);
      assert.ok(at);
      return { height: b.height, hash: b.hash, time: at.time };
    });
    const bytesOf = (b: { hash: string }) =>
      readBlockAt(files.locate(b.hash) as NonNullable<ReturnType<typeof files.locate>>, files.key);
    const { day, estimate } = priceDayWindow('2024-02-21', blocks, bytesOf);
    assert.ok(
      estimate.ok && estimate.confidence >= MIN_SEED_CONFIDENCE,
      `pooled confidence ${day.confidence}`,
    );
    assert.ok(day.price !== null && day.price > 40_000 && day.price < 60_000, `day price ${day.price}`);
    assert.equal(day.blocks, 4);
    const seed = blockSeed(estimate, null);
    assert.equal(seed, day.price);
    const seeded = priceBlocks(blocks, seed, bytesOf);
    const cold = priceBlocks(blocks, null, bytesOf);
    for (const [i, b] of seeded.entries()) {
      assert.equal(b.seed, seed);
      assert.equal(b.candidates, cold[i].candidates);
      assert.ok(
        b.price === null || Math.abs(b.price / (seed as number) - 1) < 0.3,
        `block ${b.height} within the seed's range`,
      );
      if (cold[i].price !== null && cold[i].confidence >= MIN_SEED_CONFIDENCE)
        assert.equal(b.price, cold[i].price);
    }
    assert.equal(
      day.transactions,
      seeded.reduce((s, b) => s + b.transactions, 0),
    );
    // The worker's job gives exactly these rows, from file locations.
    const result = runDayJob({
      id: 1,
      day: '2024-02-21',
      key: files.key,
      blocks: blocks.map((b) => ({ ...b, location: files.locate(b.hash) })),
    });
    assert.ok(result.ok);
    assert.deepEqual(result.day, day);
    assert.deepEqual(result.blocks, seeded);
  });

  it('blocks over RPC come one at a time to a worker thread as it asks, and give the same rows', async () => {
    const files = BlockFiles.open(dir, 'main');
    files.refresh();
    const raw = new Map(run.map((b) => [b.hash, readRealBlock(b)]));
    const blocks = run.map((b) => ({
      height: b.height,
      hash: b.hash,
      time: files.locate(b.hash)?.time ?? 0,
    }));
    const expected = runDayJob({
      id: 3,
      day: '2024-02-21',
      key: files.key,
      blocks: blocks.map((b) => ({ ...b, location: files.locate(b.hash) })),
    });
    const asked: string[] = [];
    const fetch = async (hash: string) => {
      asked.push(hash);
      await sleep(5); // a node's answer takes a moment (the input, not a wait)
      return Uint8Array.from(raw.get(hash) as Uint8Array);
    };
    const rpcJob = (id: number) => ({
      id,
      day: '2024-02-21',
      key: null,
      blocks: blocks.map((b) => ({ ...b, rpc: true })),
    });
    for (const size of [1, 0]) {
      const pool = new WorkerPool(size);
      try {
        asked.length = 0;
        const result = await pool.run(rpcJob(4), fetch);
        assert.ok(result.ok, `pool of ${size}: ${result.ok ? '' : result.message}`);
        assert.deepEqual(result.day, expected.ok && expected.day);
        assert.deepEqual(result.blocks, expected.ok && expected.blocks);
        assert.deepEqual(
          asked,
          blocks.map((b) => b.hash),
          'each block asked for once, in order',
        );
        // A block the node cannot give fails the job with the node's reason, and the pool goes on.
        const failing = await pool.run(rpcJob(5), async (hash) => {
          if (hash === blocks[2].hash) throw new Error('Block not available (pruned data)');
          return fetch(hash);
        });
        assert.ok(!failing.ok && /pruned data/.test(failing.message), JSON.stringify(failing));
        assert.ok((await pool.run(rpcJob(6), fetch)).ok);
      } finally {
        await pool.close();
      }
    }
  });

  it('a block whose bytes are another block is refused (the files changed under us)', () => {
    const files = BlockFiles.open(dir, 'main');
    files.refresh();
    const wrong = files.locate(run[1].hash);
    const result = runDayJob({
      id: 2,
      day: '2024-02-21',
      key: files.key,
      blocks: [{ height: run[0].height, hash: run[0].hash, time: 0, location: wrong }],
    });
    assert.equal(result.ok, false);
    assert.ok(!result.ok && result.hash === run[0].hash && /are block/.test(result.message));
  });
});

describe('priceDay (DayWindows) gives exactly the PriceWindow path', { skip }, () => {
  const all = manifest ?? [];
  const bytes = new Map(all.map((b) => [b.hash, readRealBlock(b)]));
  const bytesOf = (b: { hash: string }) => bytes.get(b.hash) as Uint8Array;
  const asDay = (list: typeof all) =>
    list.map((b) => ({ height: b.height, hash: b.hash, time: readBlock(bytesOf(b)).header.time }));
  const same = (name: string, day: ReturnType<typeof asDay>) => {
    const plain = priceDayWindow(name, day, bytesOf);
    const seed = blockSeed(plain.estimate, 20_000);
    const fast = priceDay(name, day, bytesOf, 20_000);
    assert.deepEqual(fast.estimate, plain.estimate, `${name}: the day's estimate, evidence included`);
    assert.deepEqual(fast.day, plain.day);
    assert.deepEqual(fast.blocks, priceBlocks(day, seed, bytesOf), `${name}: the blocks`);
    // Each block's estimate in full (evidence and all), against a PriceWindow of its own.
    const windows = new DayWindows();
    const digest = new Uint8Array(32);
    for (const b of day) {
      windows.block(b.time);
      for (const tx of readBlock(bytesOf(b)).transactions({ digest })) windows.add(tx, digest);
    }
    assert.deepEqual(windows.estimateDay(), plain.estimate);
    for (const [i, b] of day.entries()) {
      const own = new PriceWindow();
      for (const tx of readBlock(bytesOf(b)).transactions()) own.add(tx, b.time);
      assert.deepEqual(
        windows.estimateBlock(i, { seed }),
        own.estimate({ seed }),
        `${name}: block ${b.height}`,
      );
      assert.deepEqual(windows.estimateBlock(i), own.estimate(), `${name}: block ${b.height} cold`);
    }
  };

  it('on every real block, in days of five', () => {
    const sorted = [...all].sort((a, b) => a.height - b.height);
    for (let i = 0; i < sorted.length; i += 5) same(`day ${i / 5}`, asDay(sorted.slice(i, i + 5)));
  });

  it('on one day of every real block (tables and columns grown, and the old ones freed, many times over)', () => {
    same('all', asDay([...all].sort((a, b) => a.height - b.height)));
  });

  it('on consecutive blocks (spends across blocks) and on a day holding a block twice (repeated txids)', () => {
    assert.equal(run.length, 4);
    same('consecutive', asDay(run));
    same('repeated', asDay([run[0], run[1], run[0], run[2], run[1]]));
  });
});
