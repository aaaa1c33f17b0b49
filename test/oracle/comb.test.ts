// The comb's steps: teeth, bitcoin crowds, the Poisson score, the search, the parabola, evidence,
// the refinement and the confidence.

import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { crowdUnder, measureBitcoinCrowds } from '../../src/oracle/bitcoin-crowds.ts';
import { CandidateList } from '../../src/oracle/candidate-source.ts';
import type { CombModel } from '../../src/oracle/comb-model.ts';
import { bestIndex, bestRivalIndex, combScores, profileScore } from '../../src/oracle/comb-search.ts';
import { CANDIDATES_NONE, confidenceOf } from '../../src/oracle/confidence.ts';
import { evidenceInBand, gatherCloud } from '../../src/oracle/evidence.ts';
import { binOfSats, SCALE_BINS, scalePosition, shiftOfPrice } from '../../src/oracle/log-scale.ts';
import { parabolaVertexOffset } from '../../src/oracle/parabola.ts';
import { refinePrice } from '../../src/oracle/refine.ts';
import { CumulativeCounts, measureTooth, TOOTH_HALF_WIDTH_BINS } from '../../src/oracle/tooth.ts';
import { random } from './synthetic.ts';

/** A flat background of `perBin` outputs per bin plus `extra` outputs in each listed bin. */
function histogram(perBin: number, spikes: [number, number][] = []): Int32Array {
  const counts = new Int32Array(SCALE_BINS).fill(perBin);
  for (const [bin, extra] of spikes) counts[bin] += extra;
  return counts;
}

const MODEL: CombModel = {
  amounts: [
    { usd: 10, weight: 0.004 },
    { usd: 20, weight: 0.003 },
    { usd: 50, weight: 0.003 },
    { usd: 100, weight: 0.005 },
  ],
};

describe('tooth', () => {
  test('cumulative counts spread a bin evenly', () => {
    const cum = new CumulativeCounts(histogram(0, [[10, 4]]));
    assert.equal(cum.below(10), 0);
    assert.equal(cum.below(10.25), 1);
    assert.equal(cum.below(11), 4);
    assert.equal(cum.below(-3), 0);
    assert.equal(cum.below(1e6), 4);
  });
  test('a flat histogram has no excess; a spike stands out; the edge is refused', () => {
    const t = { peak: 0, background: 0 };
    assert.ok(measureTooth(new CumulativeCounts(histogram(2)), 500.5, t));
    assert.ok(Math.abs(t.peak - t.background) < 1e-9);
    assert.ok(Math.abs(t.peak - 2 * 2 * TOOTH_HALF_WIDTH_BINS) < 1e-9);
    assert.ok(measureTooth(new CumulativeCounts(histogram(2, [[500, 30]])), 500.5, t));
    assert.ok(t.peak - t.background > 29);
    assert.equal(measureTooth(new CumulativeCounts(histogram(2)), 5, t), false);
  });
});

describe('bitcoin crowds', () => {
  test('outputs just above a 1-2-5 amount are a crowd; a spike centred on it is not', () => {
    const x = scalePosition(1_000_000); // exactly a bin edge
    const above = new CumulativeCounts(histogram(1, [[Math.round(x), 40]]));
    const crowds = measureBitcoinCrowds(above);
    const i = Array.from(crowds.positions).findIndex((p) => Math.abs(p - x) < 1e-9);
    assert.ok(i >= 0 && crowds.sizes[i] > 30);
    assert.ok(crowdUnder(crowds, x) > 30);
    assert.equal(crowdUnder(crowds, x + 2 * TOOTH_HALF_WIDTH_BINS), 0);
    const centred = new CumulativeCounts(
      histogram(1, [
        [Math.round(x) - 1, 20],
        [Math.round(x), 20],
      ]),
    );
    assert.equal(crowdUnder(measureBitcoinCrowds(centred), x), 0);
  });
});

