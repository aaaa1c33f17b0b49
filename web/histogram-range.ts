// Which bins the histogram panel shows: the range holding nearly all outputs, so a handful of huge
// transfers (1,000 BTC) do not squeeze the round-dollar region into a corner. In: the bin counts.
// Out: the first and last bin to show. Pure.

/** The few outputs beyond this share of the mass at either end do not stretch the axis. */
const TAIL_SHARE = 0.001;

/** The bins holding all but TAIL_SHARE of the outputs at each end; [-1, -1] when there are none. */
export function occupiedRange(counts: readonly number[]): [number, number] {
  let total = 0;
  for (const c of counts) if (c > 0) total += c;
  if (total === 0) return [-1, -1];
  const tail = total * TAIL_SHARE;
  let first = 0;
  for (let sum = 0; first < counts.length; first++) {
    sum += Math.max(0, counts[first]);
    if (sum > tail) break;
  }
  let last = counts.length - 1;
  for (let sum = 0; last > first; last--) {
    sum += Math.max(0, counts[last]);
    if (sum > tail) break;
  }
  return [first, last];
}
