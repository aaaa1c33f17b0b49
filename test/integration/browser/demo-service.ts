// The service as `chainprice serve --demo` assembles it, in-process for the browser tests and the
// browser benchmark: the demo feed (real demo transactions through parser, window and estimator),
// a SQLite history in a temporary data directory that records the estimates, the demo's simulated
// past days in its chain tables (as serve --demo builds them), and buildApp, on a free (or given)
// loopback port. In: options. Out: the running service and a stop function.

import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { FastifyInstance } from 'fastify';
import { HistoryTables } from '../../../src/history/history-tables.ts';
import { buildApp } from '../../../src/server/app.ts';
import { createDemoFeed, type DemoFeed } from '../../../src/sim/demo-feed.ts';
import { buildDemoHistory, type DemoHistorySummary } from '../../../src/sim/demo-history.ts';
import { HistoryStore } from '../../../src/store/history.ts';

export interface DemoService {
  app: FastifyInstance;
  feed: DemoFeed;
  url: string;
  port: number;
  /** The simulated past days written before the service listens (null when historyDays is 0). */
  pastDays: DemoHistorySummary | null;
  stop(): Promise<void>;
}

export interface DemoServiceOptions {
  port?: number;
  token?: string;
  seed?: number;
  /** Simulated history made on start; the tests keep it short so the service is up in seconds. */
  prefillSeconds?: number;
  /** Simulated past days for the History view (default 40; 0: none). */
  historyDays?: number;
}

/** One hour of pre-filled demo traffic: thousands of evidence points, ready in a few seconds. */
const DEFAULT_PREFILL_SECONDS = 3600;

export async function startDemoService(options: DemoServiceOptions = {}): Promise<DemoService> {
  const dataDir = mkdtempSync(join(tmpdir(), 'chainprice-browser-'));
  const feed = createDemoFeed({
    seed: options.seed,
    prefillSeconds: options.prefillSeconds ?? DEFAULT_PREFILL_SECONDS,
  });
  await feed.start();
  const history = HistoryStore.open({ dataDir, source: 'demo' });
  const tables = new HistoryTables(history.database);
  const historyDays = options.historyDays ?? 40;
  const pastDays =
    historyDays > 0
      ? await buildDemoHistory({
          tables,
          endTime: Date.now() / 1000,
          days: historyDays,
          seed: options.seed,
        })
      : null;
  const unsubscribe = feed.onUpdate((update) => history.recordEstimate(update.state));
  const app = await buildApp({
    feed,
    history,
    chainHistory: tables,
    blocks: feed.blockPrices,
    token: options.token,
    log: () => {},
  });
  await app.listen({ host: '127.0.0.1', port: options.port ?? 0 });
  const address = app.server.address();
  if (address === null || typeof address !== 'object') throw new Error('the service has no address');
  return {
    app,
    feed,
    url: `http://127.0.0.1:${address.port}/`,
    port: address.port,
    pastDays,
    async stop() {
      unsubscribe();
      await app.close();
      await feed.stop();
      history.close();
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
}
