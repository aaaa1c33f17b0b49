// `chainprice edge`: serves what `chainprice serve` serves — the page, /ws/mempool, /api/v1, /health,
// /metrics — with no node and no estimator: the live state comes from the publishing estimator over
// NATS (src/bus/bus-feed.ts), and the history API is answered through NATS by an estimator. Run as
// many as the clients need, behind a load balancer (docs/deploy-nats.md). SIGINT/SIGTERM close the
// WebSocket clients with 1001 (going away), then the NATS connection; so does the NATS server
// refusing our login for good (exit 1 with one sentence). In: the parsed options
// (edge-options.ts). Out: the exit code.

import type { Service } from '../server/http-service.ts';
import type { EdgeOptions } from './edge-options.ts';

export async function run(options: EdgeOptions): Promise<number> {
  const status = (line: string) => console.error(`chainprice: ${line}`);
  const { buildApp } = await import('../server/app.ts');
  const { listen } = await import('../server/http-service.ts');
  const { openBus, untilStopped } = await import('../bus/bus-start.ts');
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
    hub: { maxClients: options.maxClients },
    log: status,
    servedBy: bus.instance,
  });
  const close = async () => {
    await app.close();
    await feed.stop();
    await bus.nc.close().catch(() => {});
  };
  let service: Service;
  try {
    service = await listen(app, {
      host: options.host,
      port: options.port,
      command: 'edge',
      token: options.token,
      who: `edge ${bus.instance}: `,
      what: `the ${options.network} price from NATS at ${options.nats.shown} (credentials: ${options.nats.authKind})`,
      close,
      log: status,
    });
  } catch (error) {
    await bus.nc.close().catch(() => {});
    throw error;
  }
  try {
    await feed.start();
  } catch (error) {
    service.uninstall();
    await close().catch(() => {});
    throw error;
  }
  return untilStopped(service, bus.ended, close);
}