describe('comb score', () => {
  test('no excess scores 0; excess where expected scores more than elsewhere', () => {
    const bg = new Float64Array([5, 5, 5]);
    const mu = new Float64Array([2, 2, 2]);
    assert.equal(profileScore(new Float64Array([5, 5, 5]), bg, mu, 3), 0);
    assert.equal(profileScore(new Float64Array([0, 0, 0]), bg, mu, 3), 0);
    const spikes = profileScore(new Float64Array([12, 11, 13]), bg, mu, 3);
    assert.ok(spikes > 5);
    assert.ok(profileScore(new Float64Array([12, 5, 5]), bg, mu, 3) < spikes);
    assert.equal(profileScore(bg, bg, mu, 0), 0);
  });
  test('the search finds the shift that lines the comb up with the spikes', () => {
    const price = 31_234;
    const spikes = MODEL.amounts.map((a): [number, number] => [binOfSats((a.usd / price) * 1e8), 40]);
    const cum = new CumulativeCounts(histogram(3, spikes));
    const first = Math.floor(shiftOfPrice(1_000));
    const scores = combScores(cum, MODEL, first, Math.floor(shiftOfPrice(1_000_000)));
    const best = bestIndex(scores);
    assert.ok(Math.abs(first + best - shiftOfPrice(price)) <= 1.5);
    const rival = bestRivalIndex(scores, best, 5);
    assert.ok(rival >= 0 && Math.abs(rival - best) >= 5 && scores[rival] < scores[best]);
    assert.equal(bestIndex(new Float64Array(0)), -1);
    assert.equal(bestRivalIndex(new Float64Array(3), 1, 5), -1);
  });
});

describe('parabola', () => {
  test('vertex of a sampled parabola, clamped, and flat data stays put', () => {
    const f = (x: number) => -((x - 0.3) ** 2);
    assert.ok(Math.abs(parabolaVertexOffset(f(-1), f(0), f(1)) - 0.3) < 1e-12);
    assert.equal(parabolaVertexOffset(0, 1, 1.5), 0.5);
    assert.equal(parabolaVertexOffset(1, 1, 1), 0);
    assert.equal(parabolaVertexOffset(Number.NaN, 1, 0), 0);
  });
});

describe('evidence and refinement', () => {
  test('outputs near U / price give implied prices; others do not; evidence comes sorted', () => {
    const list = new CandidateList();
    const price = 50_000;
    list.add(Math.round((100 / price) * 1e8 * 1.01), 5, 'b'.repeat(64), 1); // $100, 1 % over
    list.add(Math.round((20 / price) * 1e8), 3, 'a'.repeat(64), 0); // $20 exactly
    list.add(Math.round((20 / price) * 1e8 * 0.999), 5, 'a'.repeat(64), 1); // $20, same time as the first
    list.add(Math.round((33 / price) * 1e8), 4, 'c'.repeat(64), 0); // $33: no amount near
    const cloud = gatherCloud(list, MODEL, price, 0.05);
    assert.equal(cloud.size, 3);
    const points = evidenceInBand(cloud, price / 1.05, price * 1.05);
    assert.deepEqual(
      points.map((p) => [p.time, p.txid[0], p.vout, p.usd]),
      [
        [3, 'a', 0, 20],
        [5, 'a', 1, 20],
        [5, 'b', 1, 100],
      ],
    );
    assert.ok(Math.abs(points[0].price - price) / price < 1e-4);
    assert.ok(Math.abs(points[2].price - price / 1.01) / price < 1e-4);
    assert.equal(evidenceInBand(cloud, price * 0.995, price * 1.005).length, 2);
  });
  test('the iterated median finds a spike on an even background, away from its first guess', () => {
    const rand = random(4);
    const values: number[] = [];
    for (let i = 0; i < 400; i++) values.push(1_000 * Math.exp((rand() - 0.5) * 0.08)); // ±4 % background
    for (let i = 0; i < 300; i++) values.push(1_000 * (1 + 0.003 * (rand() - 0.5))); // the spike at 1,000
    const prices = new Float64Array(values);
    const r = refinePrice(prices, prices.length, 1_012, 0.02, 0.04);
    assert.ok(Math.abs(r.price / 1_000 - 1) < 0.002, `refined ${r.price}`);
    assert.ok(r.used >= 300 && r.used < 700);
    // Any order gives the same answer.
    const reversed = prices.slice().reverse();
    assert.equal(refinePrice(reversed, reversed.length, 1_012, 0.02, 0.04).price, r.price);
    assert.deepEqual(refinePrice(new Float64Array(0), 0, 7, 0.02, 0.04), { price: 7, used: 0 });
  });
});

describe('confidence', () => {
  test('grows with the lead and the window, zero for tiny windows, in [0, 1]', () => {
    const at = (margin: number, candidates: number) =>
      confidenceOf({ margin, score: 100, candidates, used: 100 });
    assert.equal(at(50, CANDIDATES_NONE), 0);
    assert.equal(at(0, 5_000), 0);
    assert.equal(at(Number.NaN, 5_000), 0);
    assert.ok(at(5, 5_000) < at(20, 5_000));
    assert.ok(at(20, 800) < at(20, 5_000));
    assert.ok(at(1e6, 1e9) <= 1);
  });
});
