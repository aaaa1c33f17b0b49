// Where payments sit in dollar terms: the broad term that tells a price from its ×10 and ÷10
// aliases. The comb of round amounts repeats every decade ($1, $10, $100 …), so the comb alone
// hardly tells P from P / 10; the size of a typical payment does: at P / 10 every output is worth
// a tenth as many dollars. In: the histogram of candidate outputs and the era's typical payment
// (comb-model.ts, measured per year). Out: a penalty (nats) for a price whose median candidate
// output sits far from the era's typical payment.
//
//   median output at price P, in log10 USD:   log10(median sats) − 8 + log10(P)
//   its distance from the era's typical:       d = that − typical          (decades)
//   penalty:                                   w × (ν + 1) / 2 × ln(1 + (d / σ)² / ν)
//
// A Student-t, not a Gaussian: blocks of a fee spike (Dec 2017: median $485 against a typical
// $50) stay possible when their round-dollar spikes say so clearly, while an ordinary block read a
// decade off pays for it.

import { BINS_PER_DECADE, SCALE_MIN_LOG10_SATS } from './log-scale.ts';

/** The spread of dev blocks' median payment (log10 USD) around their era's: 0.3 decades. */
export const PAYMENT_SIZE_SPREAD = 0.3;
/** Degrees of freedom of the Student-t: heavy tails for fee spikes and one-service blocks. */
export const PAYMENT_SIZE_DOF = 3;
/**
 * Nats per unit of the t log-density: the comb's Poisson score counts correlated outputs as
 * independent and so overstates its own certainty several-fold. Three gives a decade off a
 * typical payment about 10 nats, about the comb's own ×10 lead on a 2,000-output 2024 block.
 */
export const PAYMENT_SIZE_WEIGHT = 3;
/** Windows with fewer candidate outputs have no meaningful median: no term. */
export const PAYMENT_SIZE_MIN_OUTPUTS = 100;

/** The median candidate output of a histogram, as log10 of satoshis (NaN when empty). */
export function medianLog10Sats(counts: Int32Array, total: number): number {
  if (!(total > 0)) return Number.NaN;
  const half = total / 2;
  let below = 0;
  for (let bin = 0; bin < counts.length; bin++) {
    const next = below + counts[bin];
    if (next >= half) {
      // Spread evenly within the bin, as everywhere on the scale.
      const within = counts[bin] > 0 ? (half - below) / counts[bin] : 0.5;
      return SCALE_MIN_LOG10_SATS + (bin + within) / BINS_PER_DECADE;
    }
    below = next;
  }
  return Number.NaN;
}

/** The penalty (nats, ≥ 0) of a median output `distance` decades from the era's typical payment. */
export function paymentSizePenalty(distance: number): number {
  const t = distance / PAYMENT_SIZE_SPREAD;
  return (PAYMENT_SIZE_WEIGHT * (PAYMENT_SIZE_DOF + 1) * Math.log1p((t * t) / PAYMENT_SIZE_DOF)) / 2;
}

/**
 * Penalties for the shifts firstShift … firstShift + out.length − 1 (a shift is log10(price) in
 * bins), into `out`; all 0 when the era has no typical payment or the window too few outputs.
 */
export function paymentSizePenalties(
  medianSats: number,
  outputs: number,
  typicalLog10Usd: number | null,
  firstShift: number,
  out: Float64Array,
): Float64Array {
  if (typicalLog10Usd === null || outputs < PAYMENT_SIZE_MIN_OUTPUTS || !Number.isFinite(medianSats))
    return out.fill(0);
  for (let k = 0; k < out.length; k++) {
    const log10Usd = medianSats - 8 + (firstShift + k) / BINS_PER_DECADE;
    out[k] = paymentSizePenalty(log10Usd - typicalLog10Usd);
  }
  return out;
}
