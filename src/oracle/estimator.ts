// The estimator: candidate outputs in, a price with its evidence and confidence out (or "no
// estimate" with a reason). Pure and deterministic: the same outputs give the same result, bit
// for bit, in whatever order they are visited.
//
//   histogram ──comb search──▶ coarse price ──parabola──▶ sub-bin price
//             ──evidence (outputs near U / price)──▶ implied prices ──iterated median──▶ price
//             ──margin over the best rival, sizes──▶ confidence

import type { CandidateSource } from './candidate-source.ts';
import type { CombModel } from './comb-model.ts';
import { bestIndex, bestRivalIndex, combScores } from './comb-search.ts';
import { confidenceOf } from './confidence.ts';
import { EvidenceCloud, type EvidencePoint, evidenceInBand, gatherCloud } from './evidence.ts';
import { priceOfShift, shiftOfPrice } from './log-scale.ts';
import { parabolaVertexOffset } from './parabola.ts';
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
  return `$${price.toLocaleString('en-US', { maximumFractionDigits: 2 })}`;
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

  // Coarse search on the bin grid, one extra shift on each side for the parabola.
  const first = Math.ceil(shiftOfPrice(low));
  const last = Math.floor(shiftOfPrice(high));
  if (last < first) return none('the price range is narrower than one bin');
  const cum = new CumulativeCounts(source.counts);
  const spikeScores = new Float64Array(last - first + 3);
  const scores = combScores(cum, model, first - 1, last + 1, spikeScores);
  const inner = scores.subarray(1, scores.length - 1);
  const peak = bestIndex(inner);
  const score = inner[peak];
  if (!(score > 0)) return none('no round-dollar pattern stands out in the candidate outputs');
  const offset = parabolaVertexOffset(scores[peak], scores[peak + 1], scores[peak + 2]);
  const coarsePrice = priceOfShift(first + peak + offset);
  const rival = bestRivalIndex(inner, peak, RIVAL_MIN_DISTANCE_BINS);

  // Refinement over the implied prices of the evidence outputs.
  const tuning = options.tuning ?? DEFAULT_REFINE_TUNING;
  const cloud = gatherCloud(source, model, coarsePrice, tuning.evidenceTolerance, scratchCloud);
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

  const rivalScore = rival >= 0 ? inner[rival] : null;
  // The lead must also hold when the round-bitcoin piles are read as dollar spikes (comb-search.ts).
  const spikes = spikeScores.subarray(1, spikeScores.length - 1);
  const spikeRival = bestRivalIndex(spikes, peak, RIVAL_MIN_DISTANCE_BINS);
  const spikeMargin = spikeRival >= 0 ? spikes[peak] - spikes[spikeRival] : spikes[peak];
  const margin = rivalScore === null ? score : score - rivalScore;
  const confidence = confidenceOf({
    margin: Math.min(margin, spikeMargin),
    score,
    candidates,
    used: refined.used,
  });
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
    rivalPrice: rival >= 0 ? priceOfShift(first + rival) : null,
    rivalScore,
  };
}
