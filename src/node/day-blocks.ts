// Which blocks make up one UTC day: a date ("YYYY-MM-DD") in, the blocks whose header time falls
// inside it out. The boundary heights are found by binary search on header times; because a
// header's time may run up to two hours ahead of the clock or trail the blocks before it, the
// search result is widened by a margin and every block in it is checked one by one.

import { EXIT, UserError } from '../errors.ts';
import type { BlockInfo } from './block-source.ts';

/**
 * Blocks checked beyond the binary-search boundaries: a header time may be up to two hours in the
 * future and may lag the median of the previous eleven; four hours of blocks covers both.
 */
const BOUNDARY_MARGIN_BLOCKS = 24;

const SECONDS_PER_DAY = 86_400;

/** Unix seconds of the day's start and the next day's start; throws a usage error for a bad date. */
export function utcDayBounds(date: string): { start: number; end: number } {
  const match = /^(\d{4})-(\d{2})-(\d{2})$/.exec(date.trim());
  const ms = match ? Date.UTC(Number(match[1]), Number(match[2]) - 1, Number(match[3])) : Number.NaN;
  if (!match || Number.isNaN(ms) || new Date(ms).toISOString().slice(0, 10) !== date.trim()) {
    throw new UserError(`"${date}" is not a date; give the UTC day as YYYY-MM-DD.`, {
      hint: 'e.g. 2024-04-20',
      exitCode: EXIT.usage,
    });
  }
  const start = ms / 1000;
  return { start, end: start + SECONDS_PER_DAY };
}

export interface HeaderLookup {
  tipHeight(): Promise<number>;
  /** Headers at these heights of the best chain, in the same order. */
  infoAt(heights: readonly number[]): Promise<(BlockInfo | null)[]>;
}

/** The blocks of the UTC day starting at `start`, in height order; empty when the chain has none. */
export async function blocksOfDay(source: HeaderLookup, start: number, end: number): Promise<BlockInfo[]> {
  const tip = await source.tipHeight();
  const timeAt = async (height: number) => {
    const [info] = await source.infoAt([height]);
    if (!info) throw new Error(`no block at height ${height} below the tip ${tip}`);
    return info.time;
  };
  // First height whose time is >= t, treating times as increasing (the margin repairs the exceptions).
  const firstAtOrAfter = async (t: number) => {
    let lo = 0;
    let hi = tip + 1;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if ((await timeAt(mid)) < t) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  };
  const first = await firstAtOrAfter(start);
  const afterLast = await firstAtOrAfter(end);
  const from = Math.max(0, first - BOUNDARY_MARGIN_BLOCKS);
  const to = Math.min(tip, afterLast - 1 + BOUNDARY_MARGIN_BLOCKS);
  if (to < from) return [];
  const heights = Array.from({ length: to - from + 1 }, (_, i) => from + i);
  const infos = await source.infoAt(heights);
  return infos.filter((b): b is BlockInfo => b !== null && b.time >= start && b.time < end);
}
