// `chainprice edge`: serves what `chainprice serve` serves — the page, /ws/mempool, /api/v1, /health,
// /metrics — with no node and no estimator: the live state comes from the publishing estimator over
// NATS (src/bus/bus-feed.ts), and the history API is answered through NATS by an estimator. Run as
// many as the clients need, behind a load balancer (docs/deploy-nats.md). SIGINT/SIGTERM close the
// WebSocket clients with 1001 (going away), then the NATS connection.

import type { AddressInfo } from 'node:net';
import { isNetworkName, NETWORK_NAMES, type NetworkName } from '../bus/bus-protocol.ts';
import { NATS_ENV_HELP, type NatsTarget, natsTarget } from '../bus/nats-target.ts';
import { EXIT, UserError } from '../errors.ts';
import type { Command } from './command.ts';

const DEFAULT_HOST = '127.0.0.1';
const DEFAULT_PORT = 8000;
const FORCE_EXIT_CODE = 130;

const HELP = `Usage: chainprice edge --nats URL [options]

Serves the live price from NATS, with no node and no estimator: the browser app at /, the REST API
under /api/v1, /health, /metrics and the WebSocket stream /ws/mempool, the same documents as
chainprice serve (only "served_by" tells them apart). One chainprice serve --nats URL publishes;
edges follow it and, if it dies, its stand-by. See docs/deploy-nats.md.

Options:
  --nats URL             NATS server(s), comma-separated (CHAINPRICE_NATS); required
  --network NAME         whose price: ${NETWORK_NAMES.join(', ')} (default main; CHAINPRICE_NETWORK);
                         the estimator's network (demo for chainprice serve --demo)
  --host HOST            address to listen on (default ${DEFAULT_HOST}; CHAINPRICE_HOST)
  --port PORT            port to listen on (default ${DEFAULT_PORT}; CHAINPRICE_PORT)
  --token TOKEN          require this token for the API, /metrics and the stream (CHAINPRICE_TOKEN;
                         prefer the variable: flags show in ps). Browsers open /?token=TOKEN
  --allow-origin ORIGIN  also let pages served from ORIGIN (scheme://host[:port]) open the stream;
                         repeatable (CHAINPRICE_ALLOW_ORIGIN, comma-separated)

${NATS_ENV_HELP}`;

export interface EdgeOptions {
  nats: NatsTarget;
  network: NetworkName;
  host: string;
  port: number;
  token: string | undefined;
  allowedOrigins: string[];
}

function usage(message: string): UserError {
  return new UserError(`edge: ${message}`, { hint: 'chainprice edge --help', exitCode: EXIT.usage });
}

export function parseEdgeArgs(args: string[], env: Record<string, string | undefined>): EdgeOptions {
  let nats = env.CHAINPRICE_NATS || undefined;
  let network = env.CHAINPRICE_NETWORK || 'main';
  let host = env.CHAINPRICE_HOST || DEFAULT_HOST;
  let port = env.CHAINPRICE_PORT ? parsePort(env.CHAINPRICE_PORT, 'CHAINPRICE_PORT') : DEFAULT_PORT;
  let token = env.CHAINPRICE_TOKEN || undefined;
  let allowedOrigins = (env.CHAINPRICE_ALLOW_ORIGIN ?? '')
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean);
  let originsFromFlags = false;
  for (let i = 0; i < args.length; i++) {
    const arg = args[i];
    const eq = arg.indexOf('=');
    const name = arg.startsWith('--') && eq !== -1 ? arg.slice(0, eq) : arg;
    const value = (): string => {
      const v = eq !== -1 && arg.startsWith('--') ? arg.slice(eq + 1) : args[++i];
      if (v === undefined || (eq === -1 && v.startsWith('--'))) throw usage(`${name} needs a value`);
      return v;
    };
    switch (name) {
      case '--nats':
        nats = value();
        break;
      case '--network':
        network = value();
        break;
      case '--host':
        host = value();
        break;
      case '--port':
        port = parsePort(value(), '--port');
        break;
      case '--token': {
        const t = value();
        if (!/^[\x21-\x7e]+$/.test(t)) throw usage('--token must be printable ASCII without spaces');
        token = t;
        break;
      }
      case '--allow-origin':
        if (!originsFromFlags) allowedOrigins = [];
        originsFromFlags = true;
        allowedOrigins.push(value());
        break;
      default:
        throw usage(`unknown argument ${arg}`);
    }
  }
  if (nats === undefined) throw usage('--nats URL is required: the NATS server the estimator publishes on');
  if (!isNetworkName(network))
    throw usage(`--network is one of ${NETWORK_NAMES.join(', ')}, not "${network}"`);
  const target = natsTarget(nats, env, 'edge: --nats', 'chainprice edge --help');
  return { nats: target, network, host, port, token, allowedOrigins };
}

