// The price history `chainprice serve` keeps: the store in the data directory (none with
// --no-history), every live estimate and confirmed block written into it, and the chain's price
// history (days and blocks) beside them — simulated for the demo, built and kept current from the
// node's blocks otherwise. In: the serve options, the source, the store and its StorageWatch. Out:
// the store, and functions that stop what they started. A disk that refuses the writes (full,
// read-only) never stops the live price: writes are tried again every few seconds — block prices
// and the chain history until written, while estimates in between are counted as dropped.

import type { HistoryTables } from '../history/history-tables.ts';
import type { LiveUpdate } from '../live/feed.ts';
import { memory } from '../runtime/memory-policy.ts';
import type { HistoryStore, StoredBlockPrice } from '../store/history.ts';
import type { StorageWatch } from '../store/storage.ts';
import type { ServeOptions } from './serve-options.ts';
import type { Source } from './serve-source.ts';

export async function openHistory(options: ServeOptions): Promise<HistoryStore | undefined> {
  if (!options.history) return undefined;
  const { HistoryStore } = await import('../store/history.ts');
  return HistoryStore.open({ dataDir: options.dataDir, source: options.demo ? 'demo' : 'node' });
}

/** Block prices waiting for a disk that refuses writes: a week of blocks; older ones are given up on. */
const MAX_PENDING_BLOCKS = 1_008;
const ESTIMATES = 'estimates';
const BLOCKS = 'blocks';

/**
 * Writes each live estimate and each new block into the store. While the disk refuses the writes,
 * one attempt is made every retry period (on the next update): block prices wait in memory and
 * are written then; an estimate is not kept (the history has a gap) and is counted as dropped.
 * Out: the function that stops it.
 */
export function recordLive(
  store: HistoryStore,
  source: Source,
  status: (line: string) => void,
  storage: StorageWatch,
): () => void {
  let failed = false;
  const pending: StoredBlockPrice[] = [];
  /** While the disk holds writes back: when to try again (ms), and the last estimate counted as dropped. */
  let nextTry = 0;
  let lastDropped = Number.NEGATIVE_INFINITY;
  const otherError = (error: unknown) => {
    // The live service matters more than its history: say it once and keep serving.
    if (!failed) status(`could not write the history (${(error as Error).message}); serving without it`);
    failed = true;
  };
  const waiting = () => (storage.holds(ESTIMATES) || storage.holds(BLOCKS)) && performance.now() < nextTry;
  /** Writes the waiting block prices; false when the disk refused. */
  const writeBlocks = (): boolean => {
    try {
      while (pending.length > 0) {
        store.recordBlock(pending[0]);
        pending.shift();
      }
      storage.wrote(BLOCKS);
      return true;
    } catch (error) {
      if (storage.failed(BLOCKS, error) === null) {
        pending.shift();
        otherError(error);
        return true;
      }
      nextTry = performance.now() + storage.retryMs;
      return false;
    }
  };
  const recordEstimate = (u: LiveUpdate) => {
    if (waiting() || !writeBlocks()) return;
    try {
      if (store.recordEstimate(u.state)) storage.wrote(ESTIMATES);
    } catch (error) {
      // One estimate a recording interval is what the history would have kept: count those as dropped.
      const dropped = u.state.timestamp >= lastDropped + store.intervalSeconds;
      if (storage.failed(ESTIMATES, error, dropped) === null) return otherError(error);
      if (dropped) lastDropped = u.state.timestamp;
      nextTry = performance.now() + storage.retryMs;
    }
  };
  const unsubscribers = [source.feed.onUpdate(recordEstimate)];
  if (source.onBlock)
    unsubscribers.push(
      source.onBlock((block) => {
        pending.push(block);
        if (pending.length > MAX_PENDING_BLOCKS) {
          pending.shift();
          storage.drop(BLOCKS);
        }
        if (!waiting()) writeBlocks();
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
