// The live feed from a real node, assembled: a NodeConfig in, a LiveFeed out (plus the node's
// confirmed-block prices for the HTTP API). Creating it checks the node — reachable, credentials,
// warm-up (waited for, with status lines), network, ZMQ topics — and fails with one clear sentence
// and a hint. start() subscribes, fills the window from the node (mempool + blocks of the last
// `windowSeconds`), then keeps it in step (MempoolSync); the confirmed-block window price (last
// 144 blocks) is computed in the background, shown, and seeds the live estimate when confident.

import type { FeedHealth } from '../live/feed.ts';
import { OrchestratedFeed } from '../live/orchestrated-feed.ts';
import { Orchestrator, type StartSeed } from '../live/orchestrator.ts';
import { NODE_AVAILABLE, NODE_UNAVAILABLE } from '../live/source-notices.ts';
import { MIN_SEED_CONFIDENCE } from '../oracle/seed-price.ts';
import type { PriceWindow } from '../oracle/window.ts';
import { memory } from '../runtime/memory-policy.ts';
import { type BlockPrice, BlockPrices } from './block-prices.ts';
import { BlockSource } from './block-source.ts';
import { BlockWindowPrice, DEFAULT_BLOCK_WINDOW_BLOCKS } from './block-window-price.ts';
import { MempoolSync } from './mempool-sync.ts';
import type { TrackedBlock } from './mempool-tracker.ts';
import { describeNodeConfig, type NodeConfig, type ZmqEndpoints } from './node-config.ts';
import { type ChainInfo, connectToNode, explainNodeError } from './node-connection.ts';
import type { RpcClient } from './rpc-client.ts';
import { discoverZmqEndpoints } from './zmq-endpoints.ts';
import type { ZmqListenerOptions } from './zmq-listener.ts';

/** Three hours: the product's live window (see the estimator notes). */
const DEFAULT_WINDOW_SECONDS = 3 * 60 * 60;

export interface NodeFeedOptions {
  /** Unix seconds; defaults to the wall clock. */
  now?: () => number;
  windowSeconds?: number;
  updateIntervalMs?: number;
  /** Blocks in the confirmed-block window price (0 turns it off). */
  blockWindowBlocks?: number;
  /** Status and progress lines for the operator's console. Never contains a secret. */
  onStatus?: (line: string) => void;
  /** Stop waiting for a warming-up node after this long (default: wait). */
  warmupTimeoutMs?: number;
  /** The live window (tests pass their own to inspect it). */
  window?: PriceWindow;
  /** ZMQ socket settings (reconnect timing, receive queue). */
  zmq?: ZmqListenerOptions;
  /** Seconds between cold checks of the live window while it is seeded (0: off). Default 60. */
  coldCheckSeconds?: number;
  /** The seed until the chain gives a confident price (the history's last one, or --price-hint). */
  startSeed?: StartSeed;
}

export class NodeFeed extends OrchestratedFeed {
  readonly source = 'node' as const;
  readonly config: NodeConfig;
  readonly chain: ChainInfo;
  readonly endpoints: ZmqEndpoints;
  readonly rpc: RpcClient;
  /** Confirmed-block prices (BlockPriceReader for `GET /api/v1/blocks/:heightOrHash/price`). */
  readonly blockPrices: BlockPrices;
  readonly blockWindow: BlockWindowPrice | null;
  readonly orchestrator: Orchestrator;
  readonly sync: MempoolSync;
  private readonly status: (line: string) => void;
  private readonly blockListeners = new Set<(block: BlockPrice) => void>();
  private readonly chainListeners = new Set<() => void>();
  private settleFirstFill: () => void = () => {};
  private stopBursts: (() => void) | null = null;
  /**
   * Resolves once the block window's first fill is over (priced or failed; at once without a block
   * window, and when the feed stops first). Serve starts its chain-history build after it, so the
   * two start-up fills, each fetching the last day's blocks, do not add up (peak memory).
   */
  readonly firstBlockWindowFill: Promise<void>;

