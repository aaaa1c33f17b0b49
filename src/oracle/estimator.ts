// The estimator: candidate outputs in, a price with its evidence and confidence out (or "no
// estimate" with a reason). Pure and deterministic: the same outputs give the same result, bit
// for bit, in whatever order they are visited.
//
//   histogram ──comb search──▶ coarse price ──parabola──▶ sub-bin price
//             ──evidence (outputs near U / price)──▶ implied prices ──iterated median──▶ price
//             ──margin over the best rival, sizes──▶ confidence

import { grouped } from '../format/number.ts';
import { aliasScores } from './aliases.ts';
import type { CandidateSource } from './candidate-source.ts';
import type { CombModel } from './comb-model.ts';
import { bestRivalIndex, combScores, scoreWithoutStrongestTooth } from './comb-search.ts';
import { confidenceOf } from './confidence.ts';
import { combAt } from './era.ts';
import { EvidenceCloud, type EvidencePoint, evidenceInBand, gatherCloud } from './evidence.ts';
import { priceOfShift, shiftOfPrice } from './log-scale.ts';
import { parabolaVertexOffset } from './parabola.ts';
import { medianLog10Sats, paymentSizePenalties } from './payment-size.ts';
import { type Refined, refinePrice } from './refine.ts';
import { CumulativeCounts } from './tooth.ts';

export type { EvidencePoint } from './evidence.ts';

/** Lowest price a cold search considers: below every price bitcoin had with a payment economy. */
export const DEFAULT_MIN_PRICE = 10;
/** Highest price a cold search considers: a hundred times the highest price seen so far. */
export const DEFAULT_MAX_PRICE = 10_000_000;
/** A seeded search looks within ±30 % of the seed: a day's move never comes close. */
export const SEED_RANGE = 1.3;
/** Fewer candidate outputs than this cannot show a spike above noise: no estimate. */
export const MIN_CANDIDATE_OUTPUTS = 50;
/** A price needs at least this many evidence points under it. */
export const MIN_EVIDENCE = 10;
/** A rival price must be at least 5 bins (≈ 6 %) away: closer, it is the same peak's shoulder. */
export const RIVAL_MIN_DISTANCE_BINS = 5;

/** The refinement's knobs, chosen by measurement on the dev blocks (see `chainprice eval`). */
export interface RefineTuning {
  /** Outputs within this log distance of a comb amount at the coarse price are evidence. */
  evidenceTolerance: number;
  /** The iterated median looks at implied prices within this log distance of its guess. */
  band: number;
}

export const DEFAULT_REFINE_TUNING: Readonly<RefineTuning> = Object.freeze({
  evidenceTolerance: 0.04, // ±4 %: the coarse price is within half a bin (0.6 %) of the spike, the band moves at most 2 %
  band: 0.02, // ±2 %: holds the whole spike (±1 %); wider only adds background (eval: no gain at 3 %)
});

export interface EstimateOptions {
  /** A price known to be close (±30 %): search only around it. Omit (or null) for a cold search. */
  seed?: number | null;
  /**
   * When the outputs were made (Unix seconds: a block's time, the live window's clock): picks the
   * era's comb (era.ts). Omit for the era-free comb with no payment-size term.
   */
  time?: number | null;
  /** The price range of a cold search. */
  minPrice?: number;
  maxPrice?: number;
  tuning?: RefineTuning;
}

export interface PriceEstimate {
  ok: true;
  /** USD per BTC. */
  price: number;
  /** In [0, 1] (confidence.ts). */
  confidence: number;
  /** The comb's price before refinement. */
  coarsePrice: number;
  seed: number | null;
  mode: 'cold' | 'seeded';
  /** The outputs the price rests on, sorted by time, then txid, then vout. */
  evidence: EvidencePoint[];
  /** Candidate outputs in the window. */
  candidates: number;
  /** Evidence points: outputs within the refinement band of the price (= evidence.length). */
  outputsUsed: number;
  /** Comb score (log-likelihood ratio, nats) of the coarse price. */
  score: number;
  /**
   * The lead (nats) the confidence rests on: the least of the leads over the best rival, in range
   * or at an alias, under both readings of the round-bitcoin piles, and without the strongest tooth.
   */
  lead: number;
  /** The best rival price in the searched range and its score (null when the range had none). */
  rivalPrice: number | null;
  rivalScore: number | null;
}

export interface NoEstimate {
  ok: false;
  /** One sentence for a person. */
  reason: string;
  candidates: number;
  seed: number | null;
  mode: 'cold' | 'seeded';
}

export type Estimate = PriceEstimate | NoEstimate;

/**
 * The one evidence cloud every estimate fills and empties again (estimates are synchronous): a
 * live window's estimate then allocates no arrays for it. It keeps no txid between estimates.
 */
const scratchCloud = new EvidenceCloud();

function usd(price: number): string {
  return `$${grouped(price, 2).replace(/\.?0+$/, '')}`;
}

