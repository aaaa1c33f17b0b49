// The prices of one UTC day and of each of its blocks, pure: the day's blocks (bytes from a
// callback) and the seed carried from the last confident day before it in; the day's price and
// each block's price out. The day pools all its blocks in one PriceWindow (the estimator the live
// service uses), cold. Each block is read and parsed once (priceDay): its transactions go once into
// DayWindows (oracle/day-windows.ts), which gives the day's pooled window and each block's own window the
// same histograms as separate PriceWindows, and the block windows wait for the day's seed (the
// Transaction objects are not kept). priceDayWindow and priceBlocks are the plain PriceWindow path
// the tests hold priceDay to. Each block is priced alone,
// seeded by the neighbouring confident price: its own day's when that is confident, else the
// carried one; with neither, cold. So a block's price depends only on its day's blocks and the
// carried seed, never on how the build was split between workers or runs.

import { readBlock } from '../bitcoin/block.ts';
import { dayStart } from '../format/utc-day.ts';
import { DayWindows } from '../oracle/day-windows.ts';
import { seedPrice } from '../oracle/seed-price.ts';
import { type Estimate, PriceWindow } from '../oracle/window.ts';

export interface DayBlock {
  height: number;
  hash: string;
  /** Header time, Unix seconds. */
  time: number;
}

export interface PricedBlock extends DayBlock {
  price: number | null;
  confidence: number;
  candidates: number;
  outputsUsed: number;
  transactions: number;
  /** Serialized size. */
  bytes: number;
  /** The seed its search used (null: a cold search). */
  seed: number | null;
}

export interface PricedDay {
  /** YYYY-MM-DD, UTC. */
  day: string;
  /** Unix seconds of the day's start. */
  start: number;
  price: number | null;
  confidence: number;
  blocks: number;
  candidates: number;
  outputsUsed: number;
  transactions: number;
  firstHeight: number;
  lastHeight: number;
  bytes: number;
}

export class BlockHashMismatch extends Error {
  readonly hash: string;
  constructor(expected: string, found: string) {
    super(`the bytes read for block ${expected} are block ${found}`);
    this.name = 'BlockHashMismatch';
    this.hash = expected;
  }
}

function fill(window: PriceWindow, bytes: Uint8Array, block: DayBlock): { transactions: number } {
  const parsed = readBlock(bytes);
  if (parsed.header.hash !== block.hash) throw new BlockHashMismatch(block.hash, parsed.header.hash);
  let transactions = 0;
  for (const tx of parsed.transactions()) {
    window.add(tx, block.time);
    transactions++;
  }
  return { transactions };
}

function counts(estimate: Estimate): { price: number | null; confidence: number; outputsUsed: number } {
  return estimate.ok
    ? { price: estimate.price, confidence: estimate.confidence, outputsUsed: estimate.outputsUsed }
    : { price: null, confidence: 0, outputsUsed: 0 };
}

/** The day's own pooled estimate: one pass over its blocks. */
/** A day's row: its estimate beside the blocks, transactions and bytes it was made from. */
function dayRow(
  day: string,
  estimate: Estimate,
  blocks: readonly { height: number }[],
  transactions: number,
  bytes: number,
): PricedDay {
  return {
    day,
    start: dayStart(day),
    ...counts(estimate),
    candidates: estimate.candidates,
    blocks: blocks.length,
    transactions,
    firstHeight: Math.min(...blocks.map((b) => b.height)),
    lastHeight: Math.max(...blocks.map((b) => b.height)),
    bytes,
  };
}

export function priceDayWindow(
  day: string,
  blocks: readonly DayBlock[],
  bytesOf: (block: DayBlock) => Uint8Array,
): { day: PricedDay; estimate: Estimate } {
  const window = new PriceWindow();
  let transactions = 0;
  let size = 0;
  for (const block of blocks) {
    const bytes = bytesOf(block);
    size += bytes.length;
    transactions += fill(window, bytes, block).transactions;
  }
  const estimate = window.estimate();
  return { estimate, day: dayRow(day, estimate, blocks, transactions, size) };
}

/** Each block alone, seeded with `seed` (null: cold). */
export function priceBlocks(
  blocks: readonly DayBlock[],
  seed: number | null,
  bytesOf: (block: DayBlock) => Uint8Array,
): PricedBlock[] {
  const out: PricedBlock[] = [];
  for (const block of blocks) {
    const window = new PriceWindow();
    const bytes = bytesOf(block);
    const { transactions } = fill(window, bytes, block);
    const estimate = window.estimate({ seed });
    out.push({
      height: block.height,
      hash: block.hash,
      time: block.time,
      ...counts(estimate),
      candidates: estimate.candidates,
      transactions,
      bytes: bytes.length,
      seed,
    });
  }
  return out;
}

/** The seed for the day's blocks: the day's own price when confident, else the carried one. */
export function blockSeed(dayEstimate: Estimate, carried: number | null): number | null {
  return seedPrice(dayEstimate) ?? carried;
}

/**
 * The day and each of its blocks in one pass: every block read and parsed once, its transactions
 * added once to DayWindows, which holds the day's pooled window and each block's own (the same
 * histograms as a PriceWindow each, each transaction classified and keyed once). The blocks are then estimated with
 * blockSeed(day, carried). When the day is not confident and `carried` is undefined (not known yet),
 * the blocks are left unpriced (null): the caller asks again with the carried seed.
 * Gives the same rows as priceDayWindow followed by priceBlocks. A block's bytes are read only
 * until bytesOf is called for the next one: the caller may hand out one reused buffer.
 */
export function priceDay(
  day: string,
  blocks: readonly DayBlock[],
  bytesOf: (block: DayBlock) => Uint8Array,
  carried: number | null | undefined,
): { day: PricedDay; estimate: Estimate; blocks: PricedBlock[] | null } {
  const windows = new DayWindows();
  const digest = new Uint8Array(32);
  // Txid bytes rather than hex, and no script views: DayWindows reads no more than a script's first byte.
  const options = { digest, scripts: false };
  const own: { transactions: number; bytes: number }[] = [];
  let transactions = 0;
  let size = 0;
  for (const block of blocks) {
    const bytes = bytesOf(block);
    const parsed = readBlock(bytes);
    if (parsed.header.hash !== block.hash) throw new BlockHashMismatch(block.hash, parsed.header.hash);
    windows.block(block.time);
    let n = 0;
    for (const tx of parsed.transactions(options)) {
      windows.add(tx, digest);
      n++;
    }
    own.push({ transactions: n, bytes: bytes.length });
    transactions += n;
    size += bytes.length;
  }
  const estimate = windows.estimateDay();
  const priced = dayRow(day, estimate, blocks, transactions, size);
  const daySeed = seedPrice(estimate);
  if (daySeed === null && carried === undefined) return { day: priced, estimate, blocks: null };
  const seed = daySeed ?? carried ?? null;
  const out = blocks.map((block, i): PricedBlock => {
    const e = windows.estimateBlock(i, { seed });
    return {
      height: block.height,
      hash: block.hash,
      time: block.time,
      ...counts(e),
      candidates: e.candidates,
      transactions: own[i].transactions,
      bytes: own[i].bytes,
      seed,
    };
  });
  return { day: priced, estimate, blocks: out };
}
