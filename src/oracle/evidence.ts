// The evidence of a price: every candidate output lying within a few percent of a round amount
// U / price gives one implied price U / value. In: the candidate outputs, the comb and a price.
// Out: the evidence points (the cloud the chart shows), in no particular order.

import type { CandidateSource } from './candidate-source.ts';
import type { CombModel } from './comb-model.ts';

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

/**
 * Outputs whose implied price is within `tolerance` (natural-log distance, 0.05 ≈ 5 %) of `price`
 * for their nearest comb amount.
 */
export function collectEvidence(
  source: CandidateSource,
  model: CombModel,
  price: number,
  tolerance: number,
): EvidencePoint[] {
  const amounts = model.amounts; // sorted by usd (comb-model.ts)
  const logUsd = amounts.map((a) => Math.log(a.usd));
  const logPrice = Math.log(price);
  const points: EvidencePoint[] = [];
  source.forEachCandidate((sats, time, txid, vout) => {
    // The dollar amount this output is worth at `price`, and the comb amount nearest to it.
    const x = Math.log(sats / SATS_PER_BTC) + logPrice;
    let lo = 0;
    let hi = logUsd.length - 1;
    while (hi - lo > 1) {
      const mid = (lo + hi) >> 1;
      if (logUsd[mid] <= x) lo = mid;
      else hi = mid;
    }
    const j = Math.abs(logUsd[lo] - x) <= Math.abs(logUsd[hi] - x) ? lo : hi;
    if (Math.abs(logUsd[j] - x) > tolerance) return;
    const usd = amounts[j].usd;
    points.push({ time, price: (usd * SATS_PER_BTC) / sats, usd, txid, vout });
  });
  return points;
}

/** Orders evidence by time, then txid, then vout: the same points always come out the same way. */
export function compareEvidence(a: EvidencePoint, b: EvidencePoint): number {
  if (a.time !== b.time) return a.time - b.time;
  if (a.txid !== b.txid) return a.txid < b.txid ? -1 : 1;
  return a.vout - b.vout;
}
