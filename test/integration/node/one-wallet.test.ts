// The one-wallet trap, against a real regtest node through the real live service path
// (createNodeFeed: bootstrap, ZMQ, the block window, the orchestrator). A new user's first try:
// one wallet whose coins all have the same size, a few hundred payments of round dollar amounts at
// one price from those coins — so every change output lands just under one round-bitcoin amount —
// plus a few round-bitcoin payments, half of it mined, half in the mempool. The live price must be
// right (within 2 % of the price paid) or say it is unsure (confidence < 0.5): never confidently
// wrong. Each case prints what the service showed.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { defaultEnvironment, resolveNodeConfig } from '../../../src/node/node-config.ts';
import { createNodeFeed, type NodeFeed } from '../../../src/node/node-feed.ts';
import { MIN_SEED_CONFIDENCE } from '../../../src/oracle/seed-price.ts';
import { waitFor as waitUntil } from '../../support/wait.ts';
import { Economy } from './economy.ts';
import { bitcoindOrSkipReason, RegtestNode } from './regtest-node.ts';

const found = bitcoindOrSkipReason();
const skip = 'skip' in found ? found.skip : false;

/** The price paid, as in the report of the trap: a round number of dollars. */
const PRICE = 73_300;
const PAYMENTS = 500;
const ROUND_BTC_PAYMENTS = 10;

async function waitFor(what: string, condition: () => boolean, ms = 20_000): Promise<void> {
  await waitUntil(condition, { what, timeoutMs: ms, everyMs: 50 });
}

for (const coinBtc of [0.1, 1]) {
  describe(`one wallet of equal ${coinBtc} BTC coins paying round dollars at $${PRICE}`, {
    skip,
    timeout: 180_000,
  }, () => {
    let node: RegtestNode;
    let feed: NodeFeed | undefined;
    const status: string[] = [];

    before(async () => {
      node = await RegtestNode.start((found as { bitcoind: string }).bitcoind);
      const economy = new Economy(node, 73);
      await economy.setup({
        fundingOutputs: PAYMENTS + ROUND_BTC_PAYMENTS,
        fundingSats: Math.round(coinBtc * 1e8),
        buryBlocks: 144,
        hoursBack: 36,
      });
      // Half mined (the block window sees it), half in the mempool.
      await economy.roundUsdPayments(PAYMENTS / 2, PRICE);
      await economy.roundBtcPayments(ROUND_BTC_PAYMENTS / 2);
      await node.mine(1);
      await economy.roundUsdPayments(PAYMENTS / 2, PRICE);
      await economy.roundBtcPayments(ROUND_BTC_PAYMENTS / 2);
    });

    after(async () => {
      if (process.env.CHAINPRICE_TEST_VERBOSE) for (const line of status) console.error(`feed: ${line}`);
      await feed?.stop();
      await node?.stop();
    });

    it('gives the right price or a confidence below 0.5', async (t) => {
      const config = resolveNodeConfig(
        { network: 'regtest', datadir: node.datadir, rpcPort: String(node.rpcPort) },
        { ...defaultEnvironment(), env: {} },
      );
      const started = createNodeFeed(config, { onStatus: (line) => status.push(line) });
      feed = await started;
      const live = feed;
      await live.start();
      const expected = PAYMENTS + ROUND_BTC_PAYMENTS;
      await waitFor(`the ${expected} payments in the live window`, () => live.windowTxids().size >= expected);
      // The block window has priced the mined half, and an estimate was made after both.
      await waitFor('the block-window price', () => live.blockWindow?.estimate !== null);
      const settledAt = Date.now() / 1000;
      await waitFor('an estimate of the whole window', () => (live.current()?.timestamp ?? 0) > settledAt);

      const state = live.current();
      assert.ok(state);
      const blocks = live.blockWindow?.estimate;
      const health = live.health();
      const off = state.price === null ? null : state.price / PRICE - 1;
      const line =
        `live price ${state.price === null ? `none (${state.reason})` : `$${state.price.toFixed(2)}`} ` +
        `at confidence ${state.confidence.toFixed(3)}` +
        (off === null ? '' : ` (${(off * 100).toFixed(1)} % from $${PRICE})`) +
        `; block window ${blocks?.ok ? `$${blocks.price.toFixed(2)} at ${blocks.confidence.toFixed(3)}` : `none (${blocks?.reason})`}` +
        `; seed ${health.seed.source ?? 'none'}${health.seed.price === null ? '' : ` $${health.seed.price.toFixed(2)}`}` +
        `; window ${state.stats.active_in_window} transactions`;
      t.diagnostic(line);
      console.log(`one wallet, ${coinBtc} BTC coins: ${line}`);

      const right = off !== null && Math.abs(off) <= 0.02;
      assert.ok(right || state.confidence < MIN_SEED_CONFIDENCE, `confidently wrong: ${line}`);
      // Nor may the block window be confidently wrong: it would seed the live estimate.
      if (blocks?.ok && blocks.confidence >= MIN_SEED_CONFIDENCE) {
        assert.ok(
          Math.abs(blocks.price / PRICE - 1) <= 0.02,
          `the block window is confidently wrong: ${line}`,
        );
      }
    });
  });
}