export function estimatePrice(
  source: CandidateSource,
  model: CombModel,
  options: EstimateOptions = {},
): Estimate {
  const candidates = source.candidateOutputs;
  const rawSeed = options.seed ?? null;
  const mode = rawSeed === null ? 'cold' : 'seeded';
  const none = (reason: string): NoEstimate => ({
    ok: false,
    reason,
    candidates,
    seed: typeof rawSeed === 'number' ? rawSeed : null,
    mode,
  });

  const minPrice = options.minPrice ?? DEFAULT_MIN_PRICE;
  const maxPrice = options.maxPrice ?? DEFAULT_MAX_PRICE;
  if (!(Number.isFinite(minPrice) && Number.isFinite(maxPrice) && minPrice > 0 && maxPrice > minPrice))
    return none(`the price range ${minPrice}–${maxPrice} is not a range of positive prices`);
  let low = minPrice;
  let high = maxPrice;
  if (rawSeed !== null) {
    if (typeof rawSeed !== 'number' || !Number.isFinite(rawSeed) || rawSeed <= 0)
      return none(`the seed price ${String(rawSeed)} is not a positive number`);
    if (rawSeed < minPrice || rawSeed > maxPrice)
      return none(
        `the seed price ${usd(rawSeed)} is outside the price range ${usd(minPrice)}–${usd(maxPrice)}`,
      );
    low = Math.max(minPrice, rawSeed / SEED_RANGE);
    high = Math.min(maxPrice, rawSeed * SEED_RANGE);
  }
  if (candidates < MIN_CANDIDATE_OUTPUTS)
    return none(`too few candidate outputs: ${candidates} (at least ${MIN_CANDIDATE_OUTPUTS} needed)`);

  // Coarse search on the bin grid, one extra shift on each side for the parabola. Each shift's
  // score is the comb's minus the payment-size penalty of its era (payment-size.ts).
  const comb = combAt(model, options.time);
  const first = Math.ceil(shiftOfPrice(low));
  const last = Math.floor(shiftOfPrice(high));
  if (last < first) return none('the price range is narrower than one bin');
  const cum = new CumulativeCounts(source.counts);
  const medianSats = medianLog10Sats(source.counts, candidates);
  const width = last - first + 3;
  const spikeScores = new Float64Array(width);
  const combOnly = combScores(cum, comb, first - 1, last + 1, spikeScores);
  const penalties = paymentSizePenalties(
    medianSats,
    candidates,
    comb.typicalPaymentLog10Usd,
    first - 1,
    new Float64Array(width),
  );
  const scores = new Float64Array(width);
  for (let k = 0; k < width; k++) {
    scores[k] = combOnly[k] - penalties[k];
    spikeScores[k] -= penalties[k];
  }
  const inner = scores.subarray(1, scores.length - 1);
  // The best price among those where the comb sees a pattern at all (a shift with no pattern can
  // only win by its payment-size term).
  let peak = -1;
  for (let k = 0; k < inner.length; k++)
    if (combOnly[k + 1] > 0 && (peak < 0 || inner[k] > inner[peak])) peak = k;
  if (peak < 0) return none('no round-dollar pattern stands out in the candidate outputs');
  const score = inner[peak];
  const offset = parabolaVertexOffset(scores[peak], scores[peak + 1], scores[peak + 2]);
  const coarsePrice = priceOfShift(first + peak + offset);
  const rival = bestRivalIndex(inner, peak, RIVAL_MIN_DISTANCE_BINS);

  // Refinement over the implied prices of the evidence outputs.
  const tuning = options.tuning ?? DEFAULT_REFINE_TUNING;
  const cloud = gatherCloud(source, comb, coarsePrice, tuning.evidenceTolerance, scratchCloud);
  let refined: Refined;
  let evidence: EvidencePoint[];
  try {
    refined = refinePrice(cloud.prices, cloud.size, coarsePrice, tuning.band, tuning.evidenceTolerance);
    if (refined.used < MIN_EVIDENCE)
      return none(
        `too little evidence: ${refined.used} outputs near round amounts (at least ${MIN_EVIDENCE} needed)`,
      );
    const factor = Math.exp(tuning.band);
    evidence = evidenceInBand(cloud, refined.price / factor, refined.price * factor);
  } finally {
    cloud.clear();
  }

  // The lead over the best rival: in the searched range, and at the ×2, ×5, ×10 aliases wherever
  // they are (aliases.ts); under both readings of the round-bitcoin piles (comb-search.ts); and
  // with the price's strongest tooth taken away (one pile is not a price).
  const rivalScore = rival >= 0 ? inner[rival] : null;
  const aliases = aliasScores(cum, comb, first + peak, medianSats);
  const spikes = spikeScores.subarray(1, spikeScores.length - 1);
  const spikeRival = bestRivalIndex(spikes, peak, RIVAL_MIN_DISTANCE_BINS);
  const bestRival = Math.max(rivalScore ?? 0, aliases.best, 0);
  const bestSpikeRival = Math.max(spikeRival >= 0 ? spikes[spikeRival] : 0, aliases.bestAsSpikes, 0);
  // Breadth: the share of the comb's score the price keeps without its strongest tooth.
  const combScore = combOnly[peak + 1];
  const breadth = Math.min(1, Math.max(0, scoreWithoutStrongestTooth(cum, comb, first + peak) / combScore));
  const margin = Math.min(score - bestRival, spikes[peak] - bestSpikeRival) * breadth;
  const confidence = confidenceOf({ margin, score, candidates, used: refined.used });
  return {
    ok: true,
    price: refined.price,
    confidence,
    coarsePrice,
    seed: rawSeed,
    mode,
    evidence,
    candidates,
    outputsUsed: evidence.length,
    score,
    lead: margin,
    rivalPrice: rival >= 0 ? priceOfShift(first + rival) : null,
    rivalScore,
  };
}
