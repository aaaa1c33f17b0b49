// The price axis range: wide enough for the evidence cloud (minus stray outliers), the live
// estimate and, when near, the block-window price; steady, so the chart does not twitch on every
// update. In: the cloud's robust range, the prices that must show, the range shown now. Out: the
// range to show. Pure.

export interface PriceRange {
  low: number;
  high: number;
}

/** Space above and below the content, as a share of its span, so points do not touch the frame. */
const PADDING_SHARE = 0.08;
/** The axis never spans less than this share of the price: a flat cloud still shows ±0.25 %. */
const MIN_SPAN_SHARE = 0.005;
/** Keep the shown range while it is at most this many times wider than needed (no zoom on each tick). */
const MAX_SLACK = 1.6;
/** A reference price this far (as a share) from the estimate is not pulled into view: the chart would flatten the cloud. */
const REFERENCE_REACH = 0.1;

/**
 * The range the content needs: `cloud` (may be null), every price in `always`, and `reference`
 * when it lies within REFERENCE_REACH of `anchor`. Null when there is nothing to show.
 */
export function neededRange(
  cloud: PriceRange | null,
  always: readonly (number | null)[],
  reference: number | null,
  anchor: number | null,
): PriceRange | null {
  let low = cloud?.low ?? Number.POSITIVE_INFINITY;
  let high = cloud?.high ?? Number.NEGATIVE_INFINITY;
  for (const p of always) {
    if (p !== null && p > 0) {
      low = Math.min(low, p);
      high = Math.max(high, p);
    }
  }
  if (
    reference !== null &&
    reference > 0 &&
    anchor !== null &&
    Math.abs(reference / anchor - 1) <= REFERENCE_REACH
  ) {
    low = Math.min(low, reference);
    high = Math.max(high, reference);
  }
  if (!(high >= low)) return null;
  const mid = (low + high) / 2;
  const span = Math.max(high - low, mid * MIN_SPAN_SHARE);
  const pad = span * PADDING_SHARE;
  return { low: mid - span / 2 - pad, high: mid + span / 2 + pad };
}

/** The range to show next: the current one while it holds `needed` without too much slack, else `needed`. */
export function nextRange(current: PriceRange | null, needed: PriceRange | null): PriceRange | null {
  if (needed === null) return current;
  if (current === null) return needed;
  const holds = current.low <= needed.low && current.high >= needed.high;
  const slack = (current.high - current.low) / (needed.high - needed.low);
  return holds && slack <= MAX_SLACK ? current : needed;
}
