// The window: every transaction tracked, the same-window spend rule whatever the order, exact
// add/remove, ageing out, and the histogram for the browser.

import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { hashToHex, hexToHash } from '../../src/bitcoin/hash.ts';
import type { Transaction } from '../../src/bitcoin/transaction.ts';
import { DEFAULT_FILTER_PROFILE } from '../../src/oracle/filter-profile.ts';
import { BINS_PER_DECADE, binOfSats, SCALE_BINS, SCALE_MIN_LOG10_SATS } from '../../src/oracle/log-scale.ts';
import { PriceWindow } from '../../src/oracle/window.ts';
import { random, syntheticTransactions, transaction } from './synthetic.ts';

const rand = random(5);
const id = (n: number) => n.toString(16).padStart(64, '0');

/** A two-output payment spending `parents` (txids), outputs 123,456 and 654,321 sats. */
function payment(txid: string, parents: string[] = [], values = [123_456, 654_321]): Transaction {
  const tx = transaction(txid, values, rand);
  if (parents.length > 0)
    tx.inputs = parents.map((p, i) => ({ ...tx.inputs[0], prevTxid: hexToHash(p), prevVout: i }));
  return tx;
}

function countsOf(window: PriceWindow): number[] {
  return window.histogram().counts;
}

describe('PriceWindow', () => {
  test('tracks every transaction, counts candidate outputs, refuses duplicates', () => {
    const window = new PriceWindow();
    assert.equal(window.add(payment(id(1)), 10), true);
    assert.equal(window.add(payment(id(1)), 11), false);
    const three = transaction(id(2), [100_000_1, 200_000_3, 300_000_7], rand); // not 2 outputs
    assert.equal(window.add(three, 10), true);
    assert.equal(window.size, 2);
    assert.equal(window.candidateOutputs, 2);
    assert.equal(window.has(id(2)), true);
    assert.deepEqual([...window.txids()].sort(), [id(1), id(2)]);
  });

  test('a child spending a parent in the window is out, in either order; back when the parent leaves', () => {
    const parent = payment(id(10));
    const child = payment(id(11), [id(10)], [222_222, 333_333]);
    const a = new PriceWindow();
    a.add(parent, 1);
    a.add(child, 2);
    const b = new PriceWindow();
    b.add(child, 2);
    assert.equal(b.candidateOutputs, 2);
    b.add(parent, 1);
    assert.equal(a.candidateOutputs, 2);
    assert.equal(b.candidateOutputs, 2);
    assert.deepEqual(countsOf(a), countsOf(b));
    // The parent leaves: the child's outputs come back.
    a.remove(id(10));
    assert.equal(a.candidateOutputs, 2);
    const counts = countsOf(a);
    assert.equal(counts[binOfSats(222_222)], 1);
    assert.equal(counts[binOfSats(123_456)], 0);
    // The child leaves: nothing of it stays anywhere.
    a.remove(id(11));
    assert.equal(a.candidateOutputs, 0);
    assert.equal(a.size, 0);
  });

  test('a child of two parents in the window comes back only when both have left', () => {
    const window = new PriceWindow();
    window.add(payment(id(21), [id(20), id(22)], [777_777, 888_889]), 3);
    window.add(payment(id(20)), 1);
    window.add(payment(id(22)), 2);
    assert.equal(window.candidateOutputs, 4); // both parents, not the child
    assert.equal(countsOf(window)[binOfSats(777_777)], 0);
    window.remove(id(20));
    assert.equal(window.candidateOutputs, 2); // one parent left: the child is still out
    assert.equal(countsOf(window)[binOfSats(777_777)], 0);
    window.remove(id(22));
    assert.equal(window.candidateOutputs, 2); // now only the child
    assert.equal(countsOf(window)[binOfSats(777_777)], 1);
  });

  test('a non-candidate parent still excludes its child; the rule can be turned off', () => {
    const parent = transaction(id(30), [1_000_003, 2_000_007, 3_000_011], rand);
    const child = payment(id(31), [id(30)]);
    const window = new PriceWindow();
    window.add(parent, 1);
    window.add(child, 2);
    assert.equal(window.candidateOutputs, 0);
    const loose = new PriceWindow({ profile: { ...DEFAULT_FILTER_PROFILE, excludeSameWindowSpends: false } });
    loose.add(parent, 1);
    loose.add(child, 2);
    assert.equal(loose.candidateOutputs, 2);
  });

  test('add and remove in any order end in the same exact histogram', () => {
    const list = syntheticTransactions(30_000, 3_000, { seed: 11 });
    // Chain some transactions to others of the list.
    for (let i = 10; i < list.length; i += 7) {
      const tx = list[i].tx;
      tx.inputs[0] = { ...tx.inputs[0], prevTxid: hexToHash(list[i - 3].tx.txid) };
    }
    const full = new PriceWindow();
    for (const { tx, time } of list) full.add(tx, time);
    const churned = new PriceWindow();
    for (let i = list.length - 1; i >= 0; i--) churned.add(list[i].tx, list[i].time);
    for (let i = 0; i < list.length; i += 2) churned.remove(list[i].tx.txid);
    for (let i = 0; i < list.length; i += 2) churned.add(list[i].tx, list[i].time);
    assert.deepEqual(countsOf(churned), countsOf(full));
    assert.equal(churned.candidateOutputs, full.candidateOutputs);
    assert.deepEqual(churned.estimate(), full.estimate());
    for (const { tx } of list) churned.remove(tx.txid);
    assert.equal(churned.size, 0);
    assert.equal(churned.candidateOutputs, 0);
    assert.ok(countsOf(churned).every((c) => c === 0));
  });

  test('removeOlderThan ages out oldest first and counts what left', () => {
    const window = new PriceWindow();
    const times = [50, 10, 40, 20, 30];
    for (const [i, t] of times.entries()) window.add(payment(id(100 + i)), t);
    window.remove(id(103)); // time 20, removed by hand: not counted again
    assert.equal(window.removeOlderThan(35), 2); // 10 and 30
    assert.deepEqual([...window.txids()].sort(), [id(100), id(102)]);
    assert.equal(window.removeOlderThan(35), 0);
    assert.equal(window.removeOlderThan(Number.POSITIVE_INFINITY), 2);
    assert.equal(window.size, 0);
  });

  test('a transaction with a time that is not a number is kept as the oldest', () => {
    const window = new PriceWindow();
    window.add(payment(id(200)), Number.NaN);
    window.add(payment(id(201)), 100);
    assert.equal(window.removeOlderThan(1), 1);
    assert.equal(window.has(id(201)), true);
  });

  test('the histogram for the browser panel', () => {
    const window = new PriceWindow();
    window.add(payment(id(300)), 1);
    const h = window.histogram();
    assert.equal(h.binsPerDecade, BINS_PER_DECADE);
    assert.equal(h.firstLog10Sats, SCALE_MIN_LOG10_SATS);
    assert.equal(h.counts.length, SCALE_BINS);
    assert.equal(
      h.counts.reduce((s, c) => s + c, 0),
      2,
    );
    assert.equal(h.counts[Math.floor((Math.log10(123_456) - SCALE_MIN_LOG10_SATS) * BINS_PER_DECADE)], 1);
  });

  test('clear forgets everything; the window works on after it', () => {
    const window = new PriceWindow();
    for (const { tx, time } of syntheticTransactions(20_000, 500, { seed: 21 })) window.add(tx, time);
    window.clear();
    assert.equal(window.size, 0);
    assert.equal(window.candidateOutputs, 0);
    assert.deepEqual([...window.txids()], []);
    assert.equal(window.removeOlderThan(Number.POSITIVE_INFINITY), 0);
    window.add(payment(id(400)), 1);
    assert.equal(window.candidateOutputs, 2);
  });

  test('a profile taking any number of outputs keeps the ones beyond two, exactly', () => {
    const window = new PriceWindow({ profile: { ...DEFAULT_FILTER_PROFILE, outputCount: null } });
    const many = transaction(id(500), [111_111_1, 222_222_3, 333_333_7, 444_444_9], rand);
    window.add(many, 5);
    assert.equal(window.candidateOutputs, 4);
    const seen: [number, number][] = [];
    window.forEachCandidate((sats, _time, _txid, vout) => seen.push([vout, sats]));
    assert.deepEqual(
      seen.sort((a, b) => a[0] - b[0]),
      [
        [0, 111_111_1],
        [1, 222_222_3],
        [2, 333_333_7],
        [3, 444_444_9],
      ],
    );
    window.remove(id(500));
    assert.equal(window.candidateOutputs, 0);
    assert.ok(countsOf(window).every((c) => c === 0));
  });

  test('add refuses a txid that is not 64 hex digits; has and remove say no', () => {
    const window = new PriceWindow();
    const bad = payment(id(600));
    bad.txid = 'not a txid';
    assert.equal(window.add(bad, 1), false);
    assert.equal(window.has('not a txid'), false);
    assert.equal(window.remove('z'.repeat(64)), false);
    assert.equal(window.size, 0);
  });

  test('txids round-trip through the parent index as display hex', () => {
    const hex = id(0xabcdef);
    assert.equal(hashToHex(hexToHash(hex)), hex);
  });
});
