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
import { HistoryStorageError, type HistoryStore, type StoredBlockPrice } from '../store/history.ts';
import type { StorageWatch } from '../store/storage.ts';
import type { ServeOptions } from './serve-options.ts';
import type { Source } from './serve-source.ts';

export async function openHistory(options: ServeOptions): Promise<HistoryStore | undefined> {
  if (!options.history) return undefined;
  const { HistoryStore } = await import('../store/history.ts');
  return HistoryStore.open({ dataDir: options.dataDir, source: options.demo ? 'demo' : 'node' });
}

/**
 * Whether serve starts without its history after `error` (thrown by openHistory): only when the disk
 * is full — on a node box the chain fills it, and a service manager restarting a serve that exits
 * would loop without ever serving. The live price is served then; the log and /health say why the
 * history is not kept. Out: the parts /health and /metrics read, or null (the error stands).
 */
export function historyRefused(
  error: unknown,
): Pick<StorageWatch, 'problems' | 'dropped' | 'totalDropped' | 'waiting'> | null {
  if (!(error instanceof HistoryStorageError) || error.problem.kind !== 'full') return null;
  const sentence = `${error.problem.message}, so chainprice started without its price history; restart it once there is room`;
  return {
    problems: () => [sentence],
    dropped: () => ({}),
    totalDropped: () => 0,
    waiting: () => ['history'],
  };
}

/** Block prices waiting for a disk that refuses writes: a week of blocks; older ones are given up on. */
const MAX_PENDING_BLOCKS = 1_008;
/** The live writes (estimates and block prices go to the same file): held back together. */
const LIVE = 'live';

/**
 * Writes each live estimate and each new block into the store. While the disk refuses the writes,
 * they are tried again every retry period (on a timer, and with the next update after it): block
 * prices wait in memory and are written then; estimates in between are not kept (the history has
 * a gap) and are counted as dropped, one per recording interval. Out: the function that stops it.
 */
export function recordLive(
  store: HistoryStore,
  source: Source,
  status: (line: string) => void,
  storage: StorageWatch,
): () => void {
  let failed = false;
  const pending: StoredBlockPrice[] = [];
  /** The newest estimate not written because the disk refused it: the next try writes it. */
  let unwritten: LiveUpdate['state'] | null = null;
  /** While the disk holds writes back: when to try again (ms), the timer that does, the last estimate counted as dropped. */
  let nextTry = 0;
  let timer: NodeJS.Timeout | undefined;
  let lastDropped = Number.NEGATIVE_INFINITY;
  const otherError = (error: unknown) => {
    // The live service matters more than its history: say it once and keep serving.
    if (!failed) status(`could not write the history (${(error as Error).message}); serving without it`);
    failed = true;
  };
  /** Whether the disk refused `error`'s write: then the next try is scheduled. */
  const refused = (error: unknown): boolean => {
    if (storage.failed(LIVE, error) === null) return false;
    nextTry = performance.now() + storage.retryMs;
    clearTimeout(timer);
    timer = setTimeout(() => write(unwritten), storage.retryMs);
    timer.unref();
    return true;
  };
  /** Writes the waiting block prices, then the estimate; stops at the first the disk refuses. */
  const write = (state: LiveUpdate['state'] | null) => {
    let wrote = false;
    try {
      while (pending.length > 0) {
        store.recordBlock(pending[0]);
        pending.shift();
        wrote = true;
      }
    } catch (error) {
      if (!refused(error)) {
        pending.shift();
        otherError(error);
      }
      return;
    }
    if (state !== null) {
      try {
        if (store.recordEstimate(state)) wrote = true;
        unwritten = null;
      } catch (error) {
        if (!refused(error)) return otherError(error);
        unwritten = state;
        // One estimate a recording interval is what the history would have kept: those are counted.
        if (state.timestamp >= lastDropped + store.intervalSeconds) {
          storage.drop('estimates');
          lastDropped = state.timestamp;
        }
        return;
      }
    }
    // Only a write that went through shows the disk takes writes again.
    if (wrote && storage.holds(LIVE)) {
      clearTimeout(timer);
      storage.wrote(LIVE);
    }
  };
  const waiting = () => storage.holds(LIVE) && performance.now() < nextTry;
  const unsubscribers = [
    source.feed.onUpdate((u: LiveUpdate) => {
      if (!waiting()) write(u.state);
    }),
  ];
  if (source.onBlock)
    unsubscribers.push(
      source.onBlock((block) => {
        pending.push(block);
        if (pending.length > MAX_PENDING_BLOCKS) {
          pending.shift();
          storage.drop('blocks');
        }
        if (!waiting()) write(null);
      }),
    );
  return () => {
    clearTimeout(timer);
    for (const unsubscribe of unsubscribers) unsubscribe();
  };
}

/** How keepChainHistory runs: where it reports, what stops it, whom it tells. */
export interface ChainHistoryRun {
  status: (line: string) => void;
  /** Aborts at shutdown. */
  signal: AbortSignal;
  /** Called once the first build is over; the caller settles it too when the run ends (no build to make, a failure, shutdown). */
  onFirstBuild: () => void;
  /** Where a write the disk refuses is reported (then tried again); none without a history store. */
  storage?: StorageWatch;
}

/**
 * The chain's price history beside the live price, in the background (never delaying it): the demo
 * simulates months of past days into its own database; a node's recent days are built and kept
 * current as blocks arrive (src/history/node-history.ts). Ends when `run.signal` aborts (shutdown).
 */
export async function keepChainHistory(
  options: ServeOptions,
  source: Source,
  tables: HistoryTables,
  run: ChainHistoryRun,
): Promise<void> {
  const { status, signal, onFirstBuild, storage } = run;
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
    onFirstBuild();
  });
  // Every chain change, not only announced blocks: blocks mined while ZMQ was quiet, a reorg, a
  // build the node let time out while it hung.
  const unsubscribe = source.node.onChainChange(() => keeper.update());
  await new Promise<void>((resolve) => signal.addEventListener('abort', () => resolve(), { once: true }));
  unsubscribe();
  await keeper.stop();
}
