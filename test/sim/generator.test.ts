// The demo generator: its transactions and blocks are real wire format (our parser and bitcoinjs-lib
// both read them and agree on txids), the mix holds every promised kind, round-USD payments sit at
// usd / price, the stream is deterministic for a seed however time is stepped, and blocks mine.

import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { Transaction as ReferenceTransaction } from 'bitcoinjs-lib';
import { readBlock } from '../../src/bitcoin/block.ts';
import { merkleRoot } from '../../src/bitcoin/merkle.ts';
import { isOpReturn, scriptType } from '../../src/bitcoin/script.ts';
import { parseTransaction } from '../../src/bitcoin/transaction.ts';
import { type BlockEvent, DemoGenerator, type SimEvent, type TxEvent } from '../../src/sim/generator.ts';
import { TX_KINDS } from '../../src/sim/mix.ts';

const START = 1_750_000_000;
/** Two simulated hours at the default rate: about 29,000 transactions and a dozen blocks. */
const SPAN = 2 * 3600;

const generator = new DemoGenerator({ startTime: START, seed: 7 });
const events = generator.advanceTo(START + SPAN);
const txs = events.filter((e): e is TxEvent => e.type === 'tx');
const blocks = events.filter((e): e is BlockEvent => e.type === 'block');

describe('demo generator', () => {
  it('produces transactions that our parser and bitcoinjs-lib both read, with the same txid', () => {
    assert.ok(txs.length > 10_000, `only ${txs.length} transactions in two hours`);
    for (const e of txs) {
      const ours = parseTransaction(e.bytes);
      assert.equal(ours.txid, e.txid);
      assert.equal(ours.size, e.bytes.length);
      const reference = ReferenceTransaction.fromBuffer(e.bytes);
      assert.equal(reference.getId(), e.txid);
      assert.equal(reference.weight(), ours.weight);
      assert.equal(reference.outs.length, ours.outputs.length);
      for (let i = 0; i < ours.outputs.length; i++) {
        assert.equal(reference.outs[i].value, BigInt(ours.outputs[i].value));
      }
    }
  });

  it('covers every kind, legacy, segwit v0 and taproot, RBF replacements and evictions-free normal load', () => {
    const kinds = new Set(txs.map((e) => e.kind));
    for (const kind of TX_KINDS) assert.ok(kinds.has(kind), `no ${kind} transaction`);
    const types = new Set<string>();
    let legacyOnly = 0;
    let segwit = 0;
    for (const e of txs.slice(0, 3000)) {
      const tx = parseTransaction(e.bytes);
      if (tx.segwit) segwit++;
      else legacyOnly++;
      for (const o of tx.outputs) types.add(scriptType(o.script));
    }
    for (const t of ['p2pkh', 'p2sh', 'p2wpkh', 'p2wsh', 'p2tr', 'op_return'])
      assert.ok(types.has(t), `no ${t} output`);
    assert.ok(legacyOnly > 0 && segwit > 0);
    const replacements = txs.filter((e) => e.replaces !== null);
    assert.ok(replacements.length > 20, `only ${replacements.length} replacements`);
    const seen = new Set<string>();
    for (const e of txs) {
      if (e.replaces !== null)
        assert.ok(seen.has(e.replaces), 'a replacement names a transaction seen before');
      seen.add(e.txid);
    }
    assert.equal(events.filter((e) => e.type === 'remove').length, 0, 'no evictions at the default rate');
  });

  it('builds each kind with its shape', () => {
    for (const e of txs.slice(0, 5000)) {
      const tx = parseTransaction(e.bytes);
      switch (e.kind) {
        case 'round-usd':
        case 'payment':
        case 'round-btc':
        case 'chained':
          assert.equal(tx.outputs.length, 2);
          assert.ok(tx.inputs.length <= 3);
          break;
        case 'consolidation':
          assert.ok(tx.inputs.length >= 10 && tx.outputs.length === 1);
          break;
        case 'batch':
          assert.ok(tx.outputs.length >= 11);
          break;
        case 'op-return':
          assert.ok(tx.outputs.some((o) => isOpReturn(o.script)));
          break;
        case 'inscription':
          assert.ok(tx.inputs[0].witnessBytes >= 100);
          assert.equal(tx.outputs.length, 1);
          break;
        case 'multi-output':
          assert.ok(tx.outputs.length >= 3 && tx.outputs.length <= 5);
          break;
        case 'sweep':
          assert.equal(tx.outputs.length, 1);
          break;
      }
    }
  });

  it('pays round USD amounts at the quoted price, close to the market price', () => {
    const payments = txs.filter((e) => e.kind === 'round-usd');
    assert.ok(payments.length > 2000);
    const walk = new DemoGenerator({ startTime: START, seed: 7 });
    for (const e of payments) {
      const truth = e.truth!;
      const value = parseTransaction(e.bytes).outputs[truth.vout].value;
      assert.equal(value, Math.round((truth.usd / truth.quotedPrice) * 1e8));
      // Quote noise is 0.2 % (one sd): 1.5 % is more than seven sd away.
      assert.ok(Math.abs(truth.quotedPrice / truth.marketPrice - 1) < 0.015);
      // A fee bump keeps the original payment, so its truth is from the original's time.
      if (e.replaces === null) {
        assert.equal(truth.marketPrice, walk.priceAt(e.time), 'the market price is a function of time alone');
      }
    }
  });

  it('spends outputs of earlier demo transactions in chained spends', () => {
    const known = new Set(txs.map((e) => e.txid));
    let chained = 0;
    for (const e of txs.filter((t) => t.kind === 'chained')) {
      const tx = parseTransaction(e.bytes);
      const parent = Buffer.from(tx.inputs[0].prevTxid).reverse().toString('hex');
      if (known.has(parent)) chained++;
    }
    assert.ok(chained > 100, `only ${chained} chained spends reference demo transactions`);
  });

  it('mines blocks about every ten minutes that parse, link and commit to their transactions', () => {
    assert.ok(blocks.length >= 4 && blocks.length <= 30, `${blocks.length} blocks in two hours`);
    let previous: string | null = null;
    const mined = new Set<string>();
    for (const b of blocks) {
      const block = readBlock(b.bytes);
      assert.equal(block.header.hash, b.hash);
      assert.ok(block.header.meetsTarget);
      assert.equal(block.height, b.height);
      assert.equal(block.header.time, Math.floor(b.time));
      if (previous !== null) assert.equal(block.header.prevHash, previous);
      previous = b.hash;
      const ids = [...block.transactions()].map((tx) => tx.txid);
      assert.deepEqual(ids, b.txids);
      assert.equal(merkleRoot(ids), block.header.merkleRoot);
      for (const id of ids.slice(1)) {
        assert.ok(!mined.has(id), 'a transaction is mined once');
        mined.add(id);
      }
    }
    // Every mined transaction was announced before its block.
    const announcedAt = new Map(txs.map((e) => [e.txid, e.time]));
    for (const b of blocks) for (const id of b.txids.slice(1)) assert.ok(announcedAt.get(id)! <= b.time);
    assert.ok(mined.size > txs.length * 0.5, 'most transactions get mined');
  });

  it('is deterministic for a seed, however the time is stepped', () => {
    const a = new DemoGenerator({ startTime: START, seed: 99 });
    const b = new DemoGenerator({ startTime: START, seed: 99 });
    const c = new DemoGenerator({ startTime: START, seed: 100 });
    const one = a.advanceTo(START + 900);
    const many: SimEvent[] = [];
    for (let t = START; t < START + 900; t += 7.3) many.push(...b.advanceTo(t));
    many.push(...b.advanceTo(START + 900));
    const ids = (list: SimEvent[]) =>
      list.map((e) => (e.type === 'remove' ? `-${e.txid}` : e.type === 'tx' ? e.txid : e.hash));
    assert.deepEqual(ids(many), ids(one));
    assert.equal(a.price(), b.price());
    assert.notDeepEqual(ids(c.advanceTo(START + 900)).slice(0, 10), ids(one).slice(0, 10));
  });

  it('follows the configured rate, and bounds its mempool in burst', () => {
    const fast = new DemoGenerator({
      startTime: START,
      txPerSecond: 200,
      seed: 3,
      blockIntervalSeconds: 1e9,
      mempoolMaxTxs: 3_000,
    });
    const burst = fast.advanceTo(START + 40);
    const count = burst.filter((e) => e.type === 'tx' && e.replaces === null).length;
    assert.ok(Math.abs(count / 40 / 200 - 1) < 0.08, `${count} transactions in 40 s at 200/s`);
    assert.equal(fast.mempoolSize, 3_000);
    assert.ok(
      burst.some((e) => e.type === 'remove'),
      'a full mempool evicts',
    );
  });

  it('rejects bad options with a clear message', () => {
    assert.throws(() => new DemoGenerator({ startTime: START, txPerSecond: 0 }), /transactions per second/);
    assert.throws(() => new DemoGenerator({ startTime: START, startPrice: -1 }), /start price/);
    assert.throws(() => new DemoGenerator({ startTime: START, seed: 1.5 }), /seed/);
    assert.throws(() => new DemoGenerator({ startTime: Number.NaN }), /start time/);
  });
});
