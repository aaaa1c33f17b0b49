// The app `chainprice serve` serves, assembled from what serve opened: the chain's price history
// tables and the storage watch over the history's database, the app itself (src/server/app.ts) with
// serve's options, and the recording of every live estimate and block into the history. One place,
// used by serve.ts and by the node-path soak (bench/soak.ts), which runs serve's parts on its own
// clock. In: the options, the source, the history (none with --no-history or a full disk at start),
// the NATS publishing, a status line writer. Out: the app, the history tables, the storage watch and
// the function that stops the recording.

import type { FastifyInstance } from 'fastify';
import type { HistoryTables } from '../history/history-tables.ts';
import type { HistoryStore } from '../store/history.ts';
import type { StorageWatch } from '../store/storage.ts';
import { type historyRefused, recordLive } from './serve-history.ts';
import type { ServeOptions } from './serve-options.ts';
import type { Publishing } from './serve-publisher.ts';
import type { Source } from './serve-source.ts';

export interface ServeApp {
  app: FastifyInstance;
  /** The chain's price history (days and blocks), in the same database as the live history. */
  chainTables: HistoryTables | undefined;
  /** Whether the data directory takes the history's writes (a full or read-only disk). */
  storage: StorageWatch | undefined;
  stopRecording: () => void;
}

export async function assembleApp(
  options: ServeOptions,
  source: Source,
  history: HistoryStore | undefined,
  status: (line: string) => void,
  extras: { bus?: Publishing; refused?: ReturnType<typeof historyRefused> } = {},
): Promise<ServeApp> {
  const { buildApp } = await import('../server/app.ts');
  const { HistoryTables } = await import('../history/history-tables.ts');
  const { StorageWatch } = await import('../store/storage.ts');
  const chainTables = history === undefined ? undefined : new HistoryTables(history.database);
  const storage = history === undefined ? undefined : new StorageWatch(history.dir, { log: status });
  const { bus, refused } = extras;
  const app = await buildApp({
    feed: source.feed,
    history,
    chainHistory: chainTables,
    blocks: source.blocks,
    token: options.token,
    allowedOrigins: options.allowedOrigins,
    hub: { maxClients: options.maxClients },
    health: { maxRssBytes: options.maxRssBytes, maxEventLoopStallSeconds: options.maxStallSeconds },
    blockWindow: source.blockWindow,
    log: status,
    servedBy: bus?.instance,
    bus,
    storage: storage ?? refused ?? undefined,
    noHistory: refused ? 'its data directory’s disk was full when it started: see /health' : undefined,
  });
  const stopRecording =
    history === undefined || storage === undefined ? () => {} : recordLive(history, source, status, storage);
  return { app, chainTables, storage, stopRecording };
}
