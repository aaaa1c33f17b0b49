// The decade and alias guards of issue 10: the era's comb is picked by the window's own time; the
// payment-size term prefers the decade where payments sit at the era's typical size; confidence
// leads the ×2/×5/×10 aliases even when a seeded search never looked there; a pile of one wallet's
// change outputs is a bitcoin crowd, not a price; and one pile alone never makes a confident price.

import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { measureBitcoinCrowds } from '../../src/oracle/bitcoin-crowds.ts';
import { type CombModel, combModelFrom, DEFAULT_COMB_MODEL } from '../../src/oracle/comb-model.ts';
import { combAt, yearOf } from '../../src/oracle/era.ts';
import { scalePosition } from '../../src/oracle/log-scale.ts';
import { medianLog10Sats, paymentSizePenalty } from '../../src/oracle/payment-size.ts';
import { CumulativeCounts } from '../../src/oracle/tooth.ts';
import { PriceWindow } from '../../src/oracle/window.ts';
import { random, syntheticTransactions, transaction } from './synthetic.ts';

const at = (year: number) => Date.UTC(year, 6, 1) / 1000;

describe('eras', () => {
  const model: CombModel = combModelFrom({
    amounts: [{ usd: 10, weight: 0.01 }],
    eras: [
      { year: 2016, typicalPaymentLog10Usd: 1.5, amounts: [{ usd: 1, weight: 0.02 }] },
      { year: 2014, typicalPaymentLog10Usd: 1.4, amounts: [{ usd: 5, weight: 0.02 }] },
      { year: 2024, typicalPaymentLog10Usd: 2.1, amounts: [{ usd: 100, weight: 0.02 }] },
    ],
  });
  test('the nearest year, clamped at both ends; no time: the era-free comb', () => {
    assert.deepEqual(
      model.eras!.map((e) => e.year),
      [2014, 2016, 2024],
    );
    assert.equal(combAt(model, at(2014)).year, 2014);
    assert.equal(combAt(model, at(2015)).year, 2016);
    assert.equal(combAt(model, at(2016)).year, 2016);
    assert.equal(combAt(model, at(2021)).year, 2024);
    assert.equal(combAt(model, at(2031)).year, 2024);
    assert.equal(combAt(model, at(1990)).year, 2014);
    assert.equal(combAt(model, null).year, null);
    assert.equal(combAt(model, undefined).typicalPaymentLog10Usd, null);
    assert.equal(combAt(model, Number.NaN).amounts[0].usd, 10);
    assert.ok(Math.abs(yearOf(at(2024)) - 2024.5) < 0.01);
  });
  test('bad eras are refused with a reason', () => {
    assert.throws(
      () => combModelFrom({ amounts: [{ usd: 1, weight: 1 }], eras: {} }),
      /"eras" must be a list/,
    );
    assert.throws(
      () => combModelFrom({ amounts: [{ usd: 1, weight: 1 }], eras: [{ year: 2020.5 }] }),
      /eras\[0\]\.year/,
    );
    assert.throws(
      () => combModelFrom({ amounts: [{ usd: 1, weight: 1 }], eras: [{ year: 2020, amounts: [] }] }),
      /typicalPaymentLog10Usd/,
    );
  });
  test('the committed model has a comb per year, typical payments growing from the 2010s to the 2020s', () => {
    const eras = DEFAULT_COMB_MODEL.eras!;
    assert.ok(eras.length >= 10, `${eras.length} eras`);
    const y2015 = combAt(DEFAULT_COMB_MODEL, at(2015));
    const y2024 = combAt(DEFAULT_COMB_MODEL, at(2024));
    assert.ok(y2024.typicalPaymentLog10Usd! - y2015.typicalPaymentLog10Usd! > 0.3);
  });
});

describe('payment size', () => {
  test('the median of a histogram, and a penalty that grows with the distance in decades', () => {
    const counts = new Int32Array(2000);
    counts[400] = 3; // 10^5 sats
    counts[600] = 3; // 10^6 sats
    assert.ok(Math.abs(medianLog10Sats(counts, 6) - 5.0025) < 0.003);
    assert.ok(Number.isNaN(medianLog10Sats(counts, 0)));
    assert.equal(paymentSizePenalty(0), 0);
    assert.equal(paymentSizePenalty(0.5), paymentSizePenalty(-0.5));
    assert.ok(paymentSizePenalty(1) > paymentSizePenalty(0.3) && paymentSizePenalty(0.3) > 0);
    // A decade off costs about as much as a big block's comb can lead by on the alias alone.
    assert.ok(paymentSizePenalty(1) > 8 && paymentSizePenalty(1) < 15, `${paymentSizePenalty(1)}`);
  });
});

