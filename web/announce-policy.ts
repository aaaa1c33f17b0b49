// When to tell a screen reader about the price: the first estimate, then only a real move, and
// never more often than a person can listen to. The price in the page is always readable; this
// only decides what goes into the polite live region. In: what was announced last, the new price,
// the clock. Out: whether to announce now. Pure.

/** A move smaller than this share of the price is noise for a listener (0.5 % is one histogram bin). */
export const ANNOUNCE_MIN_MOVE = 0.005;
/** Never announce the price more often than this: updates arrive every half second. */
export const ANNOUNCE_MIN_GAP_MS = 30_000;

export interface Announced {
  price: number;
  atMs: number;
}

export function shouldAnnounce(last: Announced | null, price: number | null, nowMs: number): boolean {
  if (price === null || !(price > 0)) return false;
  if (last === null) return true;
  if (nowMs - last.atMs < ANNOUNCE_MIN_GAP_MS) return false;
  return Math.abs(price / last.price - 1) >= ANNOUNCE_MIN_MOVE;
}
