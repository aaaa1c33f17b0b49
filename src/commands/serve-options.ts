// What `chainprice serve` takes, declared once (options.ts): where it listens, the demo source, the
// token and origins, the history, /health's memory ceiling and stall limit, the price hint, NATS and the node.
// Out: ServeOptions, with the rules across options checked (the demo's options only with --demo,
// the node's never with it; NATS URL and credentials).

import { NATS_ENV_HELP, natsTarget } from '../bus/nats-target.ts';
import { grouped } from '../format/number.ts';
import { DEFAULT_MAX_PRICE, DEFAULT_MIN_PRICE } from '../oracle/estimator.ts';
import { DEFAULT_HEALTH_LIMITS } from '../server/health.ts';
import { NODE_OPTIONS, nodeFlagsOf } from './node-options.ts';
import { BadValue, declareCommand, type Env, flag, option, usageError } from './options.ts';
import { ALLOW_ORIGIN, DATA_DIR, HOST, MAX_CLIENTS, natsOption, PORT, TOKEN } from './shared-options.ts';

function positiveNumber(text: string, from: string): number {
  const n = Number(text);
  if (text.trim() === '' || !Number.isFinite(n) || n <= 0)
    throw new BadValue(`${from} needs a positive number, not "${text}"`);
  return n;
}

/** A rough price in USD per BTC ($ and thousands separators allowed), within the range the estimator searches. */
function priceHint(text: string, from: string): number {
  const n = Number(text.replace(/^\$/, '').replaceAll(',', '').replaceAll('_', ''));
  if (text.trim() === '' || !Number.isFinite(n) || n < DEFAULT_MIN_PRICE || n > DEFAULT_MAX_PRICE) {
    throw new BadValue(
      `${from} needs a price in US dollars per bitcoin from ${DEFAULT_MIN_PRICE} to ${grouped(DEFAULT_MAX_PRICE)}, not "${text}"`,
      'e.g. --price-hint 65000; or leave it out: it is never needed (the chain gives the price)',
    );
  }
  return n;
}

export const serveCommand = declareCommand({
  name: 'serve',
  summary: 'serve the live price: browser app, REST API, WebSocket stream (--demo without a node)',
  usage: ['chainprice serve [options] [node options]'],
  description: `Serves the live BTC/USD price read from your node's transactions: the browser app at /, the REST
API under /api/v1, /health, /metrics and the WebSocket stream /ws/mempool (see docs/api.md).`,
  options: {
    host: HOST,
    port: PORT,
    demo: flag({ help: 'no node needed: a built-in synthetic transaction source (labelled "demo")' }),
    demoSpeed: option({
      value: 'N',
      help: 'demo only: simulated seconds per real second',
      shownDefault: '1',
      example: '60',
      parse: positiveNumber,
    }),
    demoBurst: flag({ help: 'demo only: about 200 transactions a second, for load tests' }),
    demoRate: option({
      value: 'N',
      help: 'demo only: transactions per simulated second',
      shownDefault: '4',
      example: '8',
      parse: positiveNumber,
    }),
    demoPrice: option({
      value: 'USD',
      help: 'demo only: the price the simulated market starts at',
      shownDefault: '68000',
      example: '42000',
      parse: positiveNumber,
    }),
    demoSeed: option({
      value: 'N',
      help: 'demo only: seed of the simulation; the same seed replays the same network',
      example: '7',
      parse: (text: string, from: string): number => {
        const seed = positiveNumber(text, from);
        if (!Number.isSafeInteger(seed)) throw new BadValue(`${from} needs a whole number, not "${text}"`);
        return seed;
      },
    }),
    token: TOKEN,
    allowOrigin: ALLOW_ORIGIN,
    maxClients: MAX_CLIENTS,
    dataDir: DATA_DIR,
    noHistory: flag({ help: 'keep no history (the history API answers 503)' }),
    maxRss: option({
      value: 'MB',
      help: '/health reports a problem when resident memory passes MB megabytes',
      shownDefault: 'no ceiling',
      env: 'CHAINPRICE_MAX_RSS_MB',
      example: '300',
      parse: (text: string, from: string): number => positiveNumber(text, from) * 2 ** 20,
    }),
    maxStall: option({
      value: 'SECONDS',
      help:
        '/health reports a problem when the event loop was blocked longer than this in the last minute ' +
        '(raise it on a slow box, e.g. a board computer with an SD card)',
      shownDefault: String(DEFAULT_HEALTH_LIMITS.maxEventLoopStallSeconds),
      env: 'CHAINPRICE_MAX_STALL_S',
      example: '3',
      parse: positiveNumber,
    }),
    priceHint: option({
      value: 'USD',
      help:
        'optional, never needed: a rough BTC/USD price to seed the live estimate with until the chain ' +
        'gives a confident one (a wrong hint is found and replaced by the periodic cold check); without ' +
        "it a node restart seeds from the history's last confident price of the past week, if any",
      example: '$97,250.5',
      parse: priceHint,
    }),
    nats: natsOption(
      'also publish the live state on NATS for edges (chainprice edge), and stand by when another ' +
        'estimator of this network publishes; see docs/deploy-nats.md',
    ),
    ...NODE_OPTIONS,
  },
  epilogue: NATS_ENV_HELP,
  finish: ({ values: v }, env: Env) => {
    const demoOnly = [v.demoSpeed, v.demoRate, v.demoPrice, v.demoSeed];
    if (!v.demo && (v.demoBurst || demoOnly.some((x) => x !== undefined))) {
      throw usageError('serve', 'the --demo-… options only apply with --demo');
    }
    const node = nodeFlagsOf(v, 'serve');
    if (v.demo && Object.keys(node).length > 0)
      throw usageError('serve', 'node options do not apply with --demo');
    return {
      host: v.host,
      port: v.port,
      demo: v.demo,
      demoSpeed: v.demoSpeed,
      demoBurst: v.demoBurst,
      demoRate: v.demoRate,
      demoPrice: v.demoPrice,
      demoSeed: v.demoSeed,
      token: v.token,
      allowedOrigins: v.allowOrigin,
      maxClients: v.maxClients,
      dataDir: v.dataDir,
      history: !v.noHistory,
      priceHint: v.priceHint,
      /** /health's resident-memory ceiling, bytes. */
      maxRssBytes: v.maxRss ?? null,
      /** /health's limit on an event-loop stall, seconds. */
      maxStallSeconds: v.maxStall ?? DEFAULT_HEALTH_LIMITS.maxEventLoopStallSeconds,
      node,
      nats:
        v.nats === undefined
          ? undefined
          : natsTarget(v.nats, env, 'serve: --nats', 'chainprice serve --help'),
    };
  },
});

export type ServeOptions = ReturnType<typeof serveCommand.parse>;

export function parseServeArgs(args: readonly string[], env: Env): ServeOptions {
  return serveCommand.parse(args, env);
}
