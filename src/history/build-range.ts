// What `--from` and `--to` of `chainprice history build|show` mean in heights: a height, or a UTC
// date (YYYY-MM-DD: its first block for --from, its last for --to), found by binary search on the
// node's header times. Bad values are one-line usage errors.

import { EXIT, UserError } from '../errors.ts';
import type { HeaderLookup } from '../node/day-blocks.ts';
import { utcDayBounds } from '../node/day-blocks.ts';

/** A height, a YYYY-MM-DD date, or undefined (use the default). */
export function parseRangeValue(name: string, value: string | undefined): number | string | undefined {
  if (value === undefined) return undefined;
  if (/^\d{1,9}$/.test(value)) return Number(value);
  if (/^\d{4}-\d{2}-\d{2}$/.test(value)) {
    utcDayBounds(value); // throws for a day that does not exist
    return value;
  }
  throw new UserError(`history: ${name} "${value}" is neither a block height nor a date (YYYY-MM-DD).`, {
    hint: `e.g. ${name} 840000 or ${name} 2024-04-20`,
    exitCode: EXIT.usage,
  });
}

/** The first height whose header time is at or after `time` (header times taken as increasing). */
async function firstAtOrAfter(source: HeaderLookup, tip: number, time: number): Promise<number> {
  let lo = 0;
  let hi = tip + 1;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    const [info] = await source.infoAt([mid]);
    if (info === null) throw new Error(`no block at height ${mid} below the tip ${tip}`);
    if (info.time < time) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

/** Heights for --from and --to (the whole chain by default), clipped to the tip. */
export async function resolveRange(
  source: HeaderLookup,
  tip: number,
  from: number | string | undefined,
  to: number | string | undefined,
): Promise<{ from: number; to: number }> {
  const fromHeight =
    from === undefined
      ? 0
      : typeof from === 'number'
        ? from
        : await firstAtOrAfter(source, tip, utcDayBounds(from).start);
  const toHeight =
    to === undefined
      ? tip
      : typeof to === 'number'
        ? Math.min(to, tip)
        : (await firstAtOrAfter(source, tip, utcDayBounds(to).end)) - 1;
  if (fromHeight > tip) {
    throw new UserError(`history: --from is after the node's tip (height ${tip}).`, { exitCode: EXIT.usage });
  }
  if (toHeight < fromHeight) {
    throw new UserError('history: --to is before --from.', { exitCode: EXIT.usage });
  }
  return { from: fromHeight, to: toHeight };
}
