// What the estimator reads: the histogram of candidate outputs and a way to visit those outputs.
// The live window (window.ts) and the offline lists (CandidateList below: a block's outputs, an
// output CSV, a synthetic sample) both provide it. In: candidate outputs. Out: counts and a visit.

import { LogHistogram } from './log-histogram.ts';
import { binOfSats } from './log-scale.ts';

export interface CandidateSource {
  /** Histogram counts on the log scale (log-scale.ts); the estimator never changes them. */
  readonly counts: Int32Array;
  /** Number of candidate outputs in the histogram. */
  readonly candidateOutputs: number;
  /**
   * Calls `visit` once for every output in the histogram, in any order; with `bins`, only for the
   * outputs whose histogram bin b has bins[b] !== 0 (a fast way to skip most of a large window).
   */
  forEachCandidate(
    visit: (sats: number, time: number, txid: string, vout: number) => void,
    bins?: Uint8Array,
  ): void;
}

/** A fixed list of candidate outputs, already filtered by the caller. */
export class CandidateList implements CandidateSource {
  private readonly histogram = new LogHistogram();
  private readonly values: number[] = [];
  private readonly bins: number[] = [];
  private readonly times: number[] = [];
  private readonly txids: string[] = [];
  private readonly vouts: number[] = [];

  get counts(): Int32Array {
    return this.histogram.counts;
  }

  get candidateOutputs(): number {
    return this.histogram.total;
  }

  /** Adds one output; false (and nothing added) when the value is not on the scale. */
  add(sats: number, time: number, txid: string, vout: number): boolean {
    const bin = binOfSats(sats);
    if (bin < 0) return false;
    this.histogram.add(bin);
    this.values.push(sats);
    this.bins.push(bin);
    this.times.push(time);
    this.txids.push(txid);
    this.vouts.push(vout);
    return true;
  }

  forEachCandidate(visit: (sats: number, time: number, txid: string, vout: number) => void): void {
    for (let i = 0; i < this.values.length; i++)
      visit(this.values[i], this.times[i], this.txids[i], this.vouts[i]);
  }
}
