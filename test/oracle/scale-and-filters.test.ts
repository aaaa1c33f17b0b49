// The first steps: the log scale, round bitcoin amounts, the filter profile, the histogram.

import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import {
  DEFAULT_FILTER_PROFILE,
  isCandidateValue,
  passesTransactionRules,
} from '../../src/oracle/filter-profile.ts';
import { LogHistogram } from '../../src/oracle/log-histogram.ts';
import {
  BINS_PER_DECADE,
  binOfSats,
  priceOfShift,
  SCALE_BINS,
  scalePosition,
  shiftOfPrice,
  usdPosition,
} from '../../src/oracle/log-scale.ts';
import { isRoundBitcoinAmount } from '../../src/oracle/round-bitcoin.ts';
import { random, transaction } from './synthetic.ts';

describe('log scale', () => {
  test('bins span 10^3 … 10^13 sats at 200 per decade', () => {
    assert.equal(SCALE_BINS, 2000);
    assert.equal(binOfSats(1_000), 0);
    assert.equal(binOfSats(10_000), BINS_PER_DECADE);
    assert.equal(binOfSats(1e13), SCALE_BINS - 1);
    assert.equal(binOfSats(999), -1);
    assert.equal(binOfSats(1e13 + 1), -1);
    for (const bad of [Number.NaN, -5, 0, Number.POSITIVE_INFINITY]) assert.equal(binOfSats(bad), -1);
  });
  test('a price change moves every dollar amount by the same number of bins', () => {
    const p1 = 20_000;
    const p2 = 20_000 * 1.1;
    for (const usd of [10, 100, 1000]) {
      const at = (p: number) => scalePosition((usd / p) * 1e8);
      assert.ok(Math.abs(at(p1) - at(p2) - (shiftOfPrice(p2) - shiftOfPrice(p1))) < 1e-9);
      assert.ok(Math.abs(at(p1) - (usdPosition(usd) - shiftOfPrice(p1))) < 1e-9);
    }
    assert.ok(Math.abs(priceOfShift(shiftOfPrice(12_345.6)) - 12_345.6) < 1e-6);
  });
});

describe('round bitcoin amounts', () => {
  test('one or two significant digits are round', () => {
    for (const v of [1_000, 1_200, 25_000, 50_000_000, 100_000_000, 150_000_000, 9_900_000])
      assert.equal(isRoundBitcoinAmount(v), true, String(v));
    for (const v of [1_234, 125_000, 1_000_001, 99_990_000, 123_456_789])
      assert.equal(isRoundBitcoinAmount(v), false, String(v));
    for (const v of [0, -100, 1.5, Number.NaN]) assert.equal(isRoundBitcoinAmount(v), false);
  });
});

describe('filter profile', () => {
  const rand = random(2);
  const base = () => transaction('ab'.repeat(32), [123_456, 7_654_321], rand);
  test('a two-output payment passes', () =>
    assert.equal(passesTransactionRules(base(), DEFAULT_FILTER_PROFILE), true));
  test('coinbase, too many inputs, other output counts, OP_RETURN and big witnesses do not', () => {
    const p = DEFAULT_FILTER_PROFILE;
    const coinbase = { ...base(), isCoinbase: true };
    assert.equal(passesTransactionRules(coinbase, p), false);
    const many = base();
    many.inputs = Array.from({ length: 6 }, () => many.inputs[0]);
    assert.equal(passesTransactionRules(many, p), false);
    const five = base();
    five.inputs = Array.from({ length: 5 }, () => five.inputs[0]);
    assert.equal(passesTransactionRules(five, p), true);
    assert.equal(passesTransactionRules(transaction('cd'.repeat(32), [5_000, 6_000, 7_000], rand), p), false);
    assert.equal(passesTransactionRules(transaction('cd'.repeat(32), [5_000], rand), p), false);
    const opReturn = base();
    opReturn.outputs[1] = { value: 0, script: new Uint8Array([0x6a, 0x04, 1, 2, 3, 4]) };
    assert.equal(passesTransactionRules(opReturn, p), false);
    const inscription = base();
    inscription.inputs[0] = { ...inscription.inputs[0], witnessBytes: 501 };
    assert.equal(passesTransactionRules(inscription, p), false);
    inscription.inputs[0] = { ...inscription.inputs[0], witnessBytes: 500 };
    assert.equal(passesTransactionRules(inscription, p), true);
  });
  test('candidate values: inside [10^-5, 10^5] BTC, whole sats, not round bitcoin', () => {
    const p = DEFAULT_FILTER_PROFILE;
    assert.equal(isCandidateValue(123_456, p), true);
    for (const v of [999, 1_000, 100_000_000, 1e13 + 7, 123.5, Number.NaN, -123_456])
      assert.equal(isCandidateValue(v, p), false, String(v));
    assert.equal(isCandidateValue(100_000_000, { ...p, excludeRoundBitcoin: false }), true);
  });
});

describe('log histogram', () => {
  test('integer counts, exact add and remove', () => {
    const h = new LogHistogram();
    h.add(5);
    h.add(5);
    h.add(7);
    assert.equal(h.total, 3);
    h.remove(5);
    assert.equal(h.counts[5], 1);
    assert.equal(h.total, 2);
    assert.throws(() => h.remove(9), /already empty/);
    h.clear();
    assert.equal(h.total, 0);
    assert.ok(h.counts.every((c) => c === 0));
  });
});
