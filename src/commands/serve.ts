// `chainprice serve`: the service. Builds the live feed (your node, or the demo source with --demo),
// opens the history, assembles the app (src/server/app.ts) and listens; the browser app, the API,
// /health, /metrics and the WebSocket stream all come from this one process. SIGINT/SIGTERM close
// the WebSocket clients with 1001 (going away), stop the feed and close the history, then exit.
// In: the parsed options (serve-options.ts). Out: the exit code.

import { flushCompileCache } from 'node:module';
import type { AddressInfo } from 'node:net';
import type { NatsTarget } from '../bus/nats-target.ts';
import { EXIT, UserError } from '../errors.ts';
import type { HistoryTables } from '../history/history-tables.ts';
import type { LiveFeed, LiveUpdate } from '../live/feed.ts';
import type { StartSeed } from '../live/orchestrator.ts';
import type { BlockPrice, BlockPriceReader, HistoryReader } from '../live/readers.ts';
import type { NodeConfig } from '../node/node-config.ts';
import type { RpcClient } from '../node/rpc-client.ts';
import { markOnMainThread, releaseMemory } from '../runtime/release-memory.ts';
import type { BlockWindowStats } from '../server/metrics-report.ts';
import type { HistoryStore } from '../store/history.ts';
import type { ServeOptions } from './serve-options.ts';

/** A second Ctrl-C while shutting down means "now": exit without waiting for the clean close. */
const FORCE_EXIT_CODE = 130;

/** What the feed module gives besides the LiveFeed: block prices, and (demo) a hook for each new block. */
interface Source {
  feed: LiveFeed;
  /** The network whose price this is: \`demo\`, or the node's (\`main\`, \`test\`, …). */
  network: string;
  blocks: BlockPriceReader;
  onBlock?: (listener: (block: BlockPrice) => void) => () => void;
  /** Seeds the live estimate until the chain gives a confident price (before start). */
  setStartSeed: (seed: StartSeed) => void;
  /** The confirmed-block window's size (node only). */
  blockWindow?: () => BlockWindowStats | null;
  /** The node (node mode): the chain's price history is kept current from it. */
  node?: { rpc: RpcClient; config: NodeConfig; firstBlockWindowFill: Promise<void> };
}

