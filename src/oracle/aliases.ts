// The aliases of a price: where the same round-dollar spikes meet other round amounts. The comb's
// amounts follow the 1-2-5 pattern in every decade, so a histogram that fits price P also fits,
// less well, P × 2, P × 2.5, P × 5, P × 10 and their inverses ($100 read as $50, $20 or $10). In:
// the histogram, the era's comb, the chosen shift and the payment-size term. Out: the best score
// (comb minus payment-size penalty) near each alias, under both readings of the round-bitcoin
// piles. A price is trusted only as far as it leads all of them, whether or not the search range
// held them: a seeded search (±30 %) never sees them itself.

import type { Comb } from './comb-model.ts';
import { combScores } from './comb-search.ts';
import { BINS_PER_DECADE } from './log-scale.ts';
import { paymentSizePenalties } from './payment-size.ts';
import type { CumulativeCounts } from './tooth.ts';

/** The alias factors: ×2, ×2.5, ×4, ×5, ×10 and their inverses. */
export const ALIAS_FACTORS: readonly number[] = [0.1, 0.2, 0.25, 0.4, 0.5, 2, 2.5, 4, 5, 10];
/** An alias's score is the best within ±3 bins (±3.5 %) of the exact factor: its own spike's width. */
export const ALIAS_REACH_BINS = 3;

export interface AliasScores {
  /** Best score near any alias (crowd reading), −Infinity when none lies on the scale. */
  best: number;
  /** The same with the round-bitcoin piles read as dollar spikes. */
  bestAsSpikes: number;
  /** The price factor of the best alias (crowd reading), or null. */
  factor: number | null;
}

export function aliasScores(
  cum: CumulativeCounts,
  comb: Comb,
  shift: number,
  medianSats: number,
): AliasScores {
  const width = 2 * ALIAS_REACH_BINS + 1;
  const spikes = new Float64Array(width);
  const penalties = new Float64Array(width);
  let best = Number.NEGATIVE_INFINITY;
  let bestAsSpikes = Number.NEGATIVE_INFINITY;
  let factor: number | null = null;
  for (const f of ALIAS_FACTORS) {
    const centre = Math.round(shift + Math.log10(f) * BINS_PER_DECADE);
    const from = centre - ALIAS_REACH_BINS;
    const scores = combScores(cum, comb, from, centre + ALIAS_REACH_BINS, spikes);
    paymentSizePenalties(medianSats, cum.total, comb.typicalPaymentLog10Usd, from, penalties);
    for (let k = 0; k < width; k++) {
      const s = scores[k] - penalties[k];
      if (s > best) {
        best = s;
        factor = f;
      }
      bestAsSpikes = Math.max(bestAsSpikes, spikes[k] - penalties[k]);
    }
  }
  return { best, bestAsSpikes, factor };
}
