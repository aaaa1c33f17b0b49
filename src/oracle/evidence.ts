// The evidence of a price: every candidate output lying within a few percent of a round amount
// U / price gives one implied price U / value. In: the candidate outputs, the comb and a price.
// Out: the implied prices alone (for the refinement, no objects made), or the evidence points
// within a band (the cloud the chart shows).

import { grown, grownLength } from './array-growth.ts';
import type { CandidateSource } from './candidate-source.ts';
import type { CombAmounts } from './comb-model.ts';
import { SCALE_BINS, scalePosition } from './log-scale.ts';

export interface EvidencePoint {
  /** Time of the output's transaction (first seen, or its block's time), Unix seconds. */
  time: number;
  /** USD per BTC this output implies: usd / (sats / 10^8). */
  price: number;
  /** The round amount it matched. */
  usd: number;
  txid: string;
  vout: number;
}

const SATS_PER_BTC = 100_000_000;

/** Reads a double's top bits: sign, exponent and the first BUCKET_BITS of the mantissa. */
const float = new Float64Array(1);
const floatHigh = new Uint32Array(
  float.buffer,
  new Uint8Array(new Uint16Array([1]).buffer)[0] === 1 ? 4 : 0,
  1,
);
/** 2^8 buckets per octave: 0.27 % wide, narrower than any tooth. */
const BUCKET_BITS = 8;

function bucketOf(x: number): number {
  float[0] = x;
  return floatHigh[0] >>> (20 - BUCKET_BITS);
}

/**
 * The comb's teeth at `price` as satoshi intervals: amount j matches values in [low[j], high[j]],
 * the values whose implied price for it lies in [price / e^tolerance, price × e^tolerance].
 * Teeth closer than 2 × tolerance overlap; a value then goes to the smaller amount.
 * A table over the values' binary exponent and first mantissa bits finds the tooth of a value
 * without a search: it names the smallest tooth meeting each 0.27 % bucket.
 */
class Teeth {
  readonly usd: Float64Array;
  readonly low: Float64Array;
  readonly high: Float64Array;
  private readonly firstBucket: number;
  private readonly table: Int16Array;
  /** Histogram bins meeting some tooth: outputs elsewhere need not be looked at. */
  readonly bins = new Uint8Array(SCALE_BINS);

  constructor(model: CombAmounts, price: number, tolerance: number) {
    const n = model.amounts.length;
    this.usd = new Float64Array(n);
    this.low = new Float64Array(n);
    this.high = new Float64Array(n);
    const factor = Math.exp(tolerance);
    const ascending = model.amounts.map((a) => a.usd).sort((a, b) => a - b);
    for (let j = 0; j < n; j++) {
      const usd = ascending[j];
      this.usd[j] = usd;
      this.low[j] = (usd * SATS_PER_BTC) / (price * factor);
      this.high[j] = (usd * SATS_PER_BTC * factor) / price;
    }
    this.firstBucket = bucketOf(this.low[0]);
    this.table = new Int16Array(bucketOf(this.high[n - 1]) - this.firstBucket + 1).fill(-1);
    for (let j = n - 1; j >= 0; j--) {
      const last = bucketOf(this.high[j]) - this.firstBucket;
      for (let k = bucketOf(this.low[j]) - this.firstBucket; k <= last; k++) this.table[k] = j;
      const from = Math.max(0, Math.floor(scalePosition(this.low[j])));
      const to = Math.min(SCALE_BINS - 1, Math.floor(scalePosition(this.high[j])));
      for (let b = from; b <= to; b++) this.bins[b] = 1;
    }
  }

  /** Index of the amount whose interval holds `sats`, or -1. */
  find(sats: number): number {
    const k = bucketOf(sats) - this.firstBucket;
    if (!(k >= 0 && k < this.table.length)) return -1;
    let j = this.table[k];
    if (j < 0) return -1;
    // The bucket's smallest tooth, or the next one when the bucket straddles a gap.
    if (sats < this.low[j]) return -1;
    if (sats <= this.high[j]) return j;
    j++;
    return j < this.low.length && sats >= this.low[j] && sats <= this.high[j] ? j : -1;
  }
}

/**
 * The outputs near the comb's teeth at one price, in parallel arrays (no object per output).
 * A cloud can be emptied and filled again (gatherCloud's `into`): the estimator keeps one, so a
 * live window's repeated estimates allocate no arrays for it.
 */
export class EvidenceCloud {
  size = 0;
  prices: Float64Array;
  times: Float64Array;
  usd: Float64Array;
  vouts: Uint32Array;
  readonly txids: string[];

