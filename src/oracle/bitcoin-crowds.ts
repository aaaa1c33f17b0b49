// Crowds at round bitcoin amounts: outputs a little above 0.001, 0.002, 0.005, 0.01 BTC… (a
// round amount plus a fee or some dust; the exact round values are already filtered out,
// round-bitcoin.ts). They sit still whatever the price, so they are part of the background the
// dollar comb is judged against, never evidence for it.
// In: the window's cumulative counts. Out: each 1-2-5 amount's crowd, measured in this window, and
// for any tooth position how many outputs the crowds put under it.
//
// A crowd is told from a dollar spike by its shape: it sits on one side of the round amount, while
// payments of a round dollar amount spread evenly on both sides of U / price (wallets' exchange
// rates differ both ways). Above: a round amount plus a fee or some dust. Below: the change of
// equal round coins (one wallet paying from 0.1 BTC coins leaves change just under 0.1 BTC), or a
// round amount less a fee. So a crowd's size is the difference between the half-tooth just above
// the amount and the half-tooth just below it:
//
//            below │ above
//        ....::::::│::::::::::::....      dollar spike at a round price: above ≈ below, no crowd
//                  │:::::::::::..         bitcoin crowd: above ≫ below, a crowd
//       ..:::::::::│                      change of round coins: below ≫ above, a crowd
//                  R
//
// When a dollar tooth sits on a crowd, the crowd explains those outputs and the tooth gets no
// credit for them: a price that lines the comb up with the crowds ($500, $1,000, $2,000… for the
// 2014–2017 blocks) wins nothing from them, while a true price near such a number keeps its
// spikes (0.001 BTC is $100 at $100,000).

import { SCALE_BINS, SCALE_MAX_LOG10_SATS, SCALE_MIN_LOG10_SATS, scalePosition } from './log-scale.ts';
import { type CumulativeCounts, TOOTH_HALF_WIDTH_BINS } from './tooth.ts';

/**
 * A crowd below a round amount counts only beyond this many standard deviations (Poisson) of the
 * two half-teeth. Measured: with 0, demo blocks at $100,000 and $200,000 lose 2–4 of 40 blocks to
 * the ×2 alias; with 1 they keep them, and the dev blocks read as with 0.
 */
export const BELOW_NOISE_SIGMAS = 1;

/** The bitcoin amounts people send: the 1-2-5 series, as on banknotes. */
export const CROWD_MANTISSAS: readonly number[] = [1, 2, 5];

export interface BitcoinCrowds {
  /** Scale positions (bins) of the amounts with a crowd. */
  positions: Float64Array;
  /** Their excess outputs. */
  sizes: Float64Array;
  /** 1 for the bins within a tooth width of some crowd: elsewhere crowdUnder is 0 at once. */
  near: Uint8Array;
}

/** The crowds of this window: at every 1-2-5 amount, the difference between its two half-teeth. */
export function measureBitcoinCrowds(cum: CumulativeCounts): BitcoinCrowds {
  const positions: number[] = [];
  const sizes: number[] = [];
  const h = TOOTH_HALF_WIDTH_BINS;
  for (let k = SCALE_MIN_LOG10_SATS; k < SCALE_MAX_LOG10_SATS; k++) {
    for (const m of CROWD_MANTISSAS) {
      const x = scalePosition(m * 10 ** k);
      const at = cum.below(x);
      const above = cum.below(x + h) - at;
      const below = at - cum.below(x - h);
      // A pile below must stand out of the noise by one standard deviation: the change of round
      // coins is a large pile, while a dollar spike that happens to sit on the amount (at a
      // round price) is as likely to lean below as above by chance.
      const excess =
        above >= below ? above - below : below - above - BELOW_NOISE_SIGMAS * Math.sqrt(above + below);
      if (excess > 0) {
        positions.push(x);
        sizes.push(excess);
      }
    }
  }
  const near = new Uint8Array(SCALE_BINS + 1);
  for (const p of positions) {
    const from = Math.max(0, Math.floor(p - 2 * h) - 1);
    const to = Math.min(SCALE_BINS, Math.ceil(p + 2 * h) + 1);
    for (let b = from; b <= to; b++) near[b] = 1;
  }
  return { positions: new Float64Array(positions), sizes: new Float64Array(sizes), near };
}

/**
 * Outputs the crowds put under a tooth at x: each crowd's size times the overlap of its
 * tooth-wide window with this tooth's (1 when centred on it, 0 a tooth width away).
 */
export function crowdUnder(crowds: BitcoinCrowds, x: number): number {
  const bin = Math.floor(x);
  if (!(bin >= 0 && bin <= SCALE_BINS) || crowds.near[bin] === 0) return 0;
  const width = 2 * TOOTH_HALF_WIDTH_BINS;
  let extra = 0;
  for (let i = 0; i < crowds.positions.length; i++) {
    const d = Math.abs(crowds.positions[i] - x);
    if (d < width) extra += crowds.sizes[i] * (1 - d / width);
  }
  return extra;
}
