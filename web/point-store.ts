// The evidence points the chart shows, kept in typed arrays (no object per point) so 100,000 of
// them cost about 2 MB and iterate fast. In: points (time, implied price, matched USD amount),
// oldest first. Out: parallel arrays indexed 0 (oldest) .. length-1 (newest), and a version number
// that changes with every edit so drawings can be cached. Pure (no DOM).

/** Points kept at most: twice the 100,000 the chart must draw at 30 fps, about 5 MB of arrays. */
export const MAX_RETAINED_POINTS = 200_000;
/** When full, drop this share of the oldest points at once, so appending stays O(1) amortised. */
const DROP_SHARE_WHEN_FULL = 0.25;

export interface PointInput {
  timestamp: number;
  price: number;
  usd: number;
}

export class PointStore {
  readonly capacity: number;
  /** Unix seconds. */
  readonly time: Float64Array;
  /** Implied price, USD per BTC. */
  readonly price: Float64Array;
  /** The round USD amount matched. */
  readonly usd: Float32Array;
  length = 0;
  version = 0;
  /** Smallest and largest timestamp held (NaN when empty). */
  minTime = Number.NaN;
  maxTime = Number.NaN;

  constructor(capacity = MAX_RETAINED_POINTS) {
    if (!(capacity >= 1)) throw new Error('PointStore: capacity must be at least 1');
    this.capacity = Math.floor(capacity);
    this.time = new Float64Array(this.capacity);
    this.price = new Float64Array(this.capacity);
    this.usd = new Float32Array(this.capacity);
  }

  clear(): void {
    this.length = 0;
    this.minTime = Number.NaN;
    this.maxTime = Number.NaN;
    this.version++;
  }

  /** Appends points, skipping any with a non-finite or non-positive price or time. Returns how many were kept. */
  append(points: readonly PointInput[]): number {
    let kept = 0;
    for (const p of points) {
      if (!(p.price > 0) || !Number.isFinite(p.price) || !Number.isFinite(p.timestamp)) continue;
      if (this.length === this.capacity)
        this.dropOldest(Math.max(1, Math.floor(this.capacity * DROP_SHARE_WHEN_FULL)));
      const i = this.length++;
      this.time[i] = p.timestamp;
      this.price[i] = p.price;
      this.usd[i] = Number.isFinite(p.usd) ? p.usd : 0;
      if (!(p.timestamp >= this.minTime)) this.minTime = p.timestamp;
      if (!(p.timestamp <= this.maxTime)) this.maxTime = p.timestamp;
      kept++;
    }
    if (kept > 0) this.version++;
    return kept;
  }

  /** Removes points older than `cutoff` (Unix seconds). Points arrive oldest first, so it scans from the start. */
  dropOlderThan(cutoff: number): number {
    let n = 0;
    while (n < this.length && this.time[n] < cutoff) n++;
    if (n > 0) this.dropOldest(n);
    return n;
  }

  private dropOldest(n: number): void {
    const count = Math.min(n, this.length);
    this.time.copyWithin(0, count, this.length);
    this.price.copyWithin(0, count, this.length);
    this.usd.copyWithin(0, count, this.length);
    this.length -= count;
    this.recomputeTimeRange();
    this.version++;
  }

  private recomputeTimeRange(): void {
    let lo = Number.NaN;
    let hi = Number.NaN;
    for (let i = 0; i < this.length; i++) {
      const t = this.time[i];
      if (!(t >= lo)) lo = t;
      if (!(t <= hi)) hi = t;
    }
    this.minTime = lo;
    this.maxTime = hi;
  }

  /**
   * The price range holding all but `tail` of the points at each end (e.g. 0.005 for the
   * 0.5 %–99.5 % range), from an evenly spaced sample of at most `sampleSize` points.
   */
  robustPriceRange(tail: number, sampleSize = 4096): { low: number; high: number } | null {
    if (this.length === 0) return null;
    const n = Math.min(this.length, sampleSize);
    const sample = new Float64Array(n);
    const stride = this.length / n;
    for (let i = 0; i < n; i++) sample[i] = this.price[Math.floor(i * stride)];
    sample.sort();
    const lowIndex = Math.floor(tail * (n - 1));
    const highIndex = Math.ceil((1 - tail) * (n - 1));
    return { low: sample[lowIndex], high: sample[highIndex] };
  }
}
