// Where `chainprice serve` reads the live price from: the node (its ZMQ and RPC, found through
// node-config.ts) or, with --demo, the built-in synthetic network. In: the serve options. Out: the
// live feed, its network's name, the block prices and the hooks the rest of the service uses. A
// node that cannot be reached says so in one sentence and suggests the demo.

import { UserError } from '../errors.ts';
import type { LiveFeed } from '../live/feed.ts';
import type { StartSeed } from '../live/orchestrator.ts';
import type { BlockPrice, BlockPriceReader } from '../live/readers.ts';
import type { NodeConfig } from '../node/node-config.ts';
import type { RpcClient } from '../node/rpc-client.ts';
import type { BlockWindowStats } from '../server/metrics-report.ts';
import type { ServeOptions } from './serve-options.ts';

/** What the feed module gives besides the LiveFeed: block prices, and a hook for each new block. */
export interface Source {
  feed: LiveFeed;
  /** The network whose price this is: `demo`, or the node's (`main`, `test`, …). */
  network: string;
  blocks: BlockPriceReader;
  onBlock?: (listener: (block: BlockPrice) => void) => () => void;
  /** Seeds the live estimate until the chain gives a confident price (before start). */
  setStartSeed: (seed: StartSeed) => void;
  /** The confirmed-block window's size (node only). */
  blockWindow?: () => BlockWindowStats | null;
  /** The node (node mode): the chain's price history is kept current from it, looking again at each `onChainChange`. */
  node?: {
    rpc: RpcClient;
    config: NodeConfig;
    firstBlockWindowFill: Promise<void>;
    onChainChange: (listener: () => void) => () => void;
  };
}

/**
 * `clock` (benchmarks only: bench/soak.ts --node runs simulated days in minutes) replaces the wall
 * clock the node feed ages its window by; serve never passes it.
 */
export async function openSource(
  options: ServeOptions,
  status: (line: string) => void,
  clock?: { now: () => number },
): Promise<Source> {
  if (options.demo) {
    const { createDemoFeed } = await import('../sim/demo-feed.ts');
    const feed = createDemoFeed({
      speed: options.demoSpeed,
      burst: options.demoBurst,
      txPerSecond: options.demoRate,
      startPrice: options.demoPrice,
      seed: options.demoSeed,
      onStatus: status,
    });
    return {
      feed,
      network: 'demo',
      blocks: feed.blockPrices,
      onBlock: (listener) => feed.onBlock(listener),
      setStartSeed: (seed) => feed.orchestrator.setStartSeed(seed),
    };
  }
  const { resolveNodeConfig } = await import('../node/node-config.ts');
  const { createNodeFeed } = await import('../node/node-feed.ts');
  try {
    const config = resolveNodeConfig(options.node);
    const feed = await createNodeFeed(config, { onStatus: status, now: clock?.now });
    return {
      feed,
      network: config.network,
      blocks: feed.blockPrices,
      onBlock: (listener) => feed.onBlock(listener),
      setStartSeed: (seed) => feed.orchestrator.setStartSeed(seed),
      blockWindow: () => feed.blockWindow?.stats ?? null,
      node: {
        rpc: feed.rpc,
        config: feed.config,
        firstBlockWindowFill: feed.firstBlockWindowFill,
        onChainChange: (listener) => feed.onChainChange(listener),
      },
    };
  } catch (error) {
    if (error instanceof UserError) {
      const demo = 'to try chainprice without a node, run: chainprice serve --demo';
      throw new UserError(error.message, {
        hint: error.hint ? `${error.hint}\n${demo}` : demo,
        exitCode: error.exitCode,
      });
    }
    throw error;
  }
}
