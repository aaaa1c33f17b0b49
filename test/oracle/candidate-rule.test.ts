// The candidate rule, the one place that decides what a transaction brings to a window: its
// candidate outputs (vout order, with their bins) and its distinct parents (input order), as the
// filter profile says; checked on made-up transactions and, against the profile's own rules
// applied output by output, on every transaction of the real dev blocks.

import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { describe, test } from 'node:test';
import { readBlock } from '../../src/bitcoin/block.ts';
import { hashToHex, hexToHash } from '../../src/bitcoin/hash.ts';
import type { Transaction } from '../../src/bitcoin/transaction.ts';
import { CandidateRule } from '../../src/oracle/candidate-rule.ts';
import {
  DEFAULT_FILTER_PROFILE,
  type FilterProfile,
  isCandidateValue,
  passesTransactionRules,
} from '../../src/oracle/filter-profile.ts';
import { binOfSats } from '../../src/oracle/log-scale.ts';
import { keyOfHash } from '../../src/oracle/txid-key.ts';
import { REAL_DATA_DIR, REAL_DATA_MISSING, realBlocks } from '../bitcoin/real-data.ts';
import { random, transaction } from './synthetic.ts';

const rand = random(19);
const id = (n: number) => n.toString(16).padStart(64, '0');

/** A transaction with these output values spending these parent txids (one input each). */
function tx(values: number[], parents: string[]): Transaction {
  const t = transaction(id(1), values, rand);
  t.inputs = parents.map((p, i) => ({ ...t.inputs[0], prevTxid: hexToHash(p), prevVout: i }));
  return t;
}

/** What the rule read, as plain values: outputs [sats, bin, vout] and parent keys. */
function readOut(rule: CandidateRule): { outputs: number[][]; parents: number[][] } {
  const outputs = Array.from({ length: rule.outputs }, (_, i) => [rule.sats[i], rule.bins[i], rule.vouts[i]]);
  const parents = Array.from({ length: rule.parents }, (_, p) =>
    Array.from(rule.parentKeys.subarray(4 * p, 4 * p + 4)),
  );
  return { outputs, parents };
}

function keyOf(txid: string): number[] {
  const key = new Int32Array(4);
  keyOfHash(hexToHash(txid), key);
  return Array.from(key);
}

describe('CandidateRule', () => {
  test('a payment: its candidate outputs in vout order with their bins, its parents once each, in input order', () => {
    const rule = new CandidateRule(DEFAULT_FILTER_PROFILE);
    assert.equal(rule.read(tx([123_456, 654_321], [id(7), id(5), id(7)])), true);
    assert.deepEqual(readOut(rule), {
      outputs: [
        [123_456, binOfSats(123_456), 0],
        [654_321, binOfSats(654_321), 1],
      ],
      parents: [keyOf(id(7)), keyOf(id(5))],
    });
  });

  test('outputs that are not candidates are left out; with none left the transaction is not a candidate', () => {
    const rule = new CandidateRule(DEFAULT_FILTER_PROFILE);
    // 1 BTC is a round bitcoin amount, 999 sats is below the minimum.
    assert.equal(rule.read(tx([100_000_000, 222_222], [id(3)])), true);
    assert.deepEqual(readOut(rule).outputs, [[222_222, binOfSats(222_222), 1]]);
    assert.equal(rule.read(tx([100_000_000, 999], [id(3)])), false);
    assert.deepEqual(readOut(rule), { outputs: [], parents: [] }, 'nothing left from the last read');
  });

  test('a transaction failing the profile (three outputs) is no candidate and leaves nothing', () => {
    const rule = new CandidateRule(DEFAULT_FILTER_PROFILE);
    rule.read(tx([123_456, 654_321], [id(2)]));
    assert.equal(rule.read(tx([123_456, 654_321, 777_777], [id(2)])), false);
    assert.deepEqual(readOut(rule), { outputs: [], parents: [] });
  });

  test('no parents when the profile keeps same-window spends', () => {
    const rule = new CandidateRule({ ...DEFAULT_FILTER_PROFILE, excludeSameWindowSpends: false });
    assert.equal(rule.read(tx([123_456, 654_321], [id(2), id(3)])), true);
    assert.equal(rule.outputs, 2);
    assert.equal(rule.parents, 0);
  });

  test('a profile taking any number of outputs and inputs: the columns grow, nothing is lost', () => {
    const profile: FilterProfile = { ...DEFAULT_FILTER_PROFILE, outputCount: null, maxInputs: 100 };
    const rule = new CandidateRule(profile);
    const values = Array.from({ length: 40 }, (_, i) => 10_001 + 137 * i);
    const parents = Array.from({ length: 60 }, (_, i) => id(1000 + (i % 30)));
    assert.equal(rule.read(tx(values, parents)), true);
    const read = readOut(rule);
    assert.deepEqual(
      read.outputs,
      values.map((v, i) => [v, binOfSats(v), i]),
    );
    assert.deepEqual(
      read.parents,
      parents.slice(0, 30).map((p) => keyOf(p)),
    );
  });
});

const manifest = realBlocks();

describe('CandidateRule on the real dev blocks', {
  skip: manifest === null ? REAL_DATA_MISSING : false,
}, () => {
  test("every transaction: the profile's rules applied output by output, and its distinct parents", () => {
    const rule = new CandidateRule(DEFAULT_FILTER_PROFILE);
    let candidates = 0;
    let transactions = 0;
    for (const row of manifest!) {
      const block = readBlock(readFileSync(`${REAL_DATA_DIR}${row.file}`));
      for (const t of block.transactions()) {
        transactions++;
        const outputs = passesTransactionRules(t, DEFAULT_FILTER_PROFILE)
          ? t.outputs.flatMap((o, vout) =>
              isCandidateValue(o.value, DEFAULT_FILTER_PROFILE) && binOfSats(o.value) >= 0
                ? [[o.value, binOfSats(o.value), vout]]
                : [],
            )
          : [];
        const candidate = outputs.length > 0;
        const parents = candidate ? [...new Set(t.inputs.map((i) => hashToHex(i.prevTxid)))].map(keyOf) : [];
        assert.equal(rule.read(t), candidate, t.txid);
        assert.deepEqual(readOut(rule), { outputs, parents }, t.txid);
        if (candidate) candidates++;
      }
    }
    assert.ok(candidates > 1000 && candidates < transactions, `${candidates} of ${transactions}`);
  });
});
