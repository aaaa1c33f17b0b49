// The refined price: a robust centre of the cloud of implied prices. In: the implied prices,
// sorted ascending, and a first guess (the coarse price). Out: the fixed point of "the median of
// the points within ±band of the guess" and how many points it rests on.
// Background outputs spread evenly on a log scale pull a window's median toward the window's
// centre from both sides alike, so the fixed point sits on the spike, not on the first guess.

/** Enough for the fixed point to settle to well under 0.01 % on every dev block. */
export const REFINE_MAX_ITERATIONS = 100;
/** Stop when a step moves the price by less than this fraction. */
const CONVERGED = 1e-9;

export interface Refined {
  price: number;
  /** Points within ±band of the final price. */
  used: number;
}

/** First index i with sorted[i] >= value. */
function lowerBound(sorted: Float64Array, value: number): number {
  let lo = 0;
  let hi = sorted.length;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (sorted[mid] < value) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

/** First index i with sorted[i] > value. */
function upperBound(sorted: Float64Array, value: number): number {
  let lo = 0;
  let hi = sorted.length;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (sorted[mid] <= value) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

/** Points in [price / e^band, price × e^band]: [first, end) indexes of `sorted`. */
export function bandRange(sorted: Float64Array, price: number, band: number): [number, number] {
  const factor = Math.exp(band);
  return [lowerBound(sorted, price / factor), upperBound(sorted, price * factor)];
}

export function refinePrice(sorted: Float64Array, guess: number, band: number): Refined {
  let price = guess;
  for (let i = 0; i < REFINE_MAX_ITERATIONS; i++) {
    const [first, end] = bandRange(sorted, price, band);
    const n = end - first;
    if (n === 0) break;
    const mid = first + (n >> 1);
    const median = n % 2 === 1 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
    const moved = Math.abs(median - price) / price;
    price = median;
    if (moved < CONVERGED) break;
  }
  const [first, end] = bandRange(sorted, price, band);
  return { price, used: end - first };
}
