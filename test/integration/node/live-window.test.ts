// The live window against a real regtest node, end to end: a driver economy pays round dollar
// amounts at a price of its choosing (plus noise, round-bitcoin amounts, RBF bumps, chained spends,
// OP_RETURN, six-input, three-output and large-witness transactions), and the service — the real
// createNodeFeed with cookie auth, ZMQ discovery, bootstrap and resync — must converge on the price,
// follow it when it moves, drop every filtered class, let replaced transactions leave, keep mined
// ones, survive `kill -9` of the node (reconnect within 5 s, window == mempool + recently mined)
// and a reorg, and price blocks and days over RPC exactly as from the raw blocks.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { readBlock } from '../../../src/bitcoin/block.ts';
import { parseTransaction } from '../../../src/bitcoin/transaction.ts';
import { readBlockFile } from '../../../src/commands/block-file.ts';
import { addBlock } from '../../../src/node/block-prices.ts';
import { defaultEnvironment, resolveNodeConfig } from '../../../src/node/node-config.ts';
import { createNodeFeed, type NodeFeed } from '../../../src/node/node-feed.ts';
import { isRoundBitcoinAmount } from '../../../src/oracle/round-bitcoin.ts';
import { MIN_SEED_CONFIDENCE } from '../../../src/oracle/seed-price.ts';
import { PriceWindow } from '../../../src/oracle/window.ts';
import { sleep, waitFor as waitUntil } from '../../support/wait.ts';
import { Economy } from './economy.ts';
import { bitcoindOrSkipReason, RegtestNode } from './regtest-node.ts';

const found = bitcoindOrSkipReason();
const skip = 'skip' in found ? found.skip : false;
const CLI = fileURLToPath(new URL('../../../src/cli.ts', import.meta.url));
const WINDOW_SECONDS = 3 * 3600;

/** The driver's prices: not round numbers, so round-dollar outputs are not round-bitcoin outputs. */
const PRICE_1 = 61_234.57;
const PRICE_2 = PRICE_1 * 1.12;

/** Waits for `condition`; returns how long it took (ms). */
async function waitFor(
  what: string,
  condition: () => boolean | Promise<boolean>,
  ms = 15_000,
): Promise<number> {
  const started = Date.now();
  await waitUntil(condition, { what, timeoutMs: ms, everyMs: 50 });
  return Date.now() - started;
}

function within(price: number | null | undefined, target: number, tolerance = 0.01): boolean {
  return typeof price === 'number' && Math.abs(price / target - 1) <= tolerance;
}

/** What the window must hold: the node's mempool plus every transaction of the blocks mined in the span. */
async function nodeWindow(node: RegtestNode): Promise<Set<string>> {
  const set = new Set(await node.call<string[]>('getrawmempool'));
  const cutoff = Date.now() / 1000 - WINDOW_SECONDS;
  let hash: string | undefined = await node.call<string>('getbestblockhash');
  while (hash) {
    const block: { time: number; tx: string[]; previousblockhash?: string } = await node.call(
      'getblock',
      hash,
      1,
    );
    if (block.time < cutoff) break;
    for (const txid of block.tx) set.add(txid);
    hash = block.previousblockhash;
  }
  return set;
}

function difference(a: Set<string>, b: Set<string>): string[] {
  return [...a].filter((x) => !b.has(x));
}