  constructor(capacity = 1024) {
    const n = Math.max(16, capacity);
    this.txids = [];
    this.prices = new Float64Array(n);
    this.times = new Float64Array(n);
    this.usd = new Float64Array(n);
    this.vouts = new Uint32Array(n);
  }

  push(price: number, time: number, usd: number, txid: string, vout: number): void {
    if (this.size === this.prices.length) this.grow();
    const i = this.size++;
    this.prices[i] = price;
    this.times[i] = time;
    this.usd[i] = usd;
    this.vouts[i] = vout;
    this.txids[i] = txid;
  }

  /** Empties the cloud, keeping its arrays and letting go of its txids. */
  clear(): void {
    this.txids.fill('', 0, this.size);
    this.size = 0;
  }

  /** Grows the four columns to one size (array-growth.ts). */
  private grow(): void {
    const n = grownLength(this.prices.length, this.size + 1);
    this.prices = grown(this.prices, n);
    this.times = grown(this.times, n);
    this.usd = grown(this.usd, n);
    this.vouts = grown(this.vouts, n);
  }
}

/** The state of the one gathering in progress (pure and synchronous, so one is enough). */
let gathering: { teeth: Teeth; cloud: EvidenceCloud } | null = null;

/**
 * The visitor gatherCloud hands to the source: always this one function, so the source's loop
 * calls one target and the engine can inline it (a fresh closure per call would not be).
 */
function gatherOne(sats: number, time: number, txid: string, vout: number): void {
  const g = gathering!;
  const j = g.teeth.find(sats);
  if (j < 0) return;
  const usd = g.teeth.usd[j];
  g.cloud.push((usd * SATS_PER_BTC) / sats, time, usd, txid, vout);
}

/**
 * Every candidate output within `tolerance` (log distance, 0.05 ≈ 5 %) of a tooth at `price`;
 * into `into` (emptied first) when given, else into a new cloud.
 */
export function gatherCloud(
  source: CandidateSource,
  model: CombAmounts,
  price: number,
  tolerance: number,
  into?: EvidenceCloud,
): EvidenceCloud {
  // The teeth hold a minority of the outputs: room for half of them rarely needs to grow.
  const cloud = into ?? new EvidenceCloud(source.candidateOutputs >> 1);
  cloud.clear();
  gathering = { teeth: new Teeth(model, price, tolerance), cloud };
  try {
    source.forEachCandidate(gatherOne, gathering.teeth.bins);
  } finally {
    gathering = null;
  }
  return cloud;
}

/** The points of `cloud` whose implied price lies in [low, high], sorted by time, then txid, then vout. */
export function evidenceInBand(cloud: EvidenceCloud, low: number, high: number): EvidencePoint[] {
  const { prices, times, txids, vouts, usd } = cloud;
  // Counted first (an array made at its size fills faster than one grown by push), then made in
  // cloud order. A live window's outputs mostly arrive in time order and a block's all share one
  // time, so they often come sorted already: then they are kept as they are, else sorted (a
  // stable sort on a total order: the same result as sorting indexes).
  let count = 0;
  for (let i = 0; i < cloud.size; i++) if (prices[i] >= low && prices[i] <= high) count++;
  const points = new Array<EvidencePoint>(count);
  let k = 0;
  let sorted = true;
  let last = -1;
  let lastTime = Number.NEGATIVE_INFINITY;
  for (let i = 0; i < cloud.size; i++) {
    const price = prices[i];
    if (!(price >= low && price <= high)) continue;
    const time = times[i];
    // before(cloud, i, last), its time test first: only equal times need the txids.
    if (sorted && last >= 0 && (time < lastTime || (time === lastTime && before(cloud, i, last))))
      sorted = false;
    last = i;
    lastTime = time;
    points[k++] = { time, price, usd: usd[i], txid: txids[i], vout: vouts[i] };
  }
  if (!sorted) points.sort(comparePoints);
  return points;
}

/** The order of evidence points: by time, then txid, then vout. */
function comparePoints(a: EvidencePoint, b: EvidencePoint): number {
  // As `before` both ways: unordered times (NaN) compare equal and stop there.
  if (a.time !== b.time) return a.time < b.time ? -1 : b.time < a.time ? 1 : 0;
  if (a.txid !== b.txid) return a.txid < b.txid ? -1 : 1;
  return a.vout < b.vout ? -1 : a.vout > b.vout ? 1 : 0;
}

/** Point a comes strictly before point b: by time, then txid, then vout. */
function before(cloud: EvidenceCloud, a: number, b: number): boolean {
  const ta = cloud.times[a];
  const tb = cloud.times[b];
  if (ta !== tb) return ta < tb;
  const ia = cloud.txids[a];
  const ib = cloud.txids[b];
  if (ia !== ib) return ia < ib;
  return cloud.vouts[a] < cloud.vouts[b];
}
