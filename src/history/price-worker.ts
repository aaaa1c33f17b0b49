// A worker thread that prices days: a DayJob in (the day's blocks, each with its bytes or where
// they sit in a blk file, the XOR key, and the carried seed when known), a DayResult out. Blocks
// in files are read and parsed here, once each (priceDay feeds the day's window and the block's
// own from the same pass), so many workers read and parse in parallel and the main thread only
// writes rows.

import { parentPort } from 'node:worker_threads';
import { seedPrice } from '../oracle/seed-price.ts';
import type { BlockLocation } from './blk-file.ts';
import { readBlockAt } from './blk-file.ts';
import {
  BlockHashMismatch,
  type DayBlock,
  type PricedBlock,
  type PricedDay,
  priceDay,
} from './day-pricing.ts';

export interface JobBlock extends DayBlock {
  location?: BlockLocation;
  bytes?: Uint8Array;
}

export interface DayJob {
  id: number;
  day: string;
  blocks: JobBlock[];
  key: Uint8Array | null;
  /** The seed carried from the last confident day before this one; undefined while not known yet. */
  carried?: number | null;
}

export type DayResult =
  | {
      id: number;
      ok: true;
      day: PricedDay;
      /** The day's price when it may seed later days (null: not confident). */
      daySeed: number | null;
      /** Null when the day is not confident and `carried` was not given: send it again with the seed. */
      blocks: PricedBlock[] | null;
    }
  | { id: number; ok: false; hash: string | null; message: string };

export function runDayJob(job: DayJob): DayResult {
  const bytesOf = (block: DayBlock): Uint8Array => {
    const b = block as JobBlock;
    if (b.bytes !== undefined) return b.bytes;
    if (b.location === undefined) throw new BlockHashMismatch(block.hash, 'unknown (no bytes and no file)');
    return readBlockAt(b.location, job.key);
  };
  let current: string | null = null;
  const tracked = (block: DayBlock): Uint8Array => {
    current = block.hash;
    return bytesOf(block);
  };
  try {
    const { day, estimate, blocks } = priceDay(job.day, job.blocks, tracked, job.carried);
    return { id: job.id, ok: true, day, daySeed: seedPrice(estimate), blocks };
  } catch (error) {
    return {
      id: job.id,
      ok: false,
      hash: current,
      message: error instanceof Error ? error.message : String(error),
    };
  }
}

if (parentPort !== null) {
  const port = parentPort;
  port.on('message', (job: DayJob) => port.postMessage(runDayJob(job)));
}
