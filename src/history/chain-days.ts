// The active chain's blocks for a build, grouped by UTC day: a height range in, the whole days it
// touches out (each day with all its blocks, in height order), with the chain's order taken from
// the node (block hashes over RPC) and header times from the block files when they hold the block,
// else from the node. A day's edges are found by widening the range until 24 blocks in a row lie
// outside it (a header time may run two hours ahead or trail its predecessors).

import { dayStart, utcDay } from '../format/utc-day.ts';
import type { BlockSource } from '../node/block-source.ts';
import type { ScannedBlock } from './blk-file.ts';
import type { DayBlock } from './day-pricing.ts';

/** Blocks in a row that must lie outside the days before the edge is trusted (as in day-blocks.ts). */
const EDGE_BLOCKS = 24;
/** Heights asked at once while widening: about two days. */
const WIDEN_STEP = 288;
/** Heights per getblockhash batch. */
const CHUNK = 2_000;

export interface ChainDay {
  day: string;
  blocks: DayBlock[];
}

export interface BlockLocator {
  locate(hash: string): ScannedBlock | undefined;
}

/** The chain's blocks at heights lo..hi (in order). */
export async function chainSlice(
  source: BlockSource,
  files: BlockLocator | null,
  lo: number,
  hi: number,
): Promise<DayBlock[]> {
  const out: DayBlock[] = [];
  for (let start = lo; start <= hi; start += CHUNK) {
    const heights = Array.from({ length: Math.min(CHUNK, hi - start + 1) }, (_, i) => start + i);
    const hashes = await source.hashesAt(heights);
    const unknown: number[] = [];
    const times = new Map<number, number>();
    hashes.forEach((hash, i) => {
      if (hash === null) throw new Error(`the node has no block at height ${heights[i]} (the chain moved?)`);
      const found = files?.locate(hash);
      if (found) times.set(heights[i], found.time);
      else unknown.push(heights[i]);
    });
    if (unknown.length > 0) {
      const infos = await source.infoAt(unknown);
      infos.forEach((info, i) => {
        if (info === null)
          throw new Error(`the node has no block at height ${unknown[i]} (the chain moved?)`);
        times.set(unknown[i], info.time);
      });
    }
    hashes.forEach((hash, i) => {
      out.push({ height: heights[i], hash: hash as string, time: times.get(heights[i]) as number });
    });
  }
  return out;
}

/** The whole UTC days touched by heights from..to (clipped to 0..tip), each with all its blocks. */
export async function chainDays(
  source: BlockSource,
  files: BlockLocator | null,
  from: number,
  to: number,
  tip: number,
): Promise<{ days: ChainDay[]; lo: number; hi: number }> {
  let lo = Math.max(0, from);
  let hi = Math.min(tip, to);
  if (hi < lo) return { days: [], lo, hi };
  let blocks = await chainSlice(source, files, lo, hi);
  const core = blocks.map((b) => utcDay(b.time)).sort();
  const startT = dayStart(core[0]);
  const endT = dayStart(core[core.length - 1]) + 86_400;
  while (lo > 0 && blocks.slice(0, EDGE_BLOCKS).some((b) => b.time >= startT)) {
    const next = Math.max(0, lo - WIDEN_STEP);
    blocks = [...(await chainSlice(source, files, next, lo - 1)), ...blocks];
    lo = next;
  }
  while (hi < tip && blocks.slice(-EDGE_BLOCKS).some((b) => b.time < endT)) {
    const next = Math.min(tip, hi + WIDEN_STEP);
    blocks = [...blocks, ...(await chainSlice(source, files, hi + 1, next))];
    hi = next;
  }
  const byDay = new Map<string, DayBlock[]>();
  for (const b of blocks) {
    if (b.time < startT || b.time >= endT) continue;
    const day = utcDay(b.time);
    const list = byDay.get(day);
    if (list === undefined) byDay.set(day, [b]);
    else list.push(b);
  }
  const days = [...byDay.entries()]
    .sort(([a], [b]) => (a < b ? -1 : 1))
    .map(([day, list]) => ({ day, blocks: list }));
  return { days, lo, hi };
}
