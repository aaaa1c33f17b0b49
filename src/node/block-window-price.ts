// The confirmed-block window price: the price of the last N blocks (default 144, about a day),
// kept up to date as blocks arrive, to seed the live estimate. A BlockWindow holds the
// candidate outputs of those blocks in typed arrays (a fraction of what a PriceWindow of their
// ~500,000 transactions would take: oracle/block-window.ts; sizes in docs/memory.md);
// a new tip adds the new blocks and drops the ones that fell out (and the ones a reorg replaced),
// so each block is fetched and parsed once. Keyed by the tip hash: the same tip is never
// estimated twice.

import { BlockWindow } from '../oracle/block-window.ts';
import type { Estimate } from '../oracle/window.ts';
import { memory } from '../runtime/memory-policy.ts';
import type { BlockSource } from './block-source.ts';

/** What the block window reads from the node: the tip, the hashes of heights, the blocks (BlockSource). */
export type BlockWindowSource = Pick<BlockSource, 'tipHeight' | 'hashesAt' | 'fetchBlocks'>;

/** About one day of blocks: enough outputs for a confident price, recent enough to be close to the live one. */
export const DEFAULT_BLOCK_WINDOW_BLOCKS = 144;

export interface BlockWindowOptions {
  blocks?: number;
  /** Each new price (null when the blocks give none). */
  onPrice?: (price: number | null, estimate: Estimate) => void;
  /** Progress of a fill ("pricing the last 144 blocks: 37/144"). */
  onProgress?: (done: number, total: number) => void;
}

export class BlockWindowPrice {
  readonly blocks: number;
  private readonly source: BlockWindowSource;
  private readonly options: BlockWindowOptions;
  private readonly window = new BlockWindow();
  private tipHash: string | null = null;
  private latest: Estimate | null = null;
  private running: Promise<void> | null = null;
  private again = false;

  constructor(source: BlockWindowSource, options: BlockWindowOptions = {}) {
    this.source = source;
    this.options = options;
    this.blocks = options.blocks ?? DEFAULT_BLOCK_WINDOW_BLOCKS;
  }

  get estimate(): Estimate | null {
    return this.latest;
  }

  get price(): number | null {
    return this.latest?.ok ? this.latest.price : null;
  }

  /** The window's size: blocks, transactions, candidate outputs counted, bytes of its arrays. */
  get stats(): { blocks: number; transactions: number; candidateOutputs: number; bytes: number } {
    const w = this.window;
    return { blocks: w.blocks, transactions: w.size, candidateOutputs: w.candidateOutputs, bytes: w.bytes };
  }

  /** Brings the window to the current tip; concurrent calls share one run (and one rerun). */
  refresh(): Promise<void> {
    if (this.running) {
      this.again = true;
      return this.running;
    }
    const run = (async () => {
      try {
        do {
          this.again = false;
          await this.refreshOnce();
        } while (this.again);
      } finally {
        this.running = null;
      }
    })();
    this.running = run;
    return run;
  }

  private async refreshOnce(): Promise<void> {
    const tip = await this.source.tipHeight();
    const from = Math.max(0, tip - this.blocks + 1);
    const heights = Array.from({ length: tip - from + 1 }, (_, i) => from + i);
    const hashes = (await this.source.hashesAt(heights)).filter((h): h is string => h !== null);
    const tipHash = hashes.at(-1) ?? null;
    if (tipHash !== null && tipHash === this.tipHash) return;
    const wanted = new Set(hashes);
    for (const hash of this.window.hashes()) if (!wanted.has(hash)) this.window.removeBlock(hash);
    const missing = hashes.filter((h) => !this.window.has(h));
    let done = 0;
    if (missing.length > 1) this.options.onProgress?.(0, missing.length);
    // The window copies what it keeps of a block: its bytes are freed as soon as it is added.
    for await (const block of this.source.fetchBlocks(missing, { free: true })) {
      this.window.addBlock(block.header.hash, block.header.time, block.transactions());
      done++;
      if (missing.length > 1) this.options.onProgress?.(done, missing.length);
    }
    this.window.settle(hashes);
    this.tipHash = tipHash;
    this.latest = this.window.estimate();
    // A fill of many blocks (the start, a long reorg) leaves its garbage's pages behind: give them back.
    if (missing.length > 1) memory.afterFill();
    this.options.onPrice?.(this.price, this.latest);
  }
}
