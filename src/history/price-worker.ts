// A worker thread that prices days: a DayJob in (the day's blocks, each with its bytes or where
// they sit in a blk file, the XOR key, and the carried seed when known), a DayResult out. Blocks
// in files are read (into one reused buffer, one descriptor per file) and parsed here, once each
// (priceDay feeds the day's window and each block's own from the same pass, oracle/day-windows.ts), so
// many workers read and parse in parallel and the main thread only writes rows.
// Blocks the node's files do not have come over RPC one at a time, when the worker reaches them:
// it asks the main thread (a `need` message), which fetches the block and hands its bytes over
// (transferred, not copied) on a port of their own while the worker waits (Atomics.wait on a
// shared flag, then receiveMessageOnPort). So a day of about 144 blocks (250 MB on mainnet) is
// never in memory at once: the main thread holds the block being parsed and the next one.

import { closeSync, openSync } from 'node:fs';
import { type MessagePort, parentPort, receiveMessageOnPort, workerData } from 'node:worker_threads';
import { seedPrice } from '../oracle/seed-price.ts';
import { freeBuffer } from '../runtime/free-buffer.ts';
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
  /** Fetched over RPC when the worker reaches it (WorkerPool asks the job's fetcher). */
  rpc?: boolean;
}

/** A worker's request for the bytes of a block the job marks `rpc`. */
export interface BlockNeed {
  need: string;
}

/** What a worker is given at start: the port blocks come on, and the flag it waits on. */
export interface WorkerChannel {
  port: MessagePort;
  /** [0]: 1 once a block (or an error) was posted on `port`. */
  signal: Int32Array;
}

/** The answer to a BlockNeed, on the channel's port. */
export type BlockDelivery = { bytes: Uint8Array } | { error: string };

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

/**
 * One buffer for the blocks read from files, reused block after block: priceDay is done with a
 * block's bytes before it asks for the next (DayWindows copies what it keeps), so a day costs no
 * fresh megabytes (page faults, garbage) per block. Grown to the largest block met.
 */
let readBuffer = Buffer.allocUnsafe(0);

export function runDayJob(job: DayJob): DayResult {
  /** One descriptor per blk file for the job (a day's blocks sit in one or two files). */
  const open = new Map<string, number>();
  const bytesOf = (block: DayBlock): Uint8Array => {
    const b = block as JobBlock;
    if (b.bytes !== undefined) return b.bytes;
    if (b.rpc === true) return fetchFromMain(b.hash);
    if (b.location === undefined) throw new BlockHashMismatch(block.hash, 'unknown (no bytes and no file)');
    let fd = open.get(b.location.path);
    if (fd === undefined) {
      fd = openSync(b.location.path, 'r');
      open.set(b.location.path, fd);
    }
    if (readBuffer.length < b.location.length) readBuffer = Buffer.allocUnsafe(b.location.length);
    return readBlockAt(b.location, job.key, fd, readBuffer);
  };
  let current: string | null = null;
  /** The last block that came from the main thread: freed once read (free-buffer.ts). */
  let delivered: Uint8Array | null = null;
  const tracked = (block: DayBlock): Uint8Array => {
    current = block.hash;
    if (delivered !== null) freeBuffer(delivered);
    const bytes = bytesOf(block);
    delivered = (block as JobBlock).rpc === true ? bytes : null;
    return bytes;
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
  } finally {
    for (const fd of open.values()) closeSync(fd);
    if (delivered !== null) freeBuffer(delivered);
  }
}

const channel = (workerData as { channel?: WorkerChannel } | null)?.channel;

/** The bytes of a block over RPC, through the main thread; waits (this thread only) until they come. */
function fetchFromMain(hash: string): Uint8Array {
  if (parentPort === null || channel === undefined)
    throw new Error(`block ${hash} is to come over RPC, but this is not a pool worker`);
  Atomics.store(channel.signal, 0, 0);
  parentPort.postMessage({ need: hash } satisfies BlockNeed);
  Atomics.wait(channel.signal, 0, 0);
  const delivery = receiveMessageOnPort(channel.port)?.message as BlockDelivery | undefined;
  if (delivery === undefined) throw new Error(`block ${hash}: nothing came from the main thread`);
  if ('error' in delivery) throw new Error(delivery.error);
  return delivery.bytes;
}

if (parentPort !== null) {
  const port = parentPort;
  port.on('message', (job: DayJob) => port.postMessage(runDayJob(job)));
}
