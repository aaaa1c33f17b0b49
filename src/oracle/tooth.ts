// One tooth of the comb: how many outputs sit at a point of the log scale, against the local
// background around it. In: the histogram (as cumulative counts) and a continuous position in bins.
// Out: the count under the tooth and the count the background alone would put there.
// The comb search and the calibration measure teeth the same way, through this file.
//
//        ring            tooth           ring
//   |-----------|     |--x--|     |-----------|
//   x-30      x-6    x-1.5 x+1.5   x+6      x+30     (bins)

import { SCALE_BINS } from './log-scale.ts';

/**
 * Half the width of a tooth, in bins (±1.7 %). Measured on the dev blocks: round-dollar outputs
 * sit within about ±1 % of the exact amount (wallet rates differ a little from the exchange's),
 * so three bins hold nearly all of a spike and little else.
 */
export const TOOTH_HALF_WIDTH_BINS = 1.5;
/** The background ring starts 6 bins (7 %) away: clear of the spike and of the tooth's own shoulders. */
export const RING_INNER_BINS = 6;
/** ...and ends 30 bins (35 %) away: wide enough for a steady count, narrow enough to stay local. */
export const RING_OUTER_BINS = 30;
/** The farthest a tooth's measurement reaches from its centre. */
export const TOOTH_REACH_BINS = RING_OUTER_BINS;

/** Prefix sums of a histogram, read at continuous positions (counts spread evenly inside a bin). */
export class CumulativeCounts {
  readonly prefix: Float64Array;
  readonly counts: Int32Array;
  readonly total: number;

  constructor(counts: Int32Array) {
    this.counts = counts;
    this.prefix = new Float64Array(counts.length + 1);
    let sum = 0;
    for (let i = 0; i < counts.length; i++) {
      sum += counts[i];
      this.prefix[i + 1] = sum;
    }
    this.total = sum;
  }

  /** Outputs below continuous position y. */
  below(y: number): number {
    if (y <= 0) return 0;
    if (y >= this.counts.length) return this.total;
    const i = Math.floor(y);
    return this.prefix[i] + (y - i) * this.counts[i];
  }
}

/** A tooth's measurement: `peak` outputs under it, `background` expected there from the ring. */
export interface ToothCounts {
  peak: number;
  background: number;
}

/** Measures the tooth at `x` into `out`; false (and `out` untouched) when its ring leaves the scale. */
export function measureTooth(cum: CumulativeCounts, x: number, out: ToothCounts): boolean {
  if (x - RING_OUTER_BINS < 0 || x + RING_OUTER_BINS > SCALE_BINS) return false;
  const peak = cum.below(x + TOOTH_HALF_WIDTH_BINS) - cum.below(x - TOOTH_HALF_WIDTH_BINS);
  const ring =
    cum.below(x - RING_INNER_BINS) -
    cum.below(x - RING_OUTER_BINS) +
    cum.below(x + RING_OUTER_BINS) -
    cum.below(x + RING_INNER_BINS);
  out.peak = peak;
  out.background = (ring / (2 * (RING_OUTER_BINS - RING_INNER_BINS))) * (2 * TOOTH_HALF_WIDTH_BINS);
  return true;
}
