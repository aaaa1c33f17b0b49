// The refined price: a robust centre of the cloud of implied prices. In: the implied prices
// (any order) and a first guess (the coarse price). Out: the fixed point of "the median of the
// points within ±band of the guess" and how many points it rests on.
// Background outputs spread evenly on a log scale pull a window's median toward the window's
// centre from both sides alike, so the fixed point sits on the spike, not on the first guess.
//
// The points are counted into fine buckets (a double's sign, exponent and first 16 mantissa bits:
// about 0.0015 % wide, in price order), so each step is a walk over buckets, not a sort: the same
// points give the same counts in any order, and the median is read far more finely than the
// method's own error.

/** Enough for the fixed point to settle on every dev block (it moves by less each step). */
export const REFINE_MAX_ITERATIONS = 100;

const float = new Float64Array(1);
const words = new Uint32Array(float.buffer);
/** Index of the high word (sign, exponent, top mantissa bits) on this machine. */
const HIGH = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1 ? 1 : 0;
/** Buckets keep 16 of the 20 mantissa bits of the high word. */
const DROPPED_BITS = 4;

/** Bucket of a positive price: increasing with the price. */
function bucketOf(price: number): number {
  float[0] = price;
  return words[HIGH] >>> DROPPED_BITS;
}

/** The price in the middle of a bucket. */
function priceOf(bucket: number): number {
  words[HIGH] = (bucket << DROPPED_BITS) | (1 << (DROPPED_BITS - 1));
  words[1 - HIGH] = 0;
  return float[0];
}

export interface Refined {
  price: number;
  /** Points within ±band of the final price. */
  used: number;
}

/**
 * Refines `guess` over the first `count` of `prices`, all within ±reach (log distance) of the
 * guess; the median is taken over the points within ±band of the current guess.
 */
export function refinePrice(
  prices: Float64Array,
  count: number,
  guess: number,
  band: number,
  reach: number,
): Refined {
  const first = bucketOf(guess * Math.exp(-reach));
  const bins = new Int32Array(bucketOf(guess * Math.exp(reach)) - first + 1);
  for (let i = 0; i < count; i++) {
    const k = bucketOf(prices[i]) - first;
    if (k >= 0 && k < bins.length) bins[k]++;
  }
  const factor = Math.exp(band);
  let price = guess;
  let used = 0;
  for (let step = 0; step < REFINE_MAX_ITERATIONS; step++) {
    const lo = Math.max(0, bucketOf(price / factor) - first);
    const hi = Math.min(bins.length - 1, bucketOf(price * factor) - first);
    let n = 0;
    for (let k = lo; k <= hi; k++) n += bins[k];
    used = n;
    if (n === 0) break;
    // The bucket holding the middle point (the lower middle for an even count).
    const target = (n + 1) >> 1;
    let seen = 0;
    let k = lo;
    for (; k < hi; k++) {
      seen += bins[k];
      if (seen >= target) break;
    }
    const next = priceOf(first + k);
    if (next === price) break;
    price = next;
  }
  return { price, used };
}
