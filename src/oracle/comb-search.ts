// The coarse price: slide the comb of round dollar amounts along the log histogram and score every
// price on the bin grid. In: cumulative counts, the comb model and a range of shifts (a shift is
// log10(price) in bins, log-scale.ts). Out: one score per shift.
//
// The score of a price is a log-likelihood ratio (natural log): how much better the histogram is
// explained by "round-dollar spikes sit at U / price" than by the local background alone. Each
// amount U expects a × mu(U) extra outputs in its tooth, mu(U) = weight(U) × N (N candidate
// outputs, weight measured by calibration.ts); a tooth holding `peak` outputs against
// `background` adds, under a Poisson model,
//
//     peak × ln(1 + a × mu / background) − a × mu
//
// so a spike where one is expected scores, an empty tooth where a popular amount should be costs,
// and popular amounts ($10, $20, $100) weigh more than rare ones. The background of a tooth that
// overlaps a round bitcoin amount (0.01 BTC…) includes the crowd found there (bitcoin-crowds.ts),
// so those crowds, which sit still whatever the price, never vote for a price. The activity a ≥ 0 is fitted
// at every price (windows differ in how many of their outputs are payments), so the score
// rewards the comb's *shape*: because the weights differ from decade to decade (a measured, broad
// bump around typical payment sizes), the true price beats its ×2, ×5 and ×10 aliases, where the
// same spikes meet the wrong amounts.

import { crowdUnder, measureBitcoinCrowds } from './bitcoin-crowds.ts';
import type { CombAmounts } from './comb-model.ts';
import { usdPosition } from './log-scale.ts';
import {
  type CumulativeCounts,
  measureTooth,
  RING_INNER_BINS,
  RING_OUTER_BINS,
  TOOTH_HALF_WIDTH_BINS,
  type ToothCounts,
} from './tooth.ts';

/**
 * The least background a tooth is compared with, in outputs: a tooth in an empty stretch of the
 * scale then needs a few outputs, not one, to look like a spike.
 */
export const BACKGROUND_FLOOR = 0.5;

/** The fitted activity stays within [0, MAX_ACTIVITY]: a window with ten times the dev blocks'
 * share of round payments is not a payment window but a few wallets repeating one amount. */
export const MAX_ACTIVITY = 10;
/** Newton steps for the activity: the score is concave in it, five steps reach 1e-6. */
const ACTIVITY_STEPS = 8;

/**
 * The best log-likelihood ratio over the activity a: teeth j with `peak[j]` outputs, background
 * `background[j]` (floored) and expected excess `mu[j]` at a = 1.
 */
export function profileScore(
  peak: Float64Array,
  background: Float64Array,
  mu: Float64Array,
  n: number,
): number {
  return profileScoreOf(peak, background, mu, 0, n);
}

/** profileScore over the teeth from, from + 1, …, from + n - 1 of the arrays. */
function profileScoreOf(
  peak: Float64Array,
  background: Float64Array,
  mu: Float64Array,
  from: number,
  n: number,
): number {
  const end = from + n;
  // Slope at a = 0: Σ peak·mu/bg − Σ mu. Not positive: the best activity is 0, the score 0.
  let slope0 = 0;
  let muSum = 0;
  for (let j = from; j < end; j++) {
    slope0 += (peak[j] * mu[j]) / background[j];
    muSum += mu[j];
  }
  if (!(slope0 > muSum)) return 0;
  let a = 1;
  for (let step = 0; step < ACTIVITY_STEPS; step++) {
    let d1 = -muSum;
    let d2 = 0;
    for (let j = from; j < end; j++) {
      const r = mu[j] / (background[j] + a * mu[j]);
      d1 += peak[j] * r;
      d2 -= peak[j] * r * r;
    }
    if (!(d2 < 0)) break;
    let next = a - d1 / d2;
    if (!(next > 0)) next = a / 2;
    if (next > MAX_ACTIVITY) next = MAX_ACTIVITY;
    if (Math.abs(next - a) < 1e-9) {
      a = next;
      break;
    }
    a = next;
  }
  let score = 0;
  for (let j = from; j < end; j++) score += peak[j] * Math.log1p((a * mu[j]) / background[j]) - a * mu[j];
  return Math.max(0, score);
}

