// The live estimate over time, for the line on the chart: one entry per message the page received
// (or per history row fetched on connect). A gap (no estimate) is kept as NaN so the line breaks
// there. In: (time, price | null). Out: parallel typed arrays, oldest first. Pure.

/** Entries kept at most: one per 500 ms update for a day is 172,800; a 3-hour window needs 21,600. */
export const MAX_ESTIMATES = 50_000;

export class EstimateSeries {
  readonly time: Float64Array;
  readonly price: Float64Array;
  length = 0;
  version = 0;

  constructor(capacity = MAX_ESTIMATES) {
    this.time = new Float64Array(capacity);
    this.price = new Float64Array(capacity);
  }

  clear(): void {
    this.length = 0;
    this.version++;
  }

  /** Adds an estimate at `time`; entries not after the last one are ignored (a repeated message). */
  append(time: number, price: number | null): void {
    if (!Number.isFinite(time)) return;
    if (this.length > 0 && time <= this.time[this.length - 1]) return;
    if (this.length === this.time.length) this.dropOldest(Math.ceil(this.time.length / 4));
    this.time[this.length] = time;
    this.price[this.length] = price !== null && price > 0 && Number.isFinite(price) ? price : Number.NaN;
    this.length++;
    this.version++;
  }

  /** Replaces everything with `rows` (sorted by time here), then keeps appending after them. */
  replace(rows: readonly { time: number; price: number | null }[]): void {
    this.length = 0;
    const sorted = [...rows].sort((a, b) => a.time - b.time);
    for (const row of sorted) this.append(row.time, row.price);
    this.version++;
  }

  dropOlderThan(cutoff: number): void {
    let n = 0;
    while (n < this.length && this.time[n] < cutoff) n++;
    if (n > 0) this.dropOldest(n);
  }

  /** The newest finite price, or null. */
  latest(): number | null {
    for (let i = this.length - 1; i >= 0; i--) if (this.price[i] > 0) return this.price[i];
    return null;
  }

  private dropOldest(n: number): void {
    this.time.copyWithin(0, n, this.length);
    this.price.copyWithin(0, n, this.length);
    this.length -= n;
    this.version++;
  }
}
