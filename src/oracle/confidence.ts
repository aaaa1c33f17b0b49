// How much to trust an estimate, in [0, 1]. In: what the search and the refinement saw (the
// comb's lead over the best rival price, the amount of data and evidence, the spread of the
// cloud). Out: a number that is calibrated on the dev blocks: `chainprice eval` prints, per
// confidence bucket, the median error and the share within 2 %, and higher must mean smaller.

export interface ConfidenceInputs {
  /**
   * Score of the chosen price minus that of the best rival (log-likelihood, nats; comb minus the
   * payment-size penalty): rivals in the searched range and at the ×2, ×2.5, ×4, ×5, ×10 aliases and
   * their inverses wherever they are (aliases.ts); the smaller lead of the two readings of the
   * round-bitcoin piles (crowds or dollar spikes, comb-search.ts); times the share of the comb's
   * score the price keeps without its strongest tooth (one pile of outputs is not a price).
   */
  margin: number;
  /** The chosen price's comb score (nats). */
  score: number;
  /** Candidate outputs in the window. */
  candidates: number;
  /** Evidence points the refined price rests on. */
  used: number;
}

/**
 * A lead of this many nats over the best rival gives 63 % of full trust from the margin term.
 * The Poisson score treats outputs as independent; they are not (one wallet pays many outputs),
 * so a lead is worth far less than its nominal odds. Chosen on the leave-one-day-out evaluation of
 * the dev blocks and windows: the largest lead of an estimate off by more than 5 % was 5.9 nats
 * (a ÷5 alias, confidence 0.33), half of what 0.5 needs (10.4); correct estimates of large blocks
 * and pooled windows lead by 10–125 nats.
 */
export const MARGIN_SCALE = 15;
/** Windows with fewer candidate outputs get no trust at all: single tiny blocks. */
export const CANDIDATES_NONE = 300;
/** Windows with this many candidate outputs or more are trusted fully as far as size goes. */
export const CANDIDATES_FULL = 1500;

export function confidenceOf(inputs: ConfidenceInputs): number {
  const { margin, candidates } = inputs;
  if (!(margin > 0) || !(candidates > CANDIDATES_NONE)) return 0;
  const fromMargin = 1 - Math.exp(-margin / MARGIN_SCALE);
  const fromSize = Math.min(1, (candidates - CANDIDATES_NONE) / (CANDIDATES_FULL - CANDIDATES_NONE));
  const c = fromMargin * fromSize;
  return Math.min(1, Math.max(0, c));
}