/**
 * combScores' rows of teeth, kept from call to call (a cold search needs about 1 MB of them):
 * allocating them anew each time costs more than filling them. Each call writes every entry it
 * reads, so nothing carries over from one call to the next.
 */
const scratch = {
  peaks: new Float64Array(0),
  backgrounds: new Float64Array(0),
  mus: new Float64Array(0),
  plain: new Float64Array(0),
};

/** Where a tooth reads the cumulative counts, relative to its centre: ring, tooth, tooth, ring. */
const READS = [
  -RING_OUTER_BINS,
  -RING_INNER_BINS,
  -TOOTH_HALF_WIDTH_BINS,
  TOOTH_HALF_WIDTH_BINS,
  RING_INNER_BINS,
  RING_OUTER_BINS,
];

/**
 * Scores of shifts firstShift, firstShift + 1, …, lastShift (integers), in that order.
 * The teeth are measured as tooth.ts does, unrolled: at integer shifts each read of a tooth falls
 * at a fixed fraction of a bin, so the integer part and the fraction are worked out once per tooth.
 *
 * `asSpikes`, when given (same length), receives the scores under the other reading of the round
 * bitcoin piles: no crowds, every output counted as a possible dollar spike. The histogram cannot
 * tell the two readings apart where a round-dollar tooth lands on a 1-2-5 bitcoin amount (at
 * $100,000, $100 is 0.001 BTC), so a price is only as sure as its lead under both (confidence.ts).
 */
export function combScores(
  cum: CumulativeCounts,
  model: CombAmounts,
  firstShift: number,
  lastShift: number,
  asSpikes?: Float64Array,
): Float64Array {
  const n = Math.max(0, lastShift - firstShift + 1);
  const scores = new Float64Array(n);
  if (asSpikes !== undefined && asSpikes.length !== n)
    throw new RangeError(`combScores: asSpikes holds ${asSpikes.length} scores, ${n} needed`);
  const amounts = model.amounts;
  const m = amounts.length;
  const positions = new Float64Array(m);
  const expected = new Float64Array(m);
  const cell = new Int32Array(m * 6);
  const fraction = new Float64Array(m * 6);
  for (let j = 0; j < m; j++) {
    positions[j] = usdPosition(amounts[j].usd);
    expected[j] = amounts[j].weight * cum.total;
    for (let r = 0; r < 6; r++) {
      const at = positions[j] + READS[r];
      cell[6 * j + r] = Math.floor(at);
      fraction[6 * j + r] = at - Math.floor(at);
    }
  }
  const { prefix, counts, total } = cum;
  const bins = counts.length;
  const ringScale = (2 * TOOTH_HALF_WIDTH_BINS) / (2 * (RING_OUTER_BINS - RING_INNER_BINS));
  const crowds = measureBitcoinCrowds(cum);
  // Tooth by tooth (each tooth's reads then walk the counts in order), into one row of up to m
  // teeth per shift, in tooth order: each shift's score then sums the same terms in the same order.
  if (scratch.peaks.length < n * m) {
    scratch.peaks = new Float64Array(n * m);
    scratch.backgrounds = new Float64Array(n * m);
    scratch.mus = new Float64Array(n * m);
    scratch.plain = new Float64Array(n * m);
  }
  const { peaks, backgrounds, mus } = scratch;
  const plain = asSpikes === undefined ? null : scratch.plain;
  const teethAt = new Int32Array(n);
  const crowded = new Uint8Array(n);
  for (let j = 0; j < m; j++) {
    const c = 6 * j;
    const c0 = cell[c];
    const c1 = cell[c + 1];
    const c2 = cell[c + 2];
    const c3 = cell[c + 3];
    const c4 = cell[c + 4];
    const c5 = cell[c + 5];
    const f0 = fraction[c];
    const f1 = fraction[c + 1];
    const f2 = fraction[c + 2];
    const f3 = fraction[c + 3];
    const f4 = fraction[c + 4];
    const f5 = fraction[c + 5];
    const position = positions[j];
    const mu = expected[j];
    for (let k = 0; k < n; k++) {
      const shift = firstShift + k;
      const x = position - shift;
      // The whole ring on the scale, as measureTooth requires.
      if (x - RING_OUTER_BINS < 0 || x + RING_OUTER_BINS > bins) continue;
      // Outputs below each read (CumulativeCounts.below at an integer cell plus a fraction),
      // written out. The ring's guard above keeps every cell in [0, bins]; the last holds the total.
      let i = c0 - shift;
      const outerLow = i >= bins ? total : prefix[i] + f0 * counts[i];
      i = c1 - shift;
      const innerLow = i >= bins ? total : prefix[i] + f1 * counts[i];
      i = c2 - shift;
      const toothLow = i >= bins ? total : prefix[i] + f2 * counts[i];
      i = c3 - shift;
      const toothHigh = i >= bins ? total : prefix[i] + f3 * counts[i];
      i = c4 - shift;
      const innerHigh = i >= bins ? total : prefix[i] + f4 * counts[i];
      i = c5 - shift;
      const outerHigh = i >= bins ? total : prefix[i] + f5 * counts[i];
      const t = k * m + teethAt[k]++;
      peaks[t] = toothHigh - toothLow;
      const background = Math.max(
        (innerLow - outerLow + outerHigh - innerHigh) * ringScale,
        BACKGROUND_FLOOR,
      );
      const crowd = crowdUnder(crowds, x);
      if (crowd !== 0) crowded[k] = 1;
      backgrounds[t] = background + crowd;
      if (plain !== null) plain[t] = background;
      mus[t] = mu;
    }
  }
  for (let k = 0; k < n; k++) {
    scores[k] = profileScoreOf(peaks, backgrounds, mus, k * m, teethAt[k]);
    // With no crowd under any tooth both readings have the same backgrounds, so the same score.
    if (plain !== null)
      asSpikes![k] = crowded[k] ? profileScoreOf(peaks, plain, mus, k * m, teethAt[k]) : scores[k];
  }
  return scores;
}