describe('the live window against a regtest node', { skip, timeout: 240_000 }, () => {
  let node: RegtestNode;
  let economy: Economy;
  let feed: NodeFeed;
  const window = new PriceWindow();
  const statusLines: string[] = [];
  let phase1: string[] = [];

  /** Waits until the tracker and the price window both hold exactly the node's window. */
  async function assertInStep(what: string): Promise<Set<string>> {
    let expected = new Set<string>();
    try {
      await waitFor(`the window to match the node (${what})`, async () => {
        expected = await nodeWindow(node);
        const tracked = feed.trackedTxids();
        const windowed = feed.windowTxids();
        return (
          tracked.size === expected.size &&
          windowed.size === expected.size &&
          difference(expected, tracked).length === 0 &&
          difference(expected, windowed).length === 0
        );
      });
    } catch (error) {
      const tracked = feed.trackedTxids();
      const missing = difference(expected, tracked);
      const extra = difference(tracked, expected);
      assert.fail(
        `${what}: window out of step with the node: ${missing.length} missing (${missing.slice(0, 3)}), ${extra.length} extra (${extra.slice(0, 3)}); ${String(error)}`,
      );
    }
    return expected;
  }

  before(async () => {
    // Knots refuses large witness data by default; chainprice's own filter is what is tested here.
    node = await RegtestNode.start((found as { bitcoind: string }).bitcoind, {
      args: ['-acceptnonstddatacarrier=1'],
    });
    economy = new Economy(node, 42);
    await economy.setup({
      fundingOutputs: 1_500,
      exactUsd: Array.from({ length: 15 }, (_, i) => ({
        usd: [10, 20, 50, 100, 200][i % 5],
        price: PRICE_1,
      })),
      bigWitness: 15,
      buryBlocks: 144,
      // A day and a half back: older than the live window and on an earlier UTC day than the test's blocks.
      hoursBack: 36,
    });
  });

  after(async () => {
    if (process.env.CHAINPRICE_TEST_VERBOSE) for (const line of statusLines) console.error(`feed: ${line}`);
    await feed?.stop();
    await node?.stop();
  });

  it("bootstraps from the node and converges on the driver's price", async (t) => {
    // Half the payments are in the mempool before the service starts (bootstrap), half come live.
    phase1 = await economy.roundUsdPayments(150, PRICE_1);
    const config = resolveNodeConfig(
      { network: 'regtest', datadir: node.datadir, rpcPort: String(node.rpcPort) },
      { ...defaultEnvironment(), env: {} },
    );
    assert.equal(config.rpc.auth.kind, 'cookie');
    feed = await createNodeFeed(config, { window, onStatus: (line) => statusLines.push(line) });
    assert.deepEqual(feed.endpoints, node.zmq, 'ZMQ endpoints discovered from the node');
    const started = Date.now();
    await feed.start();
    assert.ok(feed.trackedTxids().size >= 150, 'the bootstrap read the mempool');
    phase1.push(...(await economy.roundUsdPayments(150, PRICE_1)));
    await economy.noisePayments(60);
    await economy.roundBtcPayments(30);
    const ms = await waitFor("a price within 1 % of the driver's", () =>
      within(feed.current()?.price, PRICE_1),
    );
    t.diagnostic(
      `first estimate within 1 % after ${Date.now() - started} ms (${ms} ms after the live payments); price ${feed.current()?.price}`,
    );
    assert.equal(feed.health().connected, true);
    await assertInStep('after bootstrap and live payments');
  });

  it('drops every filtered class and every replaced transaction', async () => {
    const decoys = {
      chained: await economy.chainedPayments(phase1.slice(0, 20), PRICE_1),
      manyInputs: await economy.manyInputPayments(15, PRICE_1),
      threeOutputs: await economy.threeOutputPayments(15, PRICE_1),
      opReturn: await economy.opReturnPayments(),
      bigWitness: await economy.bigWitnessPayments(PRICE_1),
    };
    const roundBtc = await economy.roundBtcPayments(20);
    const rbf = await economy.rbfPayments(20, PRICE_1);
    const inWindow = await assertInStep('after decoys and RBF');

    for (const txid of rbf.replaced)
      assert.ok(!inWindow.has(txid) && !feed.windowTxids().has(txid), `replaced ${txid} left the window`);
    for (const txid of rbf.replacements)
      assert.ok(feed.windowTxids().has(txid), `replacement ${txid} is in the window`);

    const estimate = window.estimate();
    assert.ok(estimate.ok, 'an estimate');
    assert.ok(within(estimate.price, PRICE_1), `price ${estimate.price} within 1 % of ${PRICE_1}`);
    const evidenceTxids = new Set(estimate.evidence.map((e) => e.txid));
    for (const [kind, txids] of Object.entries(decoys)) {
      assert.ok(txids.length >= 5, `${kind}: the driver made some`);
      for (const txid of txids) {
        assert.ok(feed.windowTxids().has(txid), `${kind} ${txid} is tracked in the window`);
        assert.ok(
          !evidenceTxids.has(txid),
          `${kind} ${txid} pays round dollars at the price but must not count`,
        );
      }
    }
    for (const e of estimate.evidence) {
      const i = roundBtc.txids.indexOf(e.txid);
      assert.ok(i === -1 || e.vout !== 0, 'a round-bitcoin payment output is never evidence');
    }
    assert.ok(roundBtc.sats.every(isRoundBitcoinAmount));
    // Not vacuous: the honest payments are the evidence.
    const honest = phase1.filter((txid) => evidenceTxids.has(txid)).length;
    assert.ok(honest >= phase1.length * 0.8, `${honest} of ${phase1.length} honest payments are evidence`);
  });

  it('keeps mined transactions in the window', async () => {
    const before = feed.windowTxids();
    const minedBefore = feed.health().counters.transactions_mined ?? 0;
    const priced: { height: number; price: number | null }[] = [];
    const unsubscribe = feed.onBlock((block) => priced.push(block));
    const [hash] = await node.mine(1);
    const after = await assertInStep('after a block');
    assert.deepEqual(await node.call<string[]>('getrawmempool'), []);
    for (const txid of before) assert.ok(after.has(txid), `${txid} stays after being mined`);
    await waitFor(
      'transactions counted as mined',
      () => (feed.health().counters.transactions_mined ?? 0) >= minedBefore + before.size,
    );
    await waitFor('the new block priced', () => priced.length > 0);
    unsubscribe();
    const header: { height: number } = await node.call('getblockheader', hash);
    assert.equal(priced[0].height, header.height);
    assert.ok(within(priced[0].price, PRICE_1), `the mined block alone prices ${priced[0].price}`);
  });

  it("follows the driver's price when it moves; the block window seeds it only when confident", async (t) => {
    // One mined block so far: its price is right and shown, but one regtest block is thin evidence,
    // and only a confident block-window price may seed (a seed holds the search within ±30 %).
    await waitFor(
      'the block window price',
      () => within(feed.current()?.blockWindowPrice, PRICE_1, 0.02),
      20_000,
    );
    const oneBlock = feed.blockWindow?.estimate;
    assert.ok(oneBlock?.ok, 'the block window has an estimate');
    const seedBefore = feed.health().seed;
    t.diagnostic(
      `one-block window: $${oneBlock.price.toFixed(2)} at confidence ${oneBlock.confidence.toFixed(3)}; seed ${JSON.stringify(seedBefore)}`,
    );
    if (oneBlock.confidence >= MIN_SEED_CONFIDENCE) {
      assert.equal(seedBefore.source, 'block-window');
      assert.equal(seedBefore.price, oneBlock.price);
    } else {
      assert.equal(seedBefore.source, null, 'an unconfident block-window price does not seed');
      assert.equal(seedBefore.price, null);
    }

    await economy.roundUsdPayments(600, PRICE_2);
    const ms = await waitFor(
      'a price within 1 % of the new price',
      () => within(feed.current()?.price, PRICE_2),
      20_000,
    );
    t.diagnostic(
      `moved to ${feed.current()?.price} (target ${PRICE_2}) in ${ms} ms; block window price ${feed.current()?.blockWindowPrice}`,
    );

    // The new payments mined: two blocks of payments give a confident block-window price, which seeds.
    const [mined] = await node.mine(1);
    await waitFor(
      'a confident block-window price that seeds the live estimate',
      () => feed.health().seed.source === 'block-window' && feed.blockWindow?.estimate?.ok === true,
      20_000,
    );
    const twoBlocks = feed.blockWindow?.estimate;
    assert.ok(twoBlocks?.ok);
    assert.ok(twoBlocks.confidence >= MIN_SEED_CONFIDENCE);
    const seed = feed.health().seed;
    assert.equal(seed.price, twoBlocks.price);
    assert.ok(within(seed.price, PRICE_2, 0.02), `seed ${seed.price} near ${PRICE_2}`);
    // A new seed is checked against the live window at once by a cold search: it agrees here.
    await waitFor('the cold check of the new seed', () => feed.health().seed.lastColdCheck !== null);
    assert.equal(feed.health().counters.cold_check_reseeds, 0);
    await waitFor(
      'the seeded live price, with the block-window price shown',
      () => feed.current()?.blockWindowPrice === twoBlocks.price && within(feed.current()?.price, PRICE_2),
    );
    t.diagnostic(
      `after block ${mined.slice(0, 12)}…: block window $${twoBlocks.price.toFixed(2)} at confidence ${twoBlocks.confidence.toFixed(3)} seeds; live ${feed.current()?.price}; cold check ${JSON.stringify(feed.health().seed.lastColdCheck)}`,
    );
  });

  it('reconnects within 5 s after kill -9 and a restart, losing and doubling nothing', async (t) => {
    let sending = true;
    let sentWhileUp = 0;
    let refusedWhileDown = 0;
    let lastRefusal: unknown = null;
    const sender = (async () => {
      while (sending) {
        try {
          sentWhileUp += (await economy.roundUsdPayments(10, PRICE_2)).length;
        } catch (error) {
          // The node is down: the driver keeps trying, like a wallet would.
          refusedWhileDown += 1;
          lastRefusal = error;
        }
        await sleep(50); // the driver's pace, not a wait
      }
    })();
    /** Until the driver has sent `n` payments in all. */
    const sent = (what: string, n: number) =>
      waitUntil(() => sentWhileUp, {
        what,
        until: (count) => count >= n,
        timeoutMs: 15_000,
        detail: () => `payments refused ${refusedWhileDown} times; the last: ${String(lastRefusal)}`,
      });
    try {
      await sent('the driver to send two rounds of payments', 20);
      // A running node flushes its chain state now and then and saves the mempool on request: do both
      // mid-stream, so the restarted node has its blocks and part of its mempool back.
      await node.call('gettxoutsetinfo');
      await node.call('savemempool');
      // Payments after the save: the restarted node has lost these (the feed must lose them too).
      await sent('a round of payments after the mempool was saved', sentWhileUp + 10);
      await node.kill9();
      await waitFor('the feed to notice the node is gone', () => !feed.health().connected, 10_000);
      const refused = refusedWhileDown;
      await waitFor('the driver to try while the node is down', () => refusedWhileDown > refused, 10_000);
      const restarted = Date.now();
      await node.launch();
      const back = Date.now();
      const resyncsBefore = feed.health().counters.resyncs ?? 0;
      await waitFor(
        'the feed to reconnect and resync',
        () => feed.health().connected && (feed.health().counters.resyncs ?? 0) > resyncsBefore,
        10_000,
      );
      const reconnectMs = Date.now() - back;
      t.diagnostic(
        `reconnected and resynchronised ${reconnectMs} ms after the node answered RPC again (${Date.now() - restarted} ms after the restart began)`,
      );
      assert.ok(reconnectMs <= 5_000, `reconnected in ${reconnectMs} ms`);
      await sent('two rounds of payments after the restart', sentWhileUp + 20);
    } finally {
      sending = false; // also when a wait fails: a driver left running keeps the test process alive
      await sender;
    }
    assert.ok(sentWhileUp > 0);
    assert.ok((feed.health().counters.zmq_reconnects ?? 0) >= 1);
    const expected = await assertInStep('after kill -9 and restart');

    // Nothing doubled: a fresh window over the node's own transactions gives the same histogram.
    const reference = new PriceWindow();
    const mempool = await node.call<string[]>('getrawmempool');
    const raws = await node.rpc.batch<string>(
      mempool.map((txid) => ({ method: 'getrawtransaction', params: [txid] })),
    );
    for (const r of raws) if (r.ok) reference.add(parseTransaction(Buffer.from(r.value, 'hex')), 0);
    let hash: string | undefined = await node.call<string>('getbestblockhash');
    while (hash && reference.size < expected.size) {
      const block = readBlock(Buffer.from(await node.call<string>('getblock', hash, 0), 'hex'));
      addBlock(reference, block);
      hash = block.header.prevHash;
    }
    assert.equal(reference.size, expected.size);
    assert.equal(window.size, reference.size);
    assert.equal(window.candidateOutputs, reference.candidateOutputs);
    assert.deepEqual(Array.from(window.counts), Array.from(reference.counts));
  });

  it('survives a reorg (invalidateblock)', async () => {
    await node.mine(1);
    await assertInStep('before the reorg');
    const tip = await node.call<string>('getbestblockhash');
    const reorgsBefore = feed.health().counters.reorgs ?? 0;
    await node.call('invalidateblock', tip);
    await waitFor('the reorg to be noticed', () => (feed.health().counters.reorgs ?? 0) > reorgsBefore);
    const afterInvalidate = await assertInStep('after invalidateblock');
    const tipBlock: { tx: string[] } = await node.call('getblock', tip, 1);
    assert.ok(!afterInvalidate.has(tipBlock.tx[0]), 'the invalidated coinbase left the window');
    await node.mine(2);
    await assertInStep('after the competing chain');
  });

  it('prices blocks and days over RPC exactly as from the raw blocks', async () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'chainprice-blocks-'));
    try {
      const tip = await node.call<number>('getblockcount');
      const last = 6;
      const files: string[] = [];
      for (let h = tip - last + 1; h <= tip; h++) {
        const file = path.join(dir, `block-${h}.raw`);
        writeFileSync(
          file,
          Buffer.from(
            await node.call<string>('getblock', await node.call<string>('getblockhash', h), 0),
            'hex',
          ),
        );
        files.push(file);
      }
      const fromFiles = (list: string[]) => {
        const w = new PriceWindow();
        for (const f of list) addBlock(w, readBlock(readBlockFile(f)));
        return w.estimate();
      };
      const nodeFlags = [...node.cliArgs, '--json'];
      const cli = (args: string[]) => {
        const run = spawnSync(process.execPath, [CLI, ...args, ...nodeFlags], { encoding: 'utf8' });
        assert.equal(run.status, 0, `chainprice ${args.join(' ')} failed: ${run.stderr}`);
        return JSON.parse(run.stdout);
      };
      /** `chainprice estimate FILES --json`: the same blocks as raw files, priced offline. */
      const viaEstimateCommand = (list: string[]) => {
        const run = spawnSync(process.execPath, [CLI, 'estimate', ...list, '--json'], { encoding: 'utf8' });
        assert.ok(run.status === 0 || run.status === 1, `chainprice estimate failed: ${run.stderr}`);
        const out = JSON.parse(run.stdout) as {
          estimate: { ok: boolean; price?: number; candidates: number };
        };
        return {
          price: out.estimate.ok ? (out.estimate.price ?? null) : null,
          candidates: out.estimate.candidates,
        };
      };

      const range = cli(['blocks', '--last', String(last)]);
      const expected = fromFiles(files);
      assert.ok(expected.ok, "the last blocks hold the driver's payments");
      assert.equal(range.blocks, last);
      assert.equal(range.price, expected.price);
      assert.equal(range.candidates, expected.candidates);
      assert.deepEqual(viaEstimateCommand(files), { price: range.price, candidates: range.candidates });

      // One block: the one holding the most transactions.
      let busiest = files[0];
      let most = 0;
      for (const f of files) {
        const n = readBlock(readBlockFile(f)).txCount;
        if (n > most) [busiest, most] = [f, n];
      }
      const height = Number(/block-(\d+)\.raw$/.exec(busiest)?.[1]);
      const single = cli(['block', String(height)]);
      assert.equal(single.height, height);
      assert.equal(single.price, viaEstimateCommand([busiest]).price);
      assert.ok(single.price !== null, 'the busiest block alone has a price');

      // A UTC day: every block whose header time falls in today's UTC date.
      const today = new Date().toISOString().slice(0, 10);
      const dayStart = Date.parse(`${today}T00:00:00Z`) / 1000;
      const dayFiles: string[] = [];
      for (let h = 0; h <= tip; h++) {
        const hash = await node.call<string>('getblockhash', h);
        const header: { time: number } = await node.call('getblockheader', hash);
        if (header.time < dayStart || header.time >= dayStart + 86_400) continue;
        const file = path.join(dir, `day-${h}.raw`);
        writeFileSync(file, Buffer.from(await node.call<string>('getblock', hash, 0), 'hex'));
        dayFiles.push(file);
      }
      const day = cli(['day', today]);
      assert.equal(day.blocks, dayFiles.length);
      assert.equal(day.price, viaEstimateCommand(dayFiles).price);
      assert.ok(day.price !== null, 'the day has a price');
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
