// The demo's confirmed blocks, priced the way a node's are: each block's own price (a cold estimate
// over its transactions, kept for the block-price API) and the block-window price (the last N
// blocks in one PriceWindow, the seed of the live estimate). In: parsed demo blocks as they are
// mined. Out: `priceOf(heightOrHash)` and the current window price.

import type { Block } from '../bitcoin/block.ts';
import type { BlockPrice } from '../node/block-prices.ts';
import { summariseEstimate } from '../oracle/estimate-summary.ts';
import { seedPrice } from '../oracle/seed-price.ts';
import { type Estimate, PriceWindow } from '../oracle/window.ts';

/** Twelve blocks, about two simulated hours: the demo pre-fills three hours, so it is full at once. */
export const DEFAULT_DEMO_BLOCK_WINDOW = 12;
/**
 * The window price seeds the live estimate only from this many blocks on: the first blocks after
 * a start were mined from a mempool only minutes old, and one thin block can read an alias
 * (×2, ×5) of the price, which as a seed would hold the live estimate on that alias.
 */
const MIN_SEED_BLOCKS = 3;
/** Prices of this many recent demo blocks are kept for the API (a few hundred bytes each). */
const BLOCKS_KEPT = 2_000;

/** One demo block's price: the same fields as a node's block price, plus the source. */
export interface DemoBlockPrice extends BlockPrice {
  source: 'demo';
}

export class DemoBlocks {
  readonly windowBlocks: number;
  private readonly window = new PriceWindow();
  /** Blocks in the window, oldest first: their txids. */
  private readonly held: string[][] = [];
  private readonly byHash = new Map<string, DemoBlockPrice>();
  private readonly byHeight = new Map<number, DemoBlockPrice>();
  private windowEstimate: Estimate | null = null;

  constructor(windowBlocks = DEFAULT_DEMO_BLOCK_WINDOW) {
    if (!Number.isInteger(windowBlocks) || windowBlocks < 1) {
      throw new RangeError(`the block window needs at least one block, got ${windowBlocks}`);
    }
    this.windowBlocks = windowBlocks;
  }

  /** The block-window price, or null until enough blocks give a confident one. */
  get windowPrice(): number | null {
    if (this.held.length < Math.min(MIN_SEED_BLOCKS, this.windowBlocks)) return null;
    return seedPrice(this.windowEstimate);
  }

  get latestWindowEstimate(): Estimate | null {
    return this.windowEstimate;
  }

  /** Prices a newly mined block and moves the block window on by one block. Returns its price and txids. */
  add(block: Block): { price: DemoBlockPrice; txids: string[] } {
    const own = new PriceWindow();
    const txids: string[] = [];
    const time = block.header.time;
    for (const tx of block.transactions()) {
      own.add(tx, time);
      this.window.add(tx, time);
      txids.push(tx.txid);
    }
    const price: DemoBlockPrice = {
      source: 'demo',
      height: block.height ?? -1,
      hash: block.header.hash,
      time,
      transactions: txids.length,
      ...summariseEstimate(own.estimate()),
    };
    this.keep(price);

    this.held.push(txids);
    while (this.held.length > this.windowBlocks) {
      for (const txid of this.held.shift()!) this.window.remove(txid);
    }
    // Seeded from the previous window price when there is one, like the live estimate.
    this.windowEstimate = this.window.estimate({ seed: this.windowPrice });
    return { price, txids };
  }

  private keep(price: DemoBlockPrice): void {
    this.byHash.set(price.hash, price);
    this.byHeight.set(price.height, price);
    if (this.byHash.size > BLOCKS_KEPT) {
      const oldest = this.byHash.keys().next().value!;
      const gone = this.byHash.get(oldest)!;
      this.byHash.delete(oldest);
      if (this.byHeight.get(gone.height) === gone) this.byHeight.delete(gone.height);
    }
  }

  /** A decimal height or a 64-hex block hash; null for a block the demo has not mined (or forgot). */
  async priceOf(heightOrHash: string): Promise<DemoBlockPrice | null> {
    const found =
      heightOrHash.length === 64
        ? this.byHash.get(heightOrHash.toLowerCase())
        : /^\d+$/.test(heightOrHash)
          ? this.byHeight.get(Number(heightOrHash))
          : undefined;
    return found === undefined ? null : { ...found };
  }
}
