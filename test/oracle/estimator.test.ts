// The estimator on synthetic traffic: the price comes back at every scale, cold and seeded; the
// same outputs give the same result in any order; bad input gives a reason, never an exception.

import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { CandidateList } from '../../src/oracle/candidate-source.ts';
import { DEFAULT_COMB_MODEL } from '../../src/oracle/comb-model.ts';
import { DEFAULT_MAX_PRICE, DEFAULT_MIN_PRICE, estimatePrice } from '../../src/oracle/estimator.ts';
import { PriceWindow } from '../../src/oracle/window.ts';
import { random, syntheticTransactions } from './synthetic.ts';

function windowAt(price: number, count: number, seed = 7): PriceWindow {
  const window = new PriceWindow();
  for (const { tx, time } of syntheticTransactions(price, count, { seed })) window.add(tx, time);
  return window;
}

describe('synthetic recovery: the method is scale-free on a log axis', () => {
  // Round prices are the hard case: every 1-2-5 dollar amount then sits on a 1-2-5 bitcoin amount.
  const prices = [100, 137.5, 1_000, 3_210, 10_000, 48_765, 100_000, 271_828, 1_000_000];
  for (const price of prices) {
    test(`$${price.toLocaleString('en-US')}: cold and seeded within 0.5 %`, () => {
      const window = windowAt(price, 12_000, price);
      const cold = window.estimate();
      assert.ok(cold.ok, cold.ok ? '' : cold.reason);
      assert.ok(Math.abs(cold.price / price - 1) < 0.005, `cold ${cold.price} vs ${price}`);
      assert.ok(cold.confidence > 0.5, `confidence ${cold.confidence}`);
      const seeded = window.estimate({ seed: price * 1.2 });
      assert.ok(seeded.ok, seeded.ok ? '' : seeded.reason);
      assert.ok(Math.abs(seeded.price / price - 1) < 0.005, `seeded ${seeded.price} vs ${price}`);
      assert.equal(seeded.mode, 'seeded');
    });
  }
});

describe('estimate results', () => {
  test('evidence is sorted, lies near the price and is what the price rests on', () => {
    const e = windowAt(25_000, 8_000).estimate();
    assert.ok(e.ok);
    assert.equal(e.outputsUsed, e.evidence.length);
    assert.ok(e.evidence.length >= 100);
    for (let i = 1; i < e.evidence.length; i++) {
      const [a, b] = [e.evidence[i - 1], e.evidence[i]];
      assert.ok(
        a.time < b.time || (a.time === b.time && (a.txid < b.txid || (a.txid === b.txid && a.vout < b.vout))),
      );
    }
    for (const p of e.evidence) {
      assert.ok(Math.abs(Math.log(p.price / e.price)) <= 0.031);
      assert.ok(DEFAULT_COMB_MODEL.amounts.some((a) => a.usd === p.usd));
    }
    assert.ok(Math.abs(e.coarsePrice / e.price - 1) < 0.02);
  });

  test('the same outputs in a different order give a bit-identical estimate', () => {
    const list = syntheticTransactions(8_000, 4_000, { seed: 3 });
    const forward = new PriceWindow();
    for (const { tx, time } of list) forward.add(tx, time);
    const rand = random(99);
    const shuffled = list.slice();
    for (let i = shuffled.length - 1; i > 0; i--) {
      const j = Math.floor(rand() * (i + 1));
      [shuffled[i], shuffled[j]] = [shuffled[j], shuffled[i]];
    }
    const backward = new PriceWindow();
    for (const { tx, time } of shuffled) backward.add(tx, time);
    assert.deepEqual(backward.estimate(), forward.estimate());
    assert.deepEqual(backward.estimate({ seed: 7_000 }), forward.estimate({ seed: 7_000 }));
    assert.deepEqual(backward.histogram(), forward.histogram());
  });

  test('a seeded search stays within ±30 % of the seed', () => {
    const window = windowAt(10_000, 6_000);
    const e = window.estimate({ seed: 5_000 }); // the truth is twice the seed: out of reach
    if (e.ok) assert.ok(e.price > 5_000 / 1.35 && e.price < 5_000 * 1.35, `price ${e.price}`);
  });
});

describe('bad input gives "no estimate" with a reason, never an exception', () => {
  const model = DEFAULT_COMB_MODEL;
  test('an empty window', () => {
    const e = new PriceWindow().estimate();
    assert.equal(e.ok, false);
    assert.match(e.ok ? '' : e.reason, /too few candidate outputs: 0/);
  });
  test('one output', () => {
    const list = new CandidateList();
    list.add(123_456, 0, 'a'.repeat(64), 0);
    const e = estimatePrice(list, model);
    assert.equal(e.ok, false);
    assert.equal(e.candidates, 1);
  });
  test('NaN, negative, zero, fractional and huge output values are not candidates', () => {
    const window = new PriceWindow();
    const values = [Number.NaN, -5_000, 0, 1234.5, Number.POSITIVE_INFINITY, 1e20];
    const rand = random(1);
    for (const [i, v] of values.entries()) {
      const { tx } = syntheticTransactions(1_000, 1, { seed: i })[0];
      tx.outputs[0].value = v;
      tx.outputs[1].value = v;
      tx.txid = i.toString(16).padStart(64, 'f');
      assert.equal(window.add(tx, rand()), true);
    }
    assert.equal(window.candidateOutputs, 0);
    assert.equal(window.estimate().ok, false);
  });
  test('seeds that are not usable prices', () => {
    const window = windowAt(10_000, 2_000);
    for (const seed of [
      Number.NaN,
      -1,
      0,
      Number.POSITIVE_INFINITY,
      DEFAULT_MIN_PRICE / 2,
      DEFAULT_MAX_PRICE * 2,
    ]) {
      const e = window.estimate({ seed });
      assert.equal(e.ok, false, `seed ${seed}`);
      assert.match(e.ok ? '' : e.reason, /seed price/);
    }
    const e = window.estimate({ seed: '12' as unknown as number });
    assert.equal(e.ok, false);
  });
  test('a price range that is not one', () => {
    const window = windowAt(10_000, 1_000);
    for (const [minPrice, maxPrice] of [
      [100, 10],
      [0, 100],
      [Number.NaN, 100],
      [100.2, 100.4],
    ]) {
      const e = window.estimate({ minPrice, maxPrice });
      assert.equal(e.ok, false, `${minPrice}–${maxPrice}`);
    }
  });
  test('pure noise gives no confident number', () => {
    const window = new PriceWindow();
    for (const { tx, time } of syntheticTransactions(10_000, 5_000, { payments: 0, roundBitcoin: 0 }))
      window.add(tx, time);
    const e = window.estimate();
    assert.ok(!e.ok || e.confidence < 0.2, `confidence ${e.ok ? e.confidence : ''}`);
  });
});