  constructor(
    config: NodeConfig,
    rpc: RpcClient,
    chain: ChainInfo,
    endpoints: ZmqEndpoints,
    options: NodeFeedOptions,
  ) {
    super();
    this.firstBlockWindowFill = new Promise((resolve) => {
      this.settleFirstFill = resolve;
    });
    this.config = config;
    this.rpc = rpc;
    this.chain = chain;
    this.endpoints = endpoints;
    this.status = options.onStatus ?? (() => {});
    const now = options.now ?? (() => Date.now() / 1000);
    const windowSeconds = options.windowSeconds ?? DEFAULT_WINDOW_SECONDS;
    const source = new BlockSource(rpc);
    this.blockPrices = new BlockPrices(source);
    this.orchestrator = new Orchestrator({
      source: 'node',
      now,
      windowSeconds,
      updateIntervalMs: options.updateIntervalMs,
      window: options.window,
      coldCheckSeconds: options.coldCheckSeconds,
      startSeed: options.startSeed,
      log: this.status,
      start: () => this.startSource(),
      stop: () => this.stopSource(),
    });
    const blocks = options.blockWindowBlocks ?? DEFAULT_BLOCK_WINDOW_BLOCKS;
    this.blockWindow =
      blocks > 0
        ? new BlockWindowPrice(source, {
            blocks,
            onPrice: (price, estimate) => {
              const confidence = estimate.ok ? estimate.confidence : 0;
              this.orchestrator.setBlockWindowPrice(price, confidence);
              const seed = this.orchestrator.seedPrice;
              const fallback =
                seed === null
                  ? 'the live estimate searches without a seed'
                  : `the live estimate keeps its seed $${seed.toFixed(2)}`;
              this.status(
                price === null
                  ? `the last ${blocks} blocks give no price: ${estimate.ok ? 'no estimate' : estimate.reason}; ${fallback}`
                  : confidence >= MIN_SEED_CONFIDENCE
                    ? `the last ${blocks} blocks price bitcoin at $${price.toFixed(2)} (confidence ${confidence.toFixed(2)}); seeding the live estimate with it`
                    : `the last ${blocks} blocks price bitcoin at $${price.toFixed(2)}, but only at confidence ${confidence.toFixed(2)} (below ${MIN_SEED_CONFIDENCE}): shown, not used as a seed; ${fallback}`,
              );
            },
            onProgress: (done, total) => {
              if (done === 0 || done === total || done % 24 === 0)
                this.status(`pricing the last ${blocks} blocks: ${done}/${total} fetched`);
            },
          })
        : null;
    this.sync = new MempoolSync({
      rpc,
      blocks: source,
      endpoints,
      sink: this.orchestrator,
      now,
      windowSeconds,
      onChainChange: () => this.chainMayHaveMoved(),
      // A fill the node let time out meanwhile is done again.
      onNodeBack: () => {
        this.chainMayHaveMoved();
        this.emitEvent(NODE_AVAILABLE);
      },
      // Told to the stream's clients: no update comes while the node hangs, and a page should say why.
      onNodeSilent: () => this.emitEvent(NODE_UNAVAILABLE),
      onBlock: (block) => this.priceNewBlock(block),
      log: this.status,
      zmq: options.zmq,
    });
  }

  /** Prices each newly connected block (from its already parsed transactions) and tells the block listeners. */
  private priceNewBlock(block: TrackedBlock): void {
    if (this.blockListeners.size === 0) return;
    this.blockPrices.source
      .info(block.hash)
      .then((info) => {
        if (info === null) return;
        const price = this.blockPrices.priceOfTransactions(info, block.transactions);
        for (const listener of this.blockListeners) listener(price);
      })
      .catch((error) =>
        this.status(
          `could not price block ${block.hash}: ${error instanceof Error ? error.message : String(error)}`,
        ),
      );
  }

