// A pruned node: pricing a block it no longer stores fails with one sentence and a hint (CLI and
// HTTP reader), while recent blocks still price.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { after, before, describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { BlockPrices } from '../../../src/node/block-prices.ts';
import { BlockSource } from '../../../src/node/block-source.ts';
import { bitcoindOrSkipReason, RegtestNode } from './regtest-node.ts';

const found = bitcoindOrSkipReason();
const skip = 'skip' in found ? found.skip : false;
const CLI = fileURLToPath(new URL('../../../src/cli.ts', import.meta.url));
/** The node keeps the last 288 blocks, and a block file goes only when all its blocks may: mine plenty. */
const BLOCKS = 1200;

describe('a pruned node', { skip, timeout: 120_000 }, () => {
  let node: RegtestNode;
  before(async () => {
    // -fastprune: tiny block files on regtest, so a few hundred blocks span many prunable files.
    node = await RegtestNode.start((found as { bitcoind: string }).bitcoind, {
      args: ['-prune=1', '-fastprune'],
    });
    await node.call('createwallet', 'w');
    await node.mine(BLOCKS);
    const pruned = await node.call<number>('pruneblockchain', BLOCKS - 300);
    assert.ok(pruned > 10, `pruned up to ${pruned}`);
  });
  after(async () => {
    await node?.stop();
  });

  it('says the block is pruned, with a hint', async () => {
    const run = spawnSync(process.execPath, [CLI, 'block', '5', ...node.cliArgs], { encoding: 'utf8' });
    assert.equal(run.status, 1);
    assert.match(
      run.stderr,
      /^chainprice: the node no longer has block [0-9a-f]{64} \(.*prun.*\)\.\nhint: a pruned node keeps only recent blocks/,
    );
    assert.doesNotMatch(run.stderr, /at .*\.ts:\d+/, 'no stack trace');
  });

  it('gives the HTTP reader a 410 for it and still prices recent blocks', async () => {
    const prices = new BlockPrices(new BlockSource(node.rpc));
    await assert.rejects(
      prices.priceOf('5'),
      (error: Error & { statusCode?: number }) => error.statusCode === 410,
    );
    const recent = await prices.priceOf(String(BLOCKS));
    assert.equal(recent?.height, BLOCKS);
    assert.equal(recent?.price, null, 'a coinbase-only block has no price');
    assert.match(recent?.reason ?? '', /too few candidate outputs/);
  });
});
