// Prices of confirmed blocks read from the node: a block (height or hash), the last N blocks, or a
// UTC day in; an estimate out, made exactly as `chainprice estimate` makes it from raw block files:
// every transaction of the block(s) goes into one PriceWindow at its block's time, then a cold
// estimate. Results are cached by block hash (a block's price never changes; a range is keyed by
// its first and last hash). Implements the server's BlockPriceReader (`priceOf`).

import type { Block } from '../bitcoin/block.ts';
import type { Transaction } from '../bitcoin/transaction.ts';
import type { BlockPrice as ReaderBlockPrice } from '../live/readers.ts';
import { summariseEstimate } from '../oracle/estimate-summary.ts';
import { PriceWindow } from '../oracle/window.ts';
import type { BlockInfo, BlockSource } from './block-source.ts';
import { blocksOfDay, utcDayBounds } from './day-blocks.ts';
import { isWarmingUp, RpcTransportError } from './rpc-errors.ts';

/** The price of one block, as the HTTP API and `chainprice block` report it: the readers' fields and more. */
export interface BlockPrice extends ReaderBlockPrice {
  /** Why there is no price (null when there is one). */
  reason: string | null;
  transactions: number;
  candidates: number;
  outputsUsed: number;
}

/** The price of a run of blocks (last N, or a day). */
export interface RangePrice {
  blocks: number;
  firstHeight: number;
  lastHeight: number;
  firstHash: string;
  lastHash: string;
  firstTime: number;
  lastTime: number;
  transactions: number;
  price: number | null;
  confidence: number;
  reason: string | null;
  candidates: number;
  outputsUsed: number;
}

export type Progress = (done: number, total: number) => void;

/** The node cannot answer now (down, restarting, warming up); `statusCode` is for the HTTP API. */
export class NodeUnavailableError extends Error {
  readonly statusCode = 503;
  constructor(detail: string) {
    super(`the node cannot answer right now (${detail})`);
    this.name = 'NodeUnavailableError';
  }
}

/** Single-block prices kept: a few days of blocks, a few hundred bytes each. */
const SINGLE_CACHE_ENTRIES = 2000;
/** Range prices kept (last-N windows and days). */
const RANGE_CACHE_ENTRIES = 64;

export class BlockPrices {
  readonly source: BlockSource;
  private readonly singles = new LruCache<BlockPrice>(SINGLE_CACHE_ENTRIES);
  private readonly ranges = new LruCache<RangePrice>(RANGE_CACHE_ENTRIES);

  constructor(source: BlockSource) {
    this.source = source;
  }

  /**
   * BlockPriceReader: a decimal height or a 64-hex hash; null when the node has no such block.
   * Fails with a `statusCode` for the HTTP API: 503 while the node is down or warming up, 410 for a
   * pruned block.
   */
  async priceOf(heightOrHash: string): Promise<BlockPrice | null> {
    try {
      const info = await this.source.resolve(heightOrHash);
      return info === null ? null : await this.priceOfBlock(info);
    } catch (error) {
      if (isWarmingUp(error) || error instanceof RpcTransportError)
        throw new NodeUnavailableError(error.message);
      throw error;
    }
  }

  async priceOfBlock(info: BlockInfo): Promise<BlockPrice> {
    const cached = this.singles.get(info.hash);
    if (cached) return cached;
    const window = new PriceWindow();
    let transactions = 0;
    for await (const block of this.source.fetchBlocks([info.hash])) transactions += addBlock(window, block);
    const result: BlockPrice = {
      height: info.height,
      hash: info.hash,
      time: info.time,
      transactions,
      ...summariseEstimate(window.estimate()),
    };
    this.singles.set(info.hash, result);
    return result;
  }

  /** The price of a block whose transactions are already parsed (a block just connected); cached like the others. */
  priceOfTransactions(info: BlockInfo, transactions: Iterable<Transaction>): BlockPrice {
    const cached = this.singles.get(info.hash);
    if (cached) return cached;
    const window = new PriceWindow();
    let count = 0;
    for (const tx of transactions) {
      window.add(tx, info.time);
      count++;
    }
    const result: BlockPrice = {
      height: info.height,
      hash: info.hash,
      time: info.time,
      transactions: count,
      ...summariseEstimate(window.estimate()),
    };
    this.singles.set(info.hash, result);
    return result;
  }

  /** The last `count` blocks ending at the tip (or at `tipHeight`). */
  async lastBlocks(count: number, progress?: Progress, tipHeight?: number): Promise<RangePrice | null> {
    const tip = tipHeight ?? (await this.source.tipHeight());
    const from = Math.max(0, tip - count + 1);
    const heights = Array.from({ length: tip - from + 1 }, (_, i) => from + i);
    const infos = (await this.source.infoAt(heights)).filter((b): b is BlockInfo => b !== null);
    return this.priceOfRange(infos, progress);
  }

  /** The blocks whose header time falls in the UTC day `date` (YYYY-MM-DD); null when there are none. */
  async day(date: string, progress?: Progress): Promise<RangePrice | null> {
    const { start, end } = utcDayBounds(date);
    const infos = await blocksOfDay(this.source, start, end);
    return this.priceOfRange(infos, progress);
  }

  /** One estimate over all transactions of `infos`; null for an empty list. */
  async priceOfRange(infos: readonly BlockInfo[], progress?: Progress): Promise<RangePrice | null> {
    if (infos.length === 0) return null;
    const first = infos[0];
    const last = infos[infos.length - 1];
    const key = `${first.hash}:${last.hash}:${infos.length}`;
    const cached = this.ranges.get(key);
    if (cached) return cached;
    const window = new PriceWindow();
    let transactions = 0;
    let done = 0;
    progress?.(0, infos.length);
    for await (const block of this.source.fetchBlocks(infos.map((b) => b.hash))) {
      transactions += addBlock(window, block);
      progress?.(++done, infos.length);
    }
    const result: RangePrice = {
      blocks: infos.length,
      firstHeight: first.height,
      lastHeight: last.height,
      firstHash: first.hash,
      lastHash: last.hash,
      firstTime: Math.min(...infos.map((b) => b.time)),
      lastTime: Math.max(...infos.map((b) => b.time)),
      transactions,
      ...summariseEstimate(window.estimate()),
    };
    this.ranges.set(key, result);
    return result;
  }
}

/** Adds every transaction of `block` at the block's time; returns how many. */
export function addBlock(window: PriceWindow, block: Block): number {
  let n = 0;
  for (const tx of block.transactions()) {
    window.add(tx, block.header.time);
    n++;
  }
  return n;
}

/** A small least-recently-used map (Map keeps insertion order; a hit moves the key to the end). */
class LruCache<V> {
  private readonly map = new Map<string, V>();
  private readonly capacity: number;
  constructor(capacity: number) {
    this.capacity = capacity;
  }
  get(key: string): V | undefined {
    const value = this.map.get(key);
    if (value !== undefined) {
      this.map.delete(key);
      this.map.set(key, value);
    }
    return value;
  }
  set(key: string, value: V): void {
    this.map.delete(key);
    this.map.set(key, value);
    if (this.map.size > this.capacity) this.map.delete(this.map.keys().next().value as string);
  }
}