  /** The chain moved (a block connected or disconnected, a new tip found by a resync) or the node answers again after a hang. */
  private chainMayHaveMoved(): void {
    void this.refreshBlockWindow();
    for (const listener of this.chainListeners) listener();
  }

  /**
   * Called whenever the chain may have moved: each block connected or disconnected, a tip a resync
   * found (blocks mined while ZMQ was quiet), the node answering again after a hang. What keeps a
   * copy of the chain (the chain-price history) looks again. Returns an unsubscribe function.
   */
  onChainChange(listener: () => void): () => void {
    this.chainListeners.add(listener);
    return () => this.chainListeners.delete(listener);
  }

  /** Called with the price of every block connected while the feed runs (e.g. to record history). */
  onBlock(listener: (block: BlockPrice) => void): () => void {
    this.blockListeners.add(listener);
    return () => this.blockListeners.delete(listener);
  }

  private async startSource(): Promise<void> {
    this.status(
      `following the mempool of the ${describeNodeConfig(this.config)}; ZMQ ${Object.entries(this.endpoints)
        .map(([t, e]) => `${t} ${e}`)
        .join(', ')}`,
    );
    await this.sync.start();
    // After a burst of transactions, give its garbage's pages back.
    this.stopBursts = memory.watchBursts(
      () => this.orchestrator.health().counters.transactions_received ?? 0,
    );
    const first = this.refreshBlockWindow();
    if (first === undefined) this.settleFirstFill();
    else first.finally(this.settleFirstFill);
  }

  private async stopSource(): Promise<void> {
    this.settleFirstFill();
    this.stopBursts?.();
    this.stopBursts = null;
    await this.sync.stop();
    this.rpc.close();
  }

  private refreshBlockWindow(): Promise<void> | undefined {
    return this.blockWindow?.refresh().catch((error) => {
      this.status(
        `could not price the last ${this.blockWindow?.blocks} blocks: ${error instanceof Error ? error.message : String(error)}`,
      );
    });
  }

  /**
   * The orchestrator's health with the node watch's findings: a node that does not answer RPC is
   * not connected, and its sentence (or ZMQ being quiet) comes first in `detail` and in `problems`.
   */
  override health(): FeedHealth {
    const base = this.orchestrator.health();
    const link = this.sync.linkReport();
    if (link === null) return base;
    return {
      ...base,
      connected: base.connected && link.rpcAnswering,
      detail: link.problems[0] ?? base.detail,
      node: {
        rpcAnswering: link.rpcAnswering,
        lastRpcAnswerAgeSeconds: link.lastRpcAnswerAgeSeconds,
        zmqQuietSeconds: link.zmqQuietSeconds,
      },
      problems: link.problems,
    };
  }

  /** Txids the mempool tracker holds (mempool + mined in the window's span). */
  trackedTxids(): Set<string> {
    return this.sync.tracker.txids();
  }

  /** Txids in the price window. */
  windowTxids(): Set<string> {
    return this.orchestrator.windowTxids();
  }
}

/**
 * Checks the node and builds the feed (not started). Throws UserError with a hint for every
 * problem the user can fix; waits (with status lines) while the node warms up.
 */
export async function createNodeFeed(config: NodeConfig, options: NodeFeedOptions = {}): Promise<NodeFeed> {
  const { rpc, chain } = await connectToNode(config, {
    onStatus: options.onStatus,
    warmupTimeoutMs: options.warmupTimeoutMs,
  });
  try {
    const endpoints = await discoverZmqEndpoints(rpc, config);
    if (chain.initialBlockDownload) {
      options.onStatus?.(
        'the node is still catching up with the chain (initial block download); live prices may lag until it is done',
      );
    }
    return new NodeFeed(config, rpc, chain, endpoints, options);
  } catch (error) {
    rpc.close();
    throw explainNodeError(error, config);
  }
}
