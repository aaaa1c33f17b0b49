// `chainprice edge`: serves what `chainprice serve` serves — the page, /ws/mempool, /api/v1, /health,
// /metrics — with no node and no estimator: the live state comes from the publishing estimator over
// NATS (src/bus/bus-feed.ts), and the history API is answered through NATS by an estimator. Run as
// many as the clients need, behind a load balancer (docs/deploy-nats.md). SIGINT/SIGTERM close the
// WebSocket clients with 1001 (going away), then the NATS connection. In: the parsed options
// (edge-options.ts). Out: the exit code.

import type { AddressInfo } from 'node:net';
import { EXIT, UserError } from '../errors.ts';
import type { EdgeOptions } from './edge-options.ts';

const FORCE_EXIT_CODE = 130;

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

export async function run(options: EdgeOptions): Promise<number> {
  const status = (line: string) => console.error(`chainprice: ${line}`);
  const { buildApp } = await import('../server/app.ts');
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
