// A short fuzz run inside `npm test` (the full million cases: `node bench/fuzz.ts`): random bytes and
// mutated transactions and blocks must parse with sane results or throw ParseError, nothing else.

import assert from 'node:assert/strict';
import { test } from 'node:test';
import { runFuzz } from '../../bench/fuzz.ts';

/** Enough to touch every mutation and entry point in a few seconds on a shared core. */
const CASES = 4_000;

for (const seed of [1, Date.now() % 2 ** 31]) {
  test(`fuzz: ${CASES} cases, seed ${seed} (replay: node bench/fuzz.ts --cases ${CASES} --seed ${seed})`, () => {
    const report = runFuzz({ cases: CASES, seed });
    const first = report.failures[0];
    assert.equal(
      report.failures.length,
      0,
      first && `${first.kind}: ${first.error}\ninput ${first.inputHex}`,
    );
    assert.equal(report.cases, CASES);
    const mutated = report.byKind['mutated-tx'];
    assert.ok(
      mutated.parsed > 0 && mutated.rejected > 0,
      'mutations both parse and fail, so both paths are tested',
    );
    assert.ok(report.byKind['random-bytes'].rejected > 0);
    assert.ok(report.differentialChecked > 0, 'some txids were compared with bitcoinjs-lib');
  });
}