function parsePort(text: string, name: string): number {
  const port = Number(text);
  if (!/^\d+$/.test(text) || port > 65_535) {
    throw usage(`${name} needs a port number from 1 to 65535 (or 0 for any free port), not "${text}"`);
  }
  return port;
}

function listenError(error: unknown, host: string, port: number): Error {
  const code = (error as NodeJS.ErrnoException).code;
  if (code === 'EADDRINUSE') {
    return new UserError(
      `port ${port} on ${host} is already in use (another chainprice, or another server).`,
      {
        hint: `stop it, or pick another port: chainprice edge --port ${port === 65_535 ? 8001 : port + 1}`,
      },
    );
  }
  if (code === 'EADDRNOTAVAIL' || code === 'ENOTFOUND' || code === 'EAI_AGAIN') {
    return new UserError(`cannot listen on ${host}: it is not an address of this machine.`, {
      hint: 'use 127.0.0.1 (this machine only) or 0.0.0.0 (every interface) with --host',
    });
  }
  if (code === 'EACCES') {
    return new UserError(`permission denied to listen on port ${port}.`, {
      hint: 'ports below 1024 need root; use a higher --port (and a reverse proxy for port 80/443)',
    });
  }
  return error instanceof Error ? error : new Error(String(error));
}

async function run(args: string[]): Promise<number> {
  const options = parseEdgeArgs(args, process.env);
  const status = (line: string) => console.error(`chainprice: ${line}`);
  const { buildApp } = await import('../server/app.ts');
  const { normaliseOrigin } = await import('../server/origin-check.ts');
  try {
    options.allowedOrigins = options.allowedOrigins.map(normaliseOrigin);
  } catch (error) {
    throw usage(`--allow-origin: ${(error as Error).message}`);
  }
  const { openBus } = await import('../bus/bus-start.ts');
  const { BusFeed, BusHistory, BusBlocks } = await import('../bus/bus-feed.ts');

  const bus = await openBus(options.nats, 'edge');
  const feed = new BusFeed({
    nc: bus.nc,
    kv: bus.kv,
    network: options.network,
    shown: options.nats.shown,
    log: status,
  });
  const app = await buildApp({
    feed,
    history: new BusHistory(bus.nc, options.network),
    blocks: new BusBlocks(bus.nc, options.network),
    token: options.token,
    allowedOrigins: options.allowedOrigins,
    log: status,
    servedBy: bus.instance,
  });
  try {
    await app.listen({ host: options.host, port: options.port });
  } catch (error) {
    await app.close();
    await bus.nc.close().catch(() => {});
    throw listenError(error, options.host, options.port);
  }
  const port = (app.server.address() as AddressInfo).port;
  const shown = options.host.includes(':') ? `[${options.host}]` : options.host;
  const url = `http://${shown === '0.0.0.0' || shown === '[::]' ? '127.0.0.1' : shown}:${port}/`;
  status(
    `edge ${bus.instance}: serving the ${options.network} price from NATS at ${options.nats.shown} ` +
      `(credentials: ${options.nats.authKind}) on ${url}`,
  );

  let stopping: Promise<void> | null = null;
  const shutdown = (signal: string): Promise<void> => {
    if (stopping !== null) {
      status(`${signal} again: exiting now`);
      process.exit(FORCE_EXIT_CODE);
    }
    status(`${signal}: closing connections and stopping`);
    stopping = (async () => {
      await app.close();
      await feed.stop();
      await bus.nc.close().catch(() => {});
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
  await feed.start();
  await stopped;
  status('stopped');
  return EXIT.ok;
}

export const command: Command = {
  name: 'edge',
  summary: 'serve the live price from NATS (no node): one estimator, many edges',
  help: HELP,
  run,
};
