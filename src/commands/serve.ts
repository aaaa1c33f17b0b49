// `chainprice serve`: the service. Builds the live feed (your node, or the demo source with --demo),
// opens the history, assembles the app (src/server/app.ts) and listens; the browser app, the API,
// /health, /metrics and the WebSocket stream all come from this one process. SIGINT/SIGTERM close
// the WebSocket clients with 1001 (going away), stop the feed and close the history, then exit.

import type { AddressInfo } from 'node:net';
import { type NatsTarget, natsTarget } from '../bus/nats-target.ts';
import { EXIT, UserError } from '../errors.ts';
import { grouped } from '../format/number.ts';
import type { HistoryTables } from '../history/history-tables.ts';
import type { LiveFeed, LiveUpdate } from '../live/feed.ts';
import type { StartSeed } from '../live/orchestrator.ts';
import type { BlockPrice, BlockPriceReader, HistoryReader } from '../live/readers.ts';
import type { NodeConfig, NodeFlags } from '../node/node-config.ts';
import { NODE_FLAGS_HELP, takeNodeFlags } from '../node/node-flags.ts';
import type { RpcClient } from '../node/rpc-client.ts';
import { DEFAULT_MAX_PRICE, DEFAULT_MIN_PRICE } from '../oracle/estimator.ts';
import { memory } from '../runtime/memory-policy.ts';
import type { BlockWindowStats } from '../server/metrics-report.ts';
import type { HistoryStore } from '../store/history.ts';
import type { Command } from './command.ts';

const DEFAULT_HOST = '127.0.0.1';
const DEFAULT_PORT = 8000;
/** A second Ctrl-C while shutting down means "now": exit without waiting for the clean close. */
const FORCE_EXIT_CODE = 130;

const HELP = `Usage: chainprice serve [options] [node options]

Serves the live BTC/USD price read from your node's transactions: the browser app at /, the REST
API under /api/v1, /health, /metrics and the WebSocket stream /ws/mempool (see docs/api.md).

Options:
  --host HOST            address to listen on (default ${DEFAULT_HOST}; CHAINPRICE_HOST)
  --port PORT            port to listen on (default ${DEFAULT_PORT}; CHAINPRICE_PORT)
  --demo                 no node needed: a built-in synthetic transaction source (labelled "demo")
  --demo-speed N         demo only: simulated seconds per real second (default 1)
  --demo-burst           demo only: about 200 transactions a second, for load tests
  --demo-rate N          demo only: transactions per simulated second (default 4)
  --demo-price USD       demo only: the price the simulated market starts at (default 68000)
  --demo-seed N          demo only: seed of the simulation; the same seed replays the same network
  --token TOKEN          require this token for the API, /metrics and the stream (CHAINPRICE_TOKEN;
                         prefer the variable: flags show in ps). Browsers open /?token=TOKEN
  --allow-origin ORIGIN  also let pages served from ORIGIN (scheme://host[:port]) open the stream;
                         repeatable (CHAINPRICE_ALLOW_ORIGIN, comma-separated)
  --data-dir DIR         where the price history is kept (default ~/.chainprice; CHAINPRICE_DATA_DIR)
  --no-history           keep no history (the history API answers 503)
  --max-rss MB           /health reports a problem when resident memory passes MB megabytes
                         (CHAINPRICE_MAX_RSS_MB; default: no ceiling)
  --price-hint USD       optional, never needed: a rough BTC/USD price to seed the live estimate with
                         until the chain gives a confident one (a wrong hint is found and replaced
                         by the periodic cold check); without it a node restart seeds from the
                         history's last confident price of the past week, if any
  --nats URL             also publish the live state on NATS for edges (chainprice edge), and stand
                         by when another estimator of this network publishes (CHAINPRICE_NATS);
                         see docs/deploy-nats.md. Credentials come from the environment only:
                         CHAINPRICE_NATS_USER and …_PASSWORD, CHAINPRICE_NATS_TOKEN or CHAINPRICE_NATS_NKEY

${NODE_FLAGS_HELP}`;

interface ServeOptions {
  host: string;
  port: number;
  demo: boolean;
  demoSpeed: number | undefined;
  demoBurst: boolean;
  demoRate: number | undefined;
  demoPrice: number | undefined;
  demoSeed: number | undefined;
  token: string | undefined;
  allowedOrigins: string[];
  dataDir: string | undefined;
  history: boolean;
  priceHint: number | undefined;
  /** /health's resident-memory ceiling, bytes. */
  maxRssBytes: number | null;
  node: NodeFlags;
  nats: NatsTarget | undefined;
}

function usage(message: string): UserError {
  return new UserError(`serve: ${message}`, { hint: 'chainprice serve --help', exitCode: EXIT.usage });
}