function windowOf(txs: { tx: import('../../src/bitcoin/transaction.ts').Transaction; time: number }[]) {
  const window = new PriceWindow();
  for (const { tx, time } of txs) window.add(tx, time);
  return window;
}

describe('confidence knows the aliases', () => {
  test('a search seeded a decade low reads a price there, but never confidently', () => {
    const price = 60_000;
    const window = windowOf(syntheticTransactions(price, 8_000, { seed: 11 }));
    const cold = window.estimate();
    assert.ok(cold.ok && Math.abs(cold.price / price - 1) < 0.02, 'cold finds the price');
    for (const wrongSeed of [price / 10, price / 5, price * 2, price * 10]) {
      const seeded = window.estimate({ seed: wrongSeed });
      if (!seeded.ok) continue;
      assert.ok(Math.abs(seeded.price / wrongSeed - 1) < 0.35, 'the search stayed near the seed');
      assert.ok(
        seeded.confidence < 0.5,
        `seed ${wrongSeed}: ${seeded.price.toFixed(0)} at confidence ${seeded.confidence.toFixed(2)}`,
      );
    }
    const right = window.estimate({ seed: price * 1.1 });
    assert.ok(right.ok && right.confidence >= cold.confidence - 1e-9);
  });
});

/** `count` payments from one wallet whose coins are all `coin` sats: round dollars, change just below. */
function oneWalletWindow(price: number, coin: number, count: number, seed: number): PriceWindow {
  const rand = random(seed);
  const amounts = [10, 20, 25, 50, 100];
  const txs = [];
  for (let i = 0; i < count; i++) {
    const usd = amounts[Math.floor(rand() * amounts.length)] * (1 + 0.003 * (rand() - 0.5));
    const pay = Math.round((usd / price) * 1e8);
    const fee = 200 + Math.floor(rand() * 2_000);
    const change = coin - pay - fee;
    const txid = (i + 1).toString(16).padStart(64, 'c');
    txs.push({
      tx: transaction(txid, rand() < 0.5 ? [pay, change] : [change, pay], rand),
      time: at(2024) + i,
    });
  }
  // A few round-bitcoin payments from the same coins.
  for (let i = 0; i < 10; i++) {
    const txid = (i + 1).toString(16).padStart(64, 'd');
    const pay = [1_000_000, 2_000_000, 5_000_000][i % 3];
    txs.push({ tx: transaction(txid, [pay, coin - pay - 500], rand), time: at(2024) + count + i });
  }
  return windowOf(txs);
}

describe('the one-wallet trap', () => {
  test('change just under a round coin is a crowd, like round amounts plus a fee above it', () => {
    const window = oneWalletWindow(73_300, 10_000_000, 500, 5);
    const crowds = measureBitcoinCrowds(new CumulativeCounts(window.counts));
    const tenth = scalePosition(10_000_000);
    const i = Array.from(crowds.positions).findIndex((p) => Math.abs(p - tenth) < 1e-9);
    assert.ok(i >= 0, 'a crowd at 0.1 BTC');
    assert.ok(crowds.sizes[i] > 300, `crowd of ${crowds.sizes[i]}`);
  });
  for (const [coin, label] of [
    [10_000_000, '0.1 BTC'],
    [100_000_000, '1 BTC'],
    [30_000_000, '0.3 BTC (no round-bitcoin crowd there)'],
  ] as const) {
    test(`500 payments from ${label} coins: the right price, or no confidence`, (t) => {
      const price = 73_300;
      const e = oneWalletWindow(price, coin, 500, 9).estimate();
      t.diagnostic(e.ok ? `$${e.price.toFixed(0)} at confidence ${e.confidence.toFixed(2)}` : e.reason);
      if (e.ok && Math.abs(e.price / price - 1) > 0.02)
        assert.ok(e.confidence < 0.5, `$${e.price.toFixed(0)} at confidence ${e.confidence.toFixed(2)}`);
    });
  }
  test('a pile with no payments around it is never a confident price', () => {
    const rand = random(3);
    const txs = [];
    for (let i = 0; i < 600; i++) {
      const spend = 5_000 + Math.floor(rand() * 100_000);
      const txid = (i + 1).toString(16).padStart(64, 'e');
      txs.push({ tx: transaction(txid, [30_000_000 - spend, spend * 37], rand), time: at(2024) + i });
    }
    const e = windowOf(txs).estimate();
    if (e.ok)
      assert.ok(e.confidence < 0.5, `$${e.price.toFixed(0)} at confidence ${e.confidence.toFixed(2)}`);
  });
});