async function openSource(options: ServeOptions, status: (line: string) => void): Promise<Source> {
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
    const feed = await createNodeFeed(config, { onStatus: status });
    return {
      feed,
      network: config.network,
      blocks: feed.blockPrices,
      onBlock: (listener) => feed.onBlock(listener),
      setStartSeed: (seed) => feed.orchestrator.setStartSeed(seed),
      blockWindow: () => feed.blockWindow?.stats ?? null,
      node: { rpc: feed.rpc, config: feed.config, firstBlockWindowFill: feed.firstBlockWindowFill },
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

type History = HistoryStore;

async function openHistory(options: ServeOptions): Promise<History | undefined> {
  if (!options.history) return undefined;
  const { HistoryStore } = await import('../store/history.ts');
  return HistoryStore.open({ dataDir: options.dataDir, source: options.demo ? 'demo' : 'node' });
}

function listenError(error: unknown, host: string, port: number): Error {
  const code = (error as NodeJS.ErrnoException).code;
  switch (code) {
    case 'EADDRINUSE':
      return new UserError(
        `port ${port} on ${host} is already in use (another chainprice, or another server).`,
        {
          hint: `stop it, or pick another port: chainprice serve --port ${port === 65_535 ? 8001 : port + 1}`,
        },
      );
    case 'EADDRNOTAVAIL':
    case 'ENOTFOUND':
    case 'EAI_AGAIN':
      return new UserError(`cannot listen on ${host}: it is not an address of this machine.`, {
        hint: 'use 127.0.0.1 (this machine only) or 0.0.0.0 (every interface) with --host',
      });
    case 'EACCES':
      return new UserError(`permission denied to listen on port ${port}.`, {
        hint: 'ports below 1024 need root; use a higher --port (and a reverse proxy for port 80/443)',
      });
    default:
      return error instanceof Error ? error : new Error(String(error));
  }
}

function isLoopback(host: string): boolean {
  return host === 'localhost' || host === '::1' || /^127\./.test(host);
}

export async function run(options: ServeOptions): Promise<number> {
  // The memory settings (heap-settings.ts: V8 flags and glibc malloc settings, measured to keep
  // the service lean) are read at process start: restart once with them, in place.
  const { memoryRelaunch } = await import('../runtime/heap-settings.ts');
  const relaunch = memoryRelaunch();
  if (relaunch !== null) {
    // What this process compiled (the command line's modules) is there for the restarted one.
    flushCompileCache();
    process.execve?.(relaunch.file, relaunch.args, relaunch.env);
  }
  const status = (line: string) => console.error(`chainprice: ${line}`);

  const { buildApp } = await import('../server/app.ts');

  const source = await openSource(options, status);
  let history: History | undefined;
  try {
    history = await openHistory(options);
  } catch (error) {
    await source.feed.stop();
    throw error;
  }
  // The seed until the chain gives a confident price: --price-hint, else (node only: the demo's
  // history is of another simulated market) the history's last confident price of the past week.
  const { chooseStartSeed } = await import('../live/start-seed.ts');
  const startSeed = chooseStartSeed({
    hint: options.priceHint,
    history: options.demo ? undefined : history,
    now: Date.now() / 1000,
  });
  if (startSeed !== null) {
    source.setStartSeed(startSeed);
    status(`seeding the live estimate with ${startSeed.detail}`);
  }

  let bus: Awaited<ReturnType<typeof openPublisher>> | undefined;
  if (options.nats !== undefined) {
    try {
      bus = await openPublisher(options.nats, source, history, status);
    } catch (error) {
      history?.close();
      await source.feed.stop();
      throw error;
    }
  }
  // The chain's price history (days and blocks) lives in the same database as the live history.
  const { HistoryTables } = await import('../history/history-tables.ts');
  const chainTables = history === undefined ? undefined : new HistoryTables(history.database);
  const app = await buildApp({
    feed: source.feed,
    history,
    chainHistory: chainTables,
    blocks: source.blocks,
    token: options.token,
    allowedOrigins: options.allowedOrigins,
    health: { maxRssBytes: options.maxRssBytes },
    blockWindow: source.blockWindow,
    log: status,
    servedBy: bus?.instance,
  });

  const unsubscribers: (() => void)[] = [];
  if (history !== undefined) {
    const store = history;
    let failed = false;
    const record = (write: () => void) => {
      try {
        write();
      } catch (error) {
        // The live service matters more than its history: say it once and keep serving.
        if (!failed) status(`could not write the history (${(error as Error).message}); serving without it`);
        failed = true;
      }
    };
    unsubscribers.push(source.feed.onUpdate((u: LiveUpdate) => record(() => store.recordEstimate(u.state))));
    if (source.onBlock) unsubscribers.push(source.onBlock((block) => record(() => store.recordBlock(block))));
  }

  try {
    await app.listen({ host: options.host, port: options.port });
  } catch (error) {
    await app.close();
    await bus?.close();
    history?.close();
    await source.feed.stop();
    throw listenError(error, options.host, options.port);
  }

  const port = (app.server.address() as AddressInfo).port;
  const shown = options.host.includes(':') ? `[${options.host}]` : options.host;
  const url = `http://${shown === '0.0.0.0' || shown === '[::]' ? '127.0.0.1' : shown}:${port}/`;
  const background = new AbortController();
  /** Resolved once the history's first build is done (the last of the start's fills). */
  let historyBuilt = () => {};
  const firstHistory = new Promise<void>((resolve) => {
    historyBuilt = resolve;
  });
  const chainHistory =
    chainTables === undefined
      ? Promise.resolve()
      : keepChainHistory(options, source, chainTables, status, background.signal, historyBuilt)
          .catch((error: unknown) => status(`the chain price history stopped: ${(error as Error).message}`))
          .finally(historyBuilt);
  status(
    `serving the ${options.demo ? 'demo' : 'node'} price on ${url}${options.token ? '?token=… (add your token)' : ''}` +
      (history ? ` — history in ${history.path}` : ''),
  );
  if (!isLoopback(options.host) && !options.token) {
    status(
      `listening on ${options.host} without a token: anyone who can reach this port can read the stream (set CHAINPRICE_TOKEN)`,
    );
  }

  let stopping: Promise<void> | null = null;
  const shutdown = (signal: string): Promise<void> => {
    if (stopping !== null) {
      status(`${signal} again: exiting now`);
      process.exit(FORCE_EXIT_CODE);
    }
    status(`${signal}: closing connections and stopping`);
    stopping = (async () => {
      for (const unsubscribe of unsubscribers) unsubscribe();
      background.abort();
      await chainHistory;
      await bus?.close();
      await app.close();
      await source.feed.stop();
      history?.close();
    })();
    return stopping;
  };
  const stopped = new Promise<void>((resolve, reject) => {
    for (const signal of ['SIGINT', 'SIGTERM'] as const) {
      process.on(signal, () => {
        shutdown(signal).then(resolve, reject);
      });
    }
  });

  bus?.start();
  try {
    await source.feed.start();
  } catch (error) {
    await shutdown('startup failure').catch(() => {});
    throw error;
  }
  // The start (the demo's pre-fill, the mempool bootstrap) leaves its garbage's pages behind.
  releaseMemory();
  // Every module the service uses is loaded now: the next start finds them compiled.
  flushCompileCache();
  // With a node, once the start's fills are done, full GCs mark on the JS thread (release-memory.ts).
  // Not in the demo: its 24-hour soak (bench/soak.ts) ended at 193 MB that way against 171-175.
  if (!options.demo) {
    void (history === undefined ? Promise.resolve() : firstHistory).then(() => {
      if (!background.signal.aborted) markOnMainThread();
    });
  }
  await stopped;
  status('stopped');
  return EXIT.ok;
}

/**
 * The chain's price history beside the live price, in the background (never delaying it): the demo
 * simulates months of past days into its own database; a node's recent days are built and kept
 * current as blocks arrive (src/history/node-history.ts). Ends when `signal` aborts (shutdown).
 */
async function keepChainHistory(
  options: ServeOptions,
  source: Source,
  tables: HistoryTables,
  status: (line: string) => void,
  signal: AbortSignal,
  built: () => void,
): Promise<void> {
  if (options.demo) {
    const { buildDemoHistory } = await import('../sim/demo-history.ts');
    status('demo: simulating months of past days for the History view');
    await buildDemoHistory({
      tables,
      endTime: Date.now() / 1000,
      seed: options.demoSeed,
      endPrice: options.demoPrice,
      onStatus: status,
      signal,
    });
    // Months of simulated blocks leave their garbage's pages behind (measured: ~30 MB resident).
    releaseMemory();
    built();
    return;
  }
  if (source.node === undefined) return;
  // After the block window's first fill: both fetch the last day's blocks, and together they
  // doubled the start-up peak (bench/memory.ts). Stopping serve meanwhile ends the wait.
  await Promise.race([
    source.node.firstBlockWindowFill,
    new Promise((resolve) => signal.addEventListener('abort', resolve, { once: true })),
  ]);
  if (signal.aborted) return;
  const { NodeHistory } = await import('../history/node-history.ts');
  const keeper = new NodeHistory({
    rpc: source.node.rpc,
    network: source.node.config.network,
    datadir: source.node.config.datadir,
    tables,
    log: status,
  });
  keeper.start();
  // The first build (the recent days) leaves its garbage's pages behind, like the demo's.
  void keeper.idle().then(() => {
    if (!signal.aborted) releaseMemory();
    built();
  });
  const unsubscribe = source.onBlock?.(() => keeper.update());
  await new Promise<void>((resolve) => signal.addEventListener('abort', () => resolve(), { once: true }));
  unsubscribe?.();
  await keeper.stop();
}

/** `--nats`: the connection, the lease and the publisher (loaded only when asked for). */
async function openPublisher(
  target: NatsTarget,
  source: Source,
  history: HistoryReader | undefined,
  status: (line: string) => void,
) {
  const { isNetworkName } = await import('../bus/bus-protocol.ts');
  const { openBus } = await import('../bus/bus-start.ts');
  const { BusPublisher } = await import('../bus/publisher.ts');
  if (!isNetworkName(source.network))
    throw new UserError(`serve: --nats does not know network ${source.network}`);
  const bus = await openBus(target, 'estimator');
  const publisher = new BusPublisher({
    nc: bus.nc,
    kv: bus.kv,
    network: source.network,
    feed: source.feed,
    history,
    blocks: source.blocks,
    instance: bus.instance,
    log: status,
  });
  status(
    `NATS: ${bus.instance} joined ${target.shown} (credentials: ${target.authKind}) for the ${source.network} ` +
      'network; publishing once it holds the lease, standing by while another estimator does',
  );
  return {
    instance: bus.instance,
    start: () => publisher.start(),
    close: async () => {
      await publisher.stop();
      await bus.nc.close().catch(() => {});
    },
  };
}