export function parseServeArgs(args: string[], env: Record<string, string | undefined>): ServeOptions {
  const { flags, rest } = takeNodeFlags(args);
  const options: ServeOptions = {
    host: env.CHAINPRICE_HOST || DEFAULT_HOST,
    port: env.CHAINPRICE_PORT ? parsePort(env.CHAINPRICE_PORT, 'CHAINPRICE_PORT') : DEFAULT_PORT,
    demo: false,
    demoSpeed: undefined,
    demoBurst: false,
    demoRate: undefined,
    demoPrice: undefined,
    demoSeed: undefined,
    token: env.CHAINPRICE_TOKEN || undefined,
    allowedOrigins: (env.CHAINPRICE_ALLOW_ORIGIN ?? '')
      .split(',')
      .map((s) => s.trim())
      .filter(Boolean),
    dataDir: env.CHAINPRICE_DATA_DIR || undefined,
    history: true,
    priceHint: undefined,
    maxRssBytes: env.CHAINPRICE_MAX_RSS_MB
      ? positiveNumber('CHAINPRICE_MAX_RSS_MB', env.CHAINPRICE_MAX_RSS_MB) * 2 ** 20
      : null,
    node: flags,
    nats: undefined,
  };
  let natsUrl = env.CHAINPRICE_NATS || undefined;
  let originsFromFlags = false;
  for (let i = 0; i < rest.length; i++) {
    const arg = rest[i];
    const eq = arg.indexOf('=');
    const name = arg.startsWith('--') && eq !== -1 ? arg.slice(0, eq) : arg;
    const value = (): string => {
      const v = eq !== -1 && arg.startsWith('--') ? arg.slice(eq + 1) : rest[++i];
      if (v === undefined || (eq === -1 && v.startsWith('--'))) throw usage(`${name} needs a value`);
      return v;
    };
    switch (name) {
      case '--host':
        options.host = value();
        break;
      case '--port':
        options.port = parsePort(value(), '--port');
        break;
      case '--demo':
        options.demo = true;
        break;
      case '--demo-speed':
        options.demoSpeed = positiveNumber(name, value());
        break;
      case '--demo-rate':
        options.demoRate = positiveNumber(name, value());
        break;
      case '--demo-price':
        options.demoPrice = positiveNumber(name, value());
        break;
      case '--demo-seed': {
        const seed = positiveNumber(name, value());
        if (!Number.isSafeInteger(seed)) throw usage(`--demo-seed needs a whole number, not "${seed}"`);
        options.demoSeed = seed;
        break;
      }
      case '--demo-burst':
        options.demoBurst = true;
        break;
      case '--token': {
        const token = value();
        if (!/^[\x21-\x7e]+$/.test(token)) throw usage('--token must be printable ASCII without spaces');
        options.token = token;
        break;
      }
      case '--allow-origin':
        if (!originsFromFlags) options.allowedOrigins = [];
        originsFromFlags = true;
        options.allowedOrigins.push(value());
        break;
      case '--data-dir':
        options.dataDir = value();
        break;
      case '--no-history':
        options.history = false;
        break;
      case '--max-rss':
        options.maxRssBytes = positiveNumber(name, value()) * 2 ** 20;
        break;
      case '--price-hint':
        options.priceHint = priceHint(value());
        break;
      case '--nats':
        natsUrl = value();
        break;
      default:
        throw usage(`unknown argument ${arg}`);
    }
  }
  const demoOnly = [options.demoSpeed, options.demoRate, options.demoPrice, options.demoSeed];
  if (!options.demo && (options.demoBurst || demoOnly.some((v) => v !== undefined))) {
    throw usage('the --demo-… options only apply with --demo');
  }
  if (options.demo && Object.keys(options.node).length > 0) {
    throw usage('node options do not apply with --demo');
  }
  if (natsUrl !== undefined)
    options.nats = natsTarget(natsUrl, env, 'serve: --nats', 'chainprice serve --help');
  return options;
}

function positiveNumber(name: string, text: string): number {
  const n = Number(text);
  if (text.trim() === '' || !Number.isFinite(n) || n <= 0)
    throw usage(`${name} needs a positive number, not "${text}"`);
  return n;
}

/** A rough price in USD per BTC, within the range the estimator searches. */
function priceHint(text: string): number {
  const n = Number(text.replace(/^\$/, '').replaceAll(',', '').replaceAll('_', ''));
  if (text.trim() === '' || !Number.isFinite(n) || n < DEFAULT_MIN_PRICE || n > DEFAULT_MAX_PRICE) {
    throw new UserError(
      `serve: --price-hint needs a price in US dollars per bitcoin from ${DEFAULT_MIN_PRICE} to ${grouped(DEFAULT_MAX_PRICE)}, not "${text}"`,
      {
        hint: 'e.g. --price-hint 65000; or leave it out: it is never needed (the chain gives the price)',
        exitCode: EXIT.usage,
      },
    );
  }
  return n;
}

/** Port 0 asks the system for a free port (the one chosen is printed). */
function parsePort(text: string, name: string): number {
  const port = Number(text);
  if (!/^\d+$/.test(text) || port > 65_535) {
    throw usage(`${name} needs a port number from 1 to 65535 (or 0 for any free port), not "${text}"`);
  }
  return port;
}

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

async function run(args: string[]): Promise<number> {
  const options = parseServeArgs(args, process.env);
  // The memory settings are read at process start: restart once with them, in place.
  memory.atStart();
  const status = (line: string) => console.error(`chainprice: ${line}`);

  const { buildApp } = await import('../server/app.ts');
  const { normaliseOrigin } = await import('../server/origin-check.ts');
  try {
    options.allowedOrigins = options.allowedOrigins.map(normaliseOrigin);
  } catch (error) {
    throw usage(`--allow-origin: ${(error as Error).message}`);
  }

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
  const chainHistory =
    chainTables === undefined
      ? Promise.resolve()
      : keepChainHistory(options, source, chainTables, status, background.signal).catch((error: unknown) =>
          status(`the chain price history stopped: ${(error as Error).message}`),
        );
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
  // The start (the demo's pre-fill, the mempool bootstrap) is done.
  memory.afterStart();
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
    // Months of simulated blocks leave their garbage's pages behind.
    memory.afterFill();
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
    if (!signal.aborted) memory.afterFill();
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

export const command: Command = {
  name: 'serve',
  summary: 'serve the live price: browser app, REST API, WebSocket stream (--demo without a node)',
  help: HELP,
  run,
};
