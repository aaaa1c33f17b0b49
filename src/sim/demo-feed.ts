// The demo source as a LiveFeed: the demo network's raw transactions and blocks go through the
// same parser, window, estimator and orchestrator as a node's, on a clock that can run faster than
// real time. In: options (speed, rate, seed, start price, burst). Out: a LiveFeed whose state says
// source "demo", plus the demo blocks' prices for the block-price API and a hook for each block.
// On start it pre-fills the window with the last few simulated hours, so the first estimate comes
// within seconds; then a real-time timer moves the network on to the clock's time.

import { readBlock } from '../bitcoin/block.ts';
import { parseTransaction } from '../bitcoin/transaction.ts';
import { OrchestratedFeed } from '../live/orchestrated-feed.ts';
import { Orchestrator, type StartSeed } from '../live/orchestrator.ts';
import { memory } from '../runtime/memory-policy.ts';
import { ScaledClock, type SimClock } from './clock.ts';
import { DEFAULT_DEMO_BLOCK_WINDOW, type DemoBlockPrice, DemoBlocks } from './demo-blocks.ts';
import { DEFAULT_START_PRICE, DEFAULT_TX_PER_SECOND, DemoGenerator, type SimEvent } from './generator.ts';

/** The live window of the product: three hours. */
export const DEFAULT_DEMO_WINDOW_SECONDS = 3 * 3600;
/** Burst mode's rate: about forty times mainnet, enough to keep every WebSocket update full. */
export const BURST_TX_PER_SECOND = 200;
/** Burst mode's live window: half an hour, so 200 tx/s still fits in a few tens of megabytes. */
export const BURST_WINDOW_SECONDS = 30 * 60;
/** At most this many transactions are made up front, so the first estimate comes in a few seconds. */
const PREFILL_MAX_TXS = 45_000;
/** The pre-fill is made in slices of this much simulated time, yielding to the event loop between. */
const PREFILL_SLICE_SECONDS = 300;
/** How often (real time) the network is moved on to the clock: smooth at any speed, cheap when idle. */
const DEFAULT_TICK_MS = 100;

export interface DemoFeedOptions {
  /** Simulated seconds per real second (`--demo-speed`). Default 1. */
  speed?: number;
  /** Transactions per simulated second. Default 4 (like mainnet), 200 with `burst`. */
  txPerSecond?: number;
  /** Same seed, same network. Default a fixed seed. */
  seed?: number;
  /** USD per BTC at the start of the random walk. Default 68,000. */
  startPrice?: number;
  /** Load-test mode: BURST_TX_PER_SECOND and a half-hour window unless given otherwise. */
  burst?: boolean;
  /** The live window in simulated seconds. Default 3 hours (30 minutes in burst). */
  windowSeconds?: number;
  /** Simulated time pre-filled on start. Default the window; 0 starts empty. */
  prefillSeconds?: number;
  /** Blocks in the block-window price that seeds the live estimate. Default 12. */
  blockWindowBlocks?: number;
  /** Orchestrator update interval, real milliseconds. Default 500. */
  updateIntervalMs?: number;
  /** Real milliseconds between moves of the network. Default 100. */
  tickMs?: number;
  /** The simulated clock (tests pass a ManualClock). Default a ScaledClock at `speed` from now. */
  clock?: SimClock;
  /** Status lines for the operator's console. */
  onStatus?: (line: string) => void;
  /** Seconds (simulated) between cold checks of the live window while it is seeded (0: off). Default 60. */
  coldCheckSeconds?: number;
  /** A seed until the demo blocks give a confident price (`--price-hint`). */
  startSeed?: StartSeed;
}

function positive(name: string, value: number): number {
  if (!Number.isFinite(value) || value <= 0)
    throw new RangeError(`${name} must be a positive number, got ${value}`);
  return value;
}

export class DemoFeed extends OrchestratedFeed {
  readonly source = 'demo' as const;
  readonly clock: SimClock;
  readonly generator: DemoGenerator;
  readonly orchestrator: Orchestrator;
  /** Demo block prices for `GET /api/v1/blocks/:heightOrHash/price` (BlockPriceReader). */
  readonly blockPrices: DemoBlocks;
  readonly windowSeconds: number;
  readonly txPerSecond: number;
  private readonly prefillSeconds: number;
  private readonly tickMs: number;
  private readonly status: (line: string) => void;
  private readonly blockListeners = new Set<(block: DemoBlockPrice) => void>();
  private timer: ReturnType<typeof setInterval> | null = null;
  private stopBursts: (() => void) | null = null;
  private stopped = false;

