// The price history `chainprice serve` keeps: the store in the data directory (none with
// --no-history), every live estimate and confirmed block written into it, and the chain's price
// history (days and blocks) beside them — simulated for the demo, built and kept current from the
// node's blocks otherwise. In: the serve options, the source, the store. Out: the store, and
// functions that stop what they started.

import type { HistoryTables } from '../history/history-tables.ts';
import type { LiveUpdate } from '../live/feed.ts';
import { memory } from '../runtime/memory-policy.ts';
import type { HistoryStore } from '../store/history.ts';
import type { ServeOptions } from './serve-options.ts';
import type { Source } from './serve-source.ts';

export async function openHistory(options: ServeOptions): Promise<HistoryStore | undefined> {
  if (!options.history) return undefined;
  const { HistoryStore } = await import('../store/history.ts');
  return HistoryStore.open({ dataDir: options.dataDir, source: options.demo ? 'demo' : 'node' });
}

/** Writes each live estimate and each new block into the store. Out: the function that stops it. */
export function recordLive(store: HistoryStore, source: Source, status: (line: string) => void): () => void {
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
  const unsubscribers = [
    source.feed.onUpdate((u: LiveUpdate) => record(() => store.recordEstimate(u.state))),
  ];
  if (source.onBlock) unsubscribers.push(source.onBlock((block) => record(() => store.recordBlock(block))));
  return () => {
    for (const unsubscribe of unsubscribers) unsubscribe();
  };
}

/**
 * The chain's price history beside the live price, in the background (never delaying it): the demo
 * simulates months of past days into its own database; a node's recent days are built and kept
 * current as blocks arrive (src/history/node-history.ts). Ends when `signal` aborts (shutdown).
 * `onFirstBuild` is called once the first build is over; the caller settles it too when this ends
 * (no build to make, a failure, shutdown).
 */
export async function keepChainHistory(
  options: ServeOptions,
  source: Source,
  tables: HistoryTables,
  status: (line: string) => void,
  signal: AbortSignal,
  onFirstBuild: () => void,
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
  });
  keeper.start();
  // The first build (the recent days) leaves its garbage's pages behind, like the demo's.
  void keeper.idle().then(() => {
    if (!signal.aborted) memory.afterFill();
    onFirstBuild();
  });
  const unsubscribe = source.onBlock?.(() => keeper.update());
  await new Promise<void>((resolve) => signal.addEventListener('abort', () => resolve(), { once: true }));
  unsubscribe?.();
  await keeper.stop();
}
