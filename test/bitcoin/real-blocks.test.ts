// Every real mainnet block in ../shared/data/real parses, and what we compute from it matches the
// manifest and the header: hash, proof of work, merkle root from our txids, counts, BIP34 height.

import assert from 'node:assert/strict';
import { test } from 'node:test';
import { merkleRoot, readBlock } from '../../src/bitcoin/block.ts';
import { REAL_DATA_MISSING, readRealBlock, realBlocks } from './real-data.ts';

const blocks = realBlocks();

test('real mainnet blocks', { skip: blocks === null ? REAL_DATA_MISSING : false }, async (t) => {
  assert.ok(blocks !== null && blocks.length > 0, 'the manifest lists blocks');
  for (const expected of blocks) {
    await t.test(`block ${expected.height}`, () => {
      const bytes = readRealBlock(expected);
      assert.equal(bytes.length, expected.bytes);
      const block = readBlock(bytes);
      assert.equal(block.header.hash, expected.hash);
      assert.equal(block.header.meetsTarget, true, 'hash meets its target');
      assert.equal(block.height, expected.height, 'BIP34 height');
      assert.equal(block.txCount, expected.txCount);
      assert.equal(block.size, expected.bytes);

      const txids: string[] = [];
      let outputs = 0;
      let coinbases = 0;
      let weight = 0;
      for (const tx of block.transactions()) {
        txids.push(tx.txid);
        outputs += tx.outputs.length;
        if (tx.isCoinbase) coinbases++;
        weight += tx.weight;
        assert.ok(tx.vsize * 4 >= tx.weight && tx.vsize * 4 < tx.weight + 4);
      }
      assert.equal(txids.length, expected.txCount, 'transactions iterated');
      assert.equal(outputs, expected.outputCount, 'outputs');
      assert.equal(coinbases, 1, 'exactly one coinbase');
      assert.equal(merkleRoot(txids), block.header.merkleRoot, 'merkle root rebuilt from our txids');
      // BIP141: a block's weight is at most 4,000,000 (header and count bytes are tiny next to this).
      assert.ok(weight <= 4_000_000, `weight ${weight}`);

      // Without txids the same transactions come out, with txid ''.
      let n = 0;
      for (const tx of block.transactions({ txid: false })) {
        assert.equal(tx.txid, '');
        n++;
      }
      assert.equal(n, expected.txCount);
    });
  }
});