  constructor(options: DemoFeedOptions = {}) {
    super();
    const burst = options.burst ?? false;
    this.clock = options.clock ?? new ScaledClock({ speed: positive('demo speed', options.speed ?? 1) });
    this.txPerSecond = positive(
      'demo transactions per second',
      options.txPerSecond ?? (burst ? BURST_TX_PER_SECOND : DEFAULT_TX_PER_SECOND),
    );
    this.windowSeconds = positive(
      'demo window',
      options.windowSeconds ?? (burst ? BURST_WINDOW_SECONDS : DEFAULT_DEMO_WINDOW_SECONDS),
    );
    const prefill = options.prefillSeconds ?? this.windowSeconds;
    if (!Number.isFinite(prefill) || prefill < 0) throw new RangeError(`bad pre-fill: ${prefill}`);
    this.prefillSeconds = prefill;
    this.tickMs = positive('demo tick', options.tickMs ?? DEFAULT_TICK_MS);
    this.status = options.onStatus ?? (() => {});
    // The pre-fill runs at the configured rate unless that would make too many transactions up front.
    const prefillRate =
      prefill > 0 ? Math.min(this.txPerSecond, PREFILL_MAX_TXS / prefill) : this.txPerSecond;
    this.generator = new DemoGenerator({
      startTime: this.clock.now() - prefill,
      seed: options.seed,
      startPrice: options.startPrice ?? DEFAULT_START_PRICE,
      txPerSecond: prefillRate,
    });
    this.blockPrices = new DemoBlocks(options.blockWindowBlocks ?? DEFAULT_DEMO_BLOCK_WINDOW);
    this.orchestrator = new Orchestrator({
      source: 'demo',
      now: () => this.clock.now(),
      windowSeconds: this.windowSeconds,
      updateIntervalMs: options.updateIntervalMs,
      coldCheckSeconds: options.coldCheckSeconds,
      startSeed: options.startSeed,
      log: this.status,
      start: () => this.startSource(),
      stop: () => this.stopSource(),
    });
  }

  // ---- the network --------------------------------------------------------------------------------

  private async startSource(): Promise<void> {
    this.stopped = false;
    this.orchestrator.setConnection(true, 'demo mode: simulated transactions, not market data');
    if (this.prefillSeconds > 0) {
      this.status(`demo: simulating the last ${formatSpan(this.prefillSeconds)} of transactions`);
      const started = performance.now();
      let made = 0;
      // Catch up with the clock, which keeps running while the pre-fill works; the last slice's
      // worth is left to the timer (chasing the clock to the end would never finish).
      while (!this.stopped && this.clock.now() - this.generator.time > PREFILL_SLICE_SECONDS) {
        made += this.apply(this.generator.advanceTo(this.generator.time + PREFILL_SLICE_SECONDS));
        await new Promise<void>((resolve) => setImmediate(resolve));
      }
      made += this.apply(this.generator.advanceTo(this.clock.now()));
      const seconds = ((performance.now() - started) / 1000).toFixed(1);
      this.status(
        `demo: ${made} transactions and ${this.orchestrator.health().counters.blocks_connected ?? 0} blocks in ${seconds} s`,
      );
    }
    if (this.generator.txPerSecond !== this.txPerSecond) this.generator.setRate(this.txPerSecond);
    if (this.stopped) return;
    this.timer = setInterval(() => this.step(), this.tickMs);
    this.timer.unref?.();
    // As with a node: give a burst's (or a fast demo's) garbage pages back.
    this.stopBursts = memory.watchBursts(
      () => this.orchestrator.health().counters.transactions_received ?? 0,
    );
  }

  private async stopSource(): Promise<void> {
    this.stopped = true;
    if (this.timer !== null) clearInterval(this.timer);
    this.timer = null;
    this.stopBursts?.();
    this.stopBursts = null;
  }

  /** Moves the network on to the clock's time; what it made goes into the pipeline. */
  step(): void {
    try {
      this.apply(this.generator.advanceTo(this.clock.now()));
    } catch (error) {
      // A demo fault must never take the service down; it shows in health and the counters.
      this.orchestrator.count('demo_errors');
      this.orchestrator.setConnection(
        true,
        `demo source fault: ${error instanceof Error ? error.message : error}`,
      );
    }
  }

  /** Feeds events through the parser into the orchestrator, as a node's messages are. Returns transactions fed. */
  private apply(events: SimEvent[]): number {
    let made = 0;
    for (const event of events) {
      this.orchestrator.noteMessage();
      switch (event.type) {
        case 'tx': {
          const tx = parseTransaction(event.bytes);
          if (event.replaces !== null) this.orchestrator.removeTransaction(event.replaces);
          this.orchestrator.addTransaction(tx, event.time);
          made++;
          break;
        }
        case 'remove':
          this.orchestrator.removeTransaction(event.txid);
          break;
        case 'block': {
          const block = readBlock(event.bytes);
          const { price, txids } = this.blockPrices.add(block);
          this.orchestrator.markMined(txids, block.header.time);
          this.orchestrator.count('blocks_connected');
          // windowPrice is already only a confident price (and only once enough blocks are held).
          const windowPrice = this.blockPrices.windowPrice;
          const windowEstimate = this.blockPrices.latestWindowEstimate;
          this.orchestrator.setBlockWindowPrice(
            windowPrice,
            windowPrice !== null && windowEstimate?.ok ? windowEstimate.confidence : 0,
          );
          for (const listener of this.blockListeners) listener(price);
          break;
        }
      }
    }
    return made;
  }

  /** Called with each demo block's price as it is mined (e.g. to record it in the history). */
  onBlock(listener: (block: DemoBlockPrice) => void): () => void {
    this.blockListeners.add(listener);
    return () => this.blockListeners.delete(listener);
  }
}

function formatSpan(seconds: number): string {
  return seconds >= 3600 ? `${+(seconds / 3600).toFixed(1)} h` : `${Math.round(seconds / 60)} min`;
}

/** The demo source (`chainprice serve --demo`): see DemoFeedOptions. */
export function createDemoFeed(options: DemoFeedOptions = {}): DemoFeed {
  return new DemoFeed(options);
}
