// The estimator on the real mainnet dev blocks (../shared/data/real), judged by the evaluation
// protocol's targets, and the committed comb checked against a fresh calibration.
// Skips with a message when the data folder is absent.

import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { describe, test } from 'node:test';
import { calibrateComb } from '../../src/dev/calibration.ts';
import { judgeBlock, loadDevBlocks } from '../../src/dev/eval-data.ts';
import { checkTargets, type EvalRow } from '../../src/dev/evaluation.ts';
import { DEFAULT_COMB_MODEL } from '../../src/oracle/comb-model.ts';
import { DEFAULT_FILTER_PROFILE } from '../../src/oracle/filter-profile.ts';

const DATA = new URL('../../../shared/data/real/', import.meta.url).pathname;
const present = existsSync(`${DATA}blocks_manifest.csv`);
const skip = present ? false : `real data not found at ${DATA} (see ../shared/data/real/README.md)`;

describe('real blocks', { skip }, () => {
  const blocks = present ? loadDevBlocks(DATA, { profile: DEFAULT_FILTER_PROFILE, extras: true }) : [];

  test('the committed comb is what `chainprice calibrate` measures on these blocks', () => {
    const samples = blocks
      .filter((b) => b.source === 'block' && b.reference !== null)
      .map((b) => ({ label: b.label, counts: b.candidates.counts, price: b.reference! }));
    assert.deepEqual(calibrateComb(samples).model.amounts, DEFAULT_COMB_MODEL.amounts);
    assert.deepEqual(
      DEFAULT_COMB_MODEL.provenance?.blocks,
      samples.map((s) => Number(s.label)),
    );
  });

  test('every target of the protocol holds with the committed comb', () => {
    const rows: EvalRow[] = [];
    for (const b of blocks) {
      for (const mode of ['cold', 'seeded'] as const) {
        if (mode === 'seeded' && b.seed === null) continue;
        rows.push(judgeBlock(b, mode, DEFAULT_COMB_MODEL));
      }
    }
    for (const t of checkTargets(rows)) assert.ok(t.pass, `${t.name}: ${t.value}`);
  });
});
