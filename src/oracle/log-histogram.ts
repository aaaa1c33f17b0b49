// The window's histogram of candidate outputs on the log scale (log-scale.ts): integer counts, so a
// rolling window adds and removes outputs exactly and the same outputs always give the same counts.
// In: bins to add or remove. Out: the counts and their total.

import { SCALE_BINS } from './log-scale.ts';

export class LogHistogram {
  readonly counts = new Int32Array(SCALE_BINS);
  private count = 0;

  get total(): number {
    return this.count;
  }

  add(bin: number): void {
    this.counts[bin]++;
    this.count++;
  }

  /** Removes one output from `bin`; the caller guarantees it was added. */
  remove(bin: number): void {
    if (this.counts[bin] <= 0) throw new Error(`histogram bin ${bin} is already empty`);
    this.counts[bin]--;
    this.count--;
  }

  clear(): void {
    this.counts.fill(0);
    this.count = 0;
  }
}
