// The price history `chainprice serve` keeps: the store in the data directory (none with
// --no-history), every live estimate and confirmed block written into it, and the chain's price
// history (days and blocks) beside them — simulated for the demo, built and kept current from the
// node's blocks otherwise. In: the serve options, the source, the store and its StorageWatch. Out:
// the store, and functions that stop what they started. A disk that refuses the writes (full,
// read-only) never stops the live price: estimates are tried again every few seconds (the ones in
// between are counted as dropped), the chain history is retried until written.

import type { HistoryTables } from '../history/history-tables.ts';
import type { LiveUpdate } from '../live/feed.ts';
import { memory } from '../runtime/memory-policy.ts';
import type { HistoryStore } from '../store/history.ts';
import type { StorageWatch } from '../store/storage.ts';
import type { ServeOptions } from './serve-options.ts';
import type { Source } from './serve-source.ts';

export async function openHistory(options: ServeOptions): Promise<HistoryStore | undefined> {
  if (!options.history) return undefined;
  const { HistoryStore } = await import('../store/history.ts');
  return HistoryStore.open({ dataDir: options.dataDir, source: options.demo ? 'demo' : 'node' });
}

/** Writes each live estimate and each new block into the store. Out: the function that stops it. */
export function recordLive(
  store: HistoryStore,
  source: Source,
  status: (line: string) => void,
  storage: StorageWatch,
): () => void {
  let failed = false;
  /** While the storage holds the estimates back: when to try again (ms), and the last estimate counted as dropped. */
  let nextTry = 0;
  let lastDropped = Number.NEGATIVE_INFINITY;
  const otherError = (error: unknown) => {
    // The live service matters more than its history: say it once and keep serving.
    if (!failed) status(`could not write the history (${(error as Error).message}); serving without it`);
    failed = true;
  };
  const recordEstimate = (u: LiveUpdate) => {
    const now = performance.now();
    if (storage.holds('estimates') && now < nextTry) return;
    try {
      if (store.recordEstimate(u.state)) storage.wrote('estimates');
    } catch (error) {
      // One estimate a recording interval is what the history would have kept: count those as dropped.
      const dropped = u.state.timestamp >= lastDropped + store.intervalSeconds;
      if (storage.failed('estimates', error, dropped) === null) return otherError(error);
      if (dropped) lastDropped = u.state.timestamp;
      nextTry = now + storage.retryMs;
    }
  };
  const unsubscribers = [source.feed.onUpdate(recordEstimate)];
  if (source.onBlock)
    unsubscribers.push(
      source.onBlock((block) => {
        try {
          store.recordBlock(block);
          storage.wrote('blocks');
        } catch (error) {
          // The chain history (retried until written) holds the same block's price.
          if (storage.failed('blocks', error, true) === null) otherError(error);
        }
      }),
    );
  return () => {
    for (const unsubscribe of unsubscribers) unsubscribe();
  };
}

/**
 * The chain's price history beside the live price, in the background (never delaying it): the demo
 * simulates months of past days into its own database; a node's recent days are built and kept
 * current as blocks arrive (src/history/node-history.ts). Ends when `signal` aborts (shutdown).
 */
export async function keepChainHistory(
  options: ServeOptions,
  source: Source,
  tables: HistoryTables,
  status: (line: string) => void,
  signal: AbortSignal,
  storage?: StorageWatch,
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
      storage,
    });
    // Months of simulated blocks leave their garbage's pages behind.
    memory.afterFill();
    return;
  }
  if (source.node === undefined) return;
  // After the block window's first fill: both fetch the last day's blocks, and together they would
  // add up to the start-up peak (docs/memory.md). Stopping serve meanwhile ends the wait.
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
    storage,
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
