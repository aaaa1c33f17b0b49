// The demo's long past: months of simulated days before the live demo begins, so the History view
// of `serve --demo` is not empty. In: the chain history tables of the demo's own database
// (demo-history.sqlite, never the node's), the time the live demo starts, its price and seed. Out:
// the demo network (the same DemoGenerator, thinned: a few blocks a simulated day, a payment-heavy
// mix, so months take seconds) mined day by day, every day and block priced through the same code
// as `chainprice history build` (priceDay: the day pooled, each block seeded by the neighbouring
// confident price) and written to the same chain tables. The walk is scaled so the history ends at
// the live demo's start price. Rows from an earlier run are replaced (the demo's past moves with
// the clock). Yields to the event loop between days, so the live demo and the server keep running.
// With a StorageWatch, a write the disk refuses (full, read-only) is tried again until it goes
// through, so the history goes on by itself once there is room.

import { grouped } from '../format/number.ts';
import { utcDay } from '../format/utc-day.ts';
import { type DayBlock, priceDay } from '../history/day-pricing.ts';
import { digestOf, type HistoryTables } from '../history/history-tables.ts';
import { seedPrice } from '../oracle/seed-price.ts';
import type { StorageWatch } from '../store/storage.ts';
import { DEFAULT_SEED, DEFAULT_START_HEIGHT, DEFAULT_START_PRICE, DemoGenerator } from './generator.ts';
import type { TxKind } from './mix.ts';

/** Two months of simulated days (3.3 s in one run on the shared 2-core machine). */
export const DEFAULT_DEMO_HISTORY_DAYS = 60;
/** Blocks a simulated day: enough for the day's pooled price, cheap enough for months in seconds. */
export const DEMO_HISTORY_BLOCKS_PER_DAY = 4;
/** Transactions a simulated day (mainnet has hundreds of thousands; the day's price needs far fewer). */
export const DEMO_HISTORY_TX_PER_DAY = 1_000;
/** A payment-heavy mix: round-dollar payments carry the signal, the costly kinds (big witnesses,
 * many inputs) add nothing the history view needs. */
const HISTORY_MIX: Partial<Record<TxKind, number>> = {
  'round-usd': 0.5,
  chained: 0.02,
  inscription: 0,
  consolidation: 0,
  batch: 0.02,
  'op-return': 0.01,
};
const DAY = 86_400;

export interface DemoHistoryOptions {
  tables: HistoryTables;
  /** Unix seconds the live demo starts at: the history covers the whole UTC days before its day. */
  endTime: number;
  days?: number;
  seed?: number;
  /** The live demo's start price: the history's walk is scaled to end there. */
  endPrice?: number;
  /** The live demo's first height: the history's blocks are numbered up to just below it. */
  endHeight?: number;
  onStatus?: (line: string) => void;
  /** Checked between days: the build stops early when set (the rows written so far stay). */
  signal?: AbortSignal;
  /** Writes the disk refuses are retried through it until they go through (or `signal` aborts). */
  storage?: StorageWatch;
}

/** The writer's name in /health and /metrics. */
export const CHAIN_HISTORY_WRITER = 'chain_history';

export interface DemoHistorySummary {
  days: number;
  pricedDays: number;
  blocks: number;
  transactions: number;
  seconds: number;
}

const nextTurn = () => new Promise<void>((resolve) => setImmediate(resolve));

export async function buildDemoHistory(options: DemoHistoryOptions): Promise<DemoHistorySummary> {
  const started = performance.now();
  const days = options.days ?? DEFAULT_DEMO_HISTORY_DAYS;
  if (!Number.isInteger(days) || days < 1) throw new RangeError(`demo history days must be ≥ 1, got ${days}`);
  const seed = (options.seed ?? DEFAULT_SEED) + 1;
  const end = Math.floor(options.endTime / DAY) * DAY;
  const start = end - days * DAY;
  const common = {
    startTime: start,
    seed,
    txPerSecond: DEMO_HISTORY_TX_PER_DAY / DAY,
    blockIntervalSeconds: DAY / DEMO_HISTORY_BLOCKS_PER_DAY,
    mix: HISTORY_MIX,
  };
  // The walk depends only on the seed and moves in log space, so its end over its start is the
  // same at any start price: one cheap walk at 1 finds the start that ends at the live price.
  const drift = new DemoGenerator({ ...common, startPrice: 1 }).priceAt(end);
  const startPrice = (options.endPrice ?? DEFAULT_START_PRICE) / drift;
  const generator = new DemoGenerator({ ...common, startPrice });

  // Mine every day first (heights are numbered back from the live demo's first block).
  const mined: { day: string; blocks: (DayBlock & { bytes: Uint8Array })[] }[] = [];
  const byDay = new Map<string, (DayBlock & { bytes: Uint8Array })[]>();
  for (let d = 0; d < days; d++) {
    if (options.signal?.aborted) break;
    for (const event of generator.advanceTo(start + (d + 1) * DAY - 1)) {
      if (event.type !== 'block') continue;
      const day = utcDay(event.time);
      let list = byDay.get(day);
      if (list === undefined) {
        list = [];
        byDay.set(day, list);
        mined.push({ day, blocks: list });
      }
      list.push({ height: 0, hash: event.hash, time: Math.floor(event.time), bytes: event.bytes });
    }
    await nextTurn();
  }
  const total = mined.reduce((s, d) => s + d.blocks.length, 0);
  let height = (options.endHeight ?? DEFAULT_START_HEIGHT) - total;
  for (const d of mined) for (const b of d.blocks) b.height = height++;

  const write = async (work: () => void): Promise<boolean> => {
    if (options.storage === undefined) {
      work();
      return true;
    }
    return options.storage.persist(CHAIN_HISTORY_WRITER, work, options.signal);
  };
  // Price and write, day by day in order, carrying the last confident day's price.
  let carried: number | null = null;
  const summary: DemoHistorySummary = { days: 0, pricedDays: 0, blocks: 0, transactions: 0, seconds: 0 };
  if (!(await write(() => options.tables.clear()))) mined.length = 0;
  for (const d of mined) {
    if (options.signal?.aborted) break;
    const priced = priceDay(d.day, d.blocks, (b) => (b as DayBlock & { bytes: Uint8Array }).bytes, carried);
    const blocks = priced.blocks ?? [];
    const row = { ...priced.day, digest: digestOf(d.blocks.map((b) => b.hash)) };
    if (!(await write(() => options.tables.writeDay(row, blocks)))) break;
    carried = seedPrice(priced.estimate) ?? carried;
    summary.days++;
    if (priced.day.price !== null) summary.pricedDays++;
    summary.blocks += blocks.length;
    summary.transactions += priced.day.transactions;
    await nextTurn();
  }
  summary.seconds = (performance.now() - started) / 1000;
  options.onStatus?.(
    `demo: simulated ${summary.days} days of history (${summary.blocks} blocks, ${grouped(summary.transactions)} transactions, ${summary.pricedDays} days priced) in ${summary.seconds.toFixed(1)} s`,
  );
  return summary;
}
