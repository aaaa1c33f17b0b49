// Every real mainnet block in ../shared/data/real parses, and what we compute from it matches the
// manifest and the header: hash, proof of work, merkle root from our txids, counts, BIP34 height;
// and every transaction field agrees with bitcoinjs-lib, an independent parser.

import assert from 'node:assert/strict';
import { test } from 'node:test';
import { Transaction as BitcoinJsTransaction } from 'bitcoinjs-lib';
import { merkleRoot, readBlock } from '../../src/bitcoin/block.ts';
import { hashToHex } from '../../src/bitcoin/hash.ts';
import { readTransaction } from '../../src/bitcoin/transaction.ts';
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

      // With { digest }: the txid's bytes land there (internal order) and txid stays ''.
      const digest = new Uint8Array(32);
      let i = 0;
      for (const tx of block.transactions({ digest })) {
        assert.equal(tx.txid, '');
        assert.equal(hashToHex(digest), txids[i++]);
      }
      assert.equal(i, expected.txCount);

      // With { scripts: false }: the same transactions, each script a stand-in of its first byte.
      const full = [...block.transactions({ txid: false })];
      let k = 0;
      for (const tx of block.transactions({ txid: false, scripts: false })) {
        const same = full[k++];
        assert.equal(tx.size, same.size);
        assert.deepEqual(
          tx.inputs.map((input) => [input.scriptSig.length > 0, input.scriptSig[0], input.witnessBytes]),
          same.inputs.map((input) => [input.scriptSig.length > 0, input.scriptSig[0], input.witnessBytes]),
        );
        assert.deepEqual(
          tx.outputs.map((o) => [o.value, o.script.length > 0, o.script[0]]),
          same.outputs.map((o) => [o.value, o.script.length > 0, o.script[0]]),
        );
        assert.deepEqual(
          tx.inputs.map((input) => input.prevTxid),
          same.inputs.map((input) => input.prevTxid),
        );
      }
      assert.equal(k, expected.txCount);
    });
  }
});

test('every real transaction agrees with bitcoinjs-lib (txid, sizes, inputs, witnesses, outputs)', {
  skip: blocks === null ? REAL_DATA_MISSING : false,
}, () => {
  let checked = 0;
  for (const expected of blocks ?? []) {
    const bytes = readRealBlock(expected);
    const block = readBlock(bytes);
    let at = block.firstTxOffset;
    for (let i = 0; i < block.txCount; i++) {
      const { tx, end } = readTransaction(bytes, at);
      const other = BitcoinJsTransaction.fromBuffer(bytes.subarray(at, end));
      const where = `block ${expected.height} tx ${i}`;
      assert.equal(tx.txid, other.getId(), where);
      assert.equal(tx.size, other.byteLength(), where);
      assert.equal(tx.weight, other.weight(), where);
      assert.equal(tx.vsize, other.virtualSize(), where);
      assert.equal(tx.version, other.version >>> 0, where);
      assert.equal(tx.locktime, other.locktime, where);
      assert.equal(tx.segwit, other.hasWitnesses(), where);
      assert.equal(tx.isCoinbase, other.isCoinbase(), where);
      assert.equal(tx.inputs.length, other.ins.length, where);
      tx.inputs.forEach((input, k) => {
        const theirs = other.ins[k];
        assert.deepEqual(input.prevTxid, new Uint8Array(theirs.hash), where);
        assert.equal(input.prevVout, theirs.index, where);
        assert.deepEqual(input.scriptSig, new Uint8Array(theirs.script), where);
        assert.equal(input.sequence, theirs.sequence, where);
        const witness = theirs.witness;
        assert.equal(input.witnessItems, witness.length, where);
        const largest = witness.reduce((m, item) => Math.max(m, item.length), 0);
        assert.equal(input.witnessLargestItem, largest, where);
        const serialized =
          witness.length === 0
            ? 0
            : varintSize(witness.length) +
              witness.reduce((s, item) => s + varintSize(item.length) + item.length, 0);
        assert.equal(input.witnessBytes, serialized, where);
      });
      assert.equal(tx.outputs.length, other.outs.length, where);
      tx.outputs.forEach((output, k) => {
        assert.equal(BigInt(output.value), other.outs[k].value, where);
        assert.deepEqual(output.script, new Uint8Array(other.outs[k].script), where);
      });
      at = end;
      checked++;
    }
  }
  assert.ok(checked > 10_000, `checked ${checked} transactions`);
});

function varintSize(n: number): number {
  return n < 0xfd ? 1 : n <= 0xffff ? 3 : n <= 0xffffffff ? 5 : 9;
}
