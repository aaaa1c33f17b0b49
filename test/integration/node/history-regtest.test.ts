// The history build against a real regtest node writing its own block files (XOR on), over several
// days of mock time with a test economy: the history built from the files equals the one built
// over RPC, block by block and day by day; blocks agree with `chainprice block HEIGHT`'s counts
// (and price, where that cold estimate is confident); a stopped build resumed gives the same rows;
// a reorg replaces the right rows; a truncated last block file falls back to RPC for that block.

import assert from 'node:assert/strict';
import { cpSync, mkdtempSync, readdirSync, rmSync, statSync, truncateSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { BlockFiles } from '../../../src/history/block-files.ts';
import { buildHistory } from '../../../src/history/history-build.ts';
import { HistoryTables } from '../../../src/history/history-tables.ts';
import { WorkerPool } from '../../../src/history/worker-pool.ts';
import { BlockPrices } from '../../../src/node/block-prices.ts';
import { BlockSource } from '../../../src/node/block-source.ts';
import { HistoryStore } from '../../../src/store/history.ts';
import { Economy } from './economy.ts';
import { bitcoindOrSkipReason, RegtestNode } from './regtest-node.ts';

const found = bitcoindOrSkipReason();
const skip = 'skip' in found ? found.skip : false;
const DAY = 86_400;
const PRICES = [61_234.5, 58_765.25, 63_000.75];
/** 12:00 UTC tomorrow (fixed when the test file loads, so a run across midnight agrees with itself). */
const TOMORROW_NOON = (Math.floor(Date.now() / 1000 / DAY) + 1) * DAY + 12 * 3600;
/** Noon of price day d: its blocks are mined from then. */
const noonOfDay = (d: number) => TOMORROW_NOON + d * DAY;

describe('history build with a regtest node', { skip, timeout: 300_000 }, () => {
  let node: RegtestNode;
  let scratch: string;
  const stores: HistoryStore[] = [];
  let pool: WorkerPool;

  function store(name: string): { tables: HistoryTables; store: HistoryStore } {
    const s = HistoryStore.open({ dataDir: join(scratch, name) });
    stores.push(s);
    return { store: s, tables: new HistoryTables(s.database) };
  }

  function blocksDir(): string {
    return join(node.datadir, 'regtest', 'blocks');
  }

  async function build(tables: HistoryTables, files: BlockFiles | null, signal?: AbortSignal) {
    const source = new BlockSource(node.rpc);
    const tip = await source.tipHeight();
    return buildHistory({ source, rpc: node.rpc, files, tables, pool, from: 0, to: tip, signal });
  }

  function rows(tables: HistoryTables) {
    return { days: tables.days('0000', '9999'), blocks: tables.blocksByHeight(0, 1e9, 1e9) };
  }

  before(async () => {
    scratch = mkdtempSync(join(tmpdir(), 'chainprice-history-'));
    pool = new WorkerPool(2);
    node = await RegtestNode.start((found as { bitcoind: string }).bitcoind);
    const economy = new Economy(node, 13);
    await economy.setup({ fundingOutputs: 560, buryBlocks: 10 });
    for (const [d, price] of PRICES.entries()) {
      // Two blocks a day, mid-day of the next days (whatever the hour the test runs at).
      for (let b = 0; b < 2; b++) {
        await node.call('setmocktime', noonOfDay(d) + b * 3600);
        await economy.roundUsdPayments(80, price);
        await node.mine(1);
      }
    }
  });

  after(async () => {
    for (const s of stores) s.close();
    await pool?.close();
    await node?.stop();
    if (scratch) rmSync(scratch, { recursive: true, force: true });
  });

  it('builds the same rows from the XORed block files as over RPC, and matches chainprice block', async () => {
    const files = BlockFiles.open(blocksDir(), 'regtest');
    assert.ok(files.obfuscated, 'the node writes XORed block files');
    const a = store('files');
    const viaFiles = await build(a.tables, files);
    assert.equal(viaFiles.fromRpc, 0);
    assert.equal(viaFiles.fromFiles, viaFiles.blocksPriced);
    const tip = await node.call<number>('getblockcount');
    assert.equal(viaFiles.blocksPriced, tip + 1);
    const b = store('rpc');
    const viaRpc = await build(b.tables, null);
    assert.equal(viaRpc.fromFiles, 0);
    assert.deepEqual(rows(a.tables), rows(b.tables));

    const { days, blocks } = rows(a.tables);
    assert.deepEqual(
      days.slice(-PRICES.length).map((d) => d.blocks),
      PRICES.map(() => 2),
    );
    // Days equal `chainprice day DATE` (all the day's blocks in one window).
    const prices = new BlockPrices(new BlockSource(node.rpc));
    for (const day of days.slice(-PRICES.length)) {
      const range = await prices.day(day.day);
      assert.ok(range);
      assert.equal(day.price, range.price, day.day);
      assert.equal(day.candidates, range.candidates, day.day);
      assert.equal(day.transactions, range.transactions, day.day);
    }
    // Blocks equal `chainprice block HEIGHT` (a cold estimate of the block alone) in their counts,
    // and in price wherever the history's search was cold too or the cold one is confident.
    let samePrice = 0;
    for (const row of blocks.slice(-2 * PRICES.length)) {
      const single = await prices.priceOf(String(row.height));
      assert.ok(single);
      assert.equal(row.hash, single.hash);
      assert.equal(row.transactions, single.transactions);
      assert.equal(row.candidates, single.candidates);
      if (row.seed === null || (single.price !== null && single.confidence >= 0.5)) {
        assert.equal(row.price, single.price, `block ${row.height}`);
        assert.equal(row.confidence, single.confidence, `block ${row.height}`);
        samePrice++;
      }
    }
    assert.ok(samePrice > 0);
  });

  it('a stopped build, resumed, gives the same rows; a second run prices nothing', async () => {
    const full = rows(store('files').tables);
    const c = store('resumed');
    const controller = new AbortController();
    const source = new BlockSource(node.rpc);
    const tip = await source.tipHeight();
    const first = await buildHistory({
      source,
      rpc: node.rpc,
      files: BlockFiles.open(blocksDir(), 'regtest'),
      tables: c.tables,
      pool,
      from: 0,
      to: tip,
      signal: controller.signal,
      onProgress: (p) => {
        if (p.daysDone === 2) controller.abort();
      },
    });
    assert.ok(first.daysPriced < first.days, 'stopped part-way');
    const second = await build(c.tables, BlockFiles.open(blocksDir(), 'regtest'));
    assert.equal(second.daysPriced, first.days - first.daysPriced);
    assert.deepEqual(rows(c.tables), full);
    const third = await build(c.tables, BlockFiles.open(blocksDir(), 'regtest'));
    assert.equal(third.daysPriced, 0);
  });

  it('a truncated last block file (the node mid-write) falls back to RPC for that block', async () => {
    const copy = join(scratch, 'blocks-copy');
    cpSync(blocksDir(), copy, { recursive: true });
    const files = BlockFiles.open(copy, 'regtest');
    files.refresh();
    const tipHash = await node.call<string>('getbestblockhash');
    const at = files.locate(tipHash);
    assert.ok(at);
    truncateSync(at.path, at.offset + Math.floor(at.length / 2));
    const cut = BlockFiles.open(copy, 'regtest');
    assert.deepEqual(cut.refresh().truncated, [at.path.split('/').at(-1)]);
    const d = store('truncated');
    const summary = await build(d.tables, cut);
    assert.equal(summary.fromRpc > 0, true);
    assert.deepEqual(rows(d.tables), rows(store('rpc').tables));
    // blk files grow past a block's end only while the node writes: the copy's size says it was cut.
    assert.ok(statSync(at.path).size < at.offset + at.length);
    assert.ok(readdirSync(copy).includes('xor.dat'));
  });

  it('a reorg replaces the rows of the replaced blocks, and only those days', async () => {
    const a = store('files');
    const before = rows(a.tables);
    const tip = await node.call<number>('getblockcount');
    const old = await node.call<string>('getblockhash', tip);
    await node.call('invalidateblock', old);
    // The same UTC day as the replaced block (13:00): a reorg within one day.
    await node.call('setmocktime', noonOfDay(PRICES.length - 1) + 2 * 3600);
    await node.mine(2);
    const summary = await build(a.tables, BlockFiles.open(blocksDir(), 'regtest'));
    assert.equal(summary.replacedDays.length, 1);
    assert.equal(summary.daysPriced, 1);
    const after = rows(a.tables);
    assert.equal(after.blocks.length, before.blocks.length + 1);
    assert.ok(!after.blocks.some((b) => b.hash === old));
    assert.deepEqual(after.days.slice(0, -1), before.days.slice(0, -1));
    const fresh = store('after-reorg');
    await build(fresh.tables, null);
    assert.deepEqual(rows(fresh.tables), after);
  });
});
