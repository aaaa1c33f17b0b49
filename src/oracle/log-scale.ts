// The log scale of satoshi amounts shared by the histogram, the comb and the browser panel.
// In: an amount in satoshis. Out: its continuous position on the scale (in bins) or its bin index.
// One decade of satoshis holds BINS_PER_DECADE bins, so a bin is a ratio of 10^(1/200) ≈ 1.16 %:
// a price change of x % moves every round-dollar amount by the same number of bins.
//
//   bin 0            bin 200          ...         bin 1999
//   |10^3 sats ... 10^4 sats ... ... 10^13 sats|
//   10^-5 BTC                           10^5 BTC

/** The product's resolution: about one day's typical price noise per bin. */
export const BINS_PER_DECADE = 200;
/** log10 of the smallest amount the scale holds: 1,000 sats (10^-5 BTC), near the dust limit. */
export const SCALE_MIN_LOG10_SATS = 3;
/** log10 of the largest amount the scale holds: 10^13 sats (10^5 BTC), above any payment. */
export const SCALE_MAX_LOG10_SATS = 13;
export const SCALE_BINS = (SCALE_MAX_LOG10_SATS - SCALE_MIN_LOG10_SATS) * BINS_PER_DECADE;

const MIN_SATS = 10 ** SCALE_MIN_LOG10_SATS;
const MAX_SATS = 10 ** SCALE_MAX_LOG10_SATS;

/** Continuous position of `sats` on the scale, in bins (bin i covers [i, i + 1)). */
export function scalePosition(sats: number): number {
  return (Math.log10(sats) - SCALE_MIN_LOG10_SATS) * BINS_PER_DECADE;
}

/** The bin holding `sats`, or -1 when the amount is not a finite number inside the scale. */
export function binOfSats(sats: number): number {
  if (!(sats >= MIN_SATS && sats <= MAX_SATS)) return -1;
  const bin = Math.floor(scalePosition(sats));
  return bin < 0 ? 0 : bin >= SCALE_BINS ? SCALE_BINS - 1 : bin;
}

/** The price (USD per BTC) as a continuous shift on the scale: log10(price) in bins. */
export function shiftOfPrice(price: number): number {
  return Math.log10(price) * BINS_PER_DECADE;
}

export function priceOfShift(shift: number): number {
  return 10 ** (shift / BINS_PER_DECADE);
}

/** Where an amount of `usd` dollars sits on the scale at price shift 0 (1 USD per BTC). */
export function usdPosition(usd: number): number {
  return (Math.log10(usd) + 8 - SCALE_MIN_LOG10_SATS) * BINS_PER_DECADE;
}