/** Index of the highest score (the lowest index on ties), or -1 for an empty list. */
export function bestIndex(scores: Float64Array): number {
  let best = -1;
  for (let i = 0; i < scores.length; i++) if (best < 0 || scores[i] > scores[best]) best = i;
  return best;
}

/**
 * The best score at least `minDistance` indexes away from `peak`: the strongest rival price.
 * Returns -1 when no index is that far.
 */
export function bestRivalIndex(scores: Float64Array, peak: number, minDistance: number): number {
  let best = -1;
  for (let i = 0; i < scores.length; i++) {
    if (Math.abs(i - peak) < minDistance) continue;
    if (best < 0 || scores[i] > scores[best]) best = i;
  }
  return best;
}

/**
 * The score a price keeps when its strongest tooth is taken away: the least profile score over
 * the comb with one tooth left out (crowd reading, as combScores). A window of many payments
 * keeps most of its score; a window whose "price" rests on one pile of outputs (one wallet's
 * change outputs, one service's repeated amount) keeps none of it: a price must stand on more
 * than one round amount.
 */
export function scoreWithoutStrongestTooth(cum: CumulativeCounts, model: CombAmounts, shift: number): number {
  const crowds = measureBitcoinCrowds(cum);
  const m = model.amounts.length;
  const peak = new Float64Array(m);
  const background = new Float64Array(m);
  const mu = new Float64Array(m);
  const tooth: ToothCounts = { peak: 0, background: 0 };
  let n = 0;
  for (const amount of model.amounts) {
    const x = usdPosition(amount.usd) - shift;
    if (!measureTooth(cum, x, tooth)) continue;
    peak[n] = tooth.peak;
    background[n] = Math.max(tooth.background, BACKGROUND_FLOOR) + crowdUnder(crowds, x);
    mu[n] = amount.weight * cum.total;
    n++;
  }
  if (n < 2) return 0;
  let least = Number.POSITIVE_INFINITY;
  const p = new Float64Array(n - 1);
  const b = new Float64Array(n - 1);
  const u = new Float64Array(n - 1);
  for (let out = 0; out < n; out++) {
    for (let j = 0, k = 0; j < n; j++) {
      if (j === out) continue;
      p[k] = peak[j];
      b[k] = background[j];
      u[k] = mu[j];
      k++;
    }
    least = Math.min(least, profileScore(p, b, u, n - 1));
  }
  return least;
}
