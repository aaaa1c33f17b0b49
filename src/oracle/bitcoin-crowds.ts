// Crowds at round bitcoin amounts: outputs a little above or below 0.001, 0.002, 0.005, 0.01 BTC…
// (a round amount plus a fee or some dust; the exact round values are already filtered out,
// round-bitcoin.ts). They sit still whatever the price, so they are part of the background the
// dollar comb is judged against, never evidence for it.
// In: the window's cumulative counts. Out: each 1-2-5 amount's crowd (its excess over the local
// background, measured in this window) and, for any tooth position, how many outputs the crowds
// put under it.
//
// When a dollar tooth sits on a crowd, the crowd explains the outputs there and the tooth gets no
// credit. A price that lines the comb up with the crowds ($500, $1,000, $2,000… for 2014–2017
// blocks) then wins nothing from them; at a true price near such a number the other teeth ($15,
// $25, $30, $40…) still place it.

import { SCALE_MAX_LOG10_SATS, SCALE_MIN_LOG10_SATS, scalePosition } from './log-scale.ts';
import { type CumulativeCounts, measureTooth, TOOTH_HALF_WIDTH_BINS, type ToothCounts } from './tooth.ts';

/** The bitcoin amounts people send: the 1-2-5 series, as on banknotes. */
export const CROWD_MANTISSAS: readonly number[] = [1, 2, 5];

export interface BitcoinCrowds {
  /** Scale positions (bins) of the amounts with a crowd. */
  positions: Float64Array;
  /** Their excess outputs. */
  sizes: Float64Array;
}

/** The crowds of this window: the excess under a tooth at every 1-2-5 amount on the scale. */
export function measureBitcoinCrowds(cum: CumulativeCounts, backgroundFloor: number): BitcoinCrowds {
  const positions: number[] = [];
  const sizes: number[] = [];
  const tooth: ToothCounts = { peak: 0, background: 0 };
  for (let k = SCALE_MIN_LOG10_SATS; k < SCALE_MAX_LOG10_SATS; k++) {
    for (const m of CROWD_MANTISSAS) {
      const x = scalePosition(m * 10 ** k);
      if (!measureTooth(cum, x, tooth)) continue;
      const excess = tooth.peak - Math.max(tooth.background, backgroundFloor);
      if (excess > 0) {
        positions.push(x);
        sizes.push(excess);
      }
    }
  }
  return { positions: new Float64Array(positions), sizes: new Float64Array(sizes) };
}

/**
 * Outputs the crowds put under a tooth at x: each crowd's size times the overlap of its
 * tooth-wide window with this tooth's (1 when centred on it, 0 a tooth width away).
 */
export function crowdUnder(crowds: BitcoinCrowds, x: number): number {
  const width = 2 * TOOTH_HALF_WIDTH_BINS;
  let extra = 0;
  for (let i = 0; i < crowds.positions.length; i++) {
    const d = Math.abs(crowds.positions[i] - x);
    if (d < width) extra += crowds.sizes[i] * (1 - d / width);
  }
  return extra;
}
