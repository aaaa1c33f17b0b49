// Builds the chain's price history: the node (RPC, for the chain's order and as the fallback for
// block bytes), the block files when readable, the history tables and a height range in; every UTC
// day the range touches priced (the day pooled, each block seeded) and written day by day in chain
// order, out, with a summary. Resumable and idempotent: a day whose stored block hashes match the
// chain's is skipped. Reorg-safe: rows at heights whose hash changed, and rows above the tip, are
// removed first, and their days priced again. Days are priced in parallel on worker threads and
// written in order, so the seed a day's blocks carry from earlier days is the same however the
// work was split or resumed.

import type { BlockSource } from '../node/block-source.ts';
import type { RpcClient } from '../node/rpc-client.ts';
import type { BlockFiles } from './block-files.ts';
import { type ChainDay, chainDays } from './chain-days.ts';
import { digestOf, type HistoryTables } from './history-tables.ts';
import type { DayJob, DayResult, JobBlock } from './price-worker.ts';
import type { WorkerPool } from './worker-pool.ts';

export interface BuildProgress {
  daysDone: number;
  daysTotal: number;
  blocksDone: number;
  bytesDone: number;
  /** Bytes of all days to price (known up front from the files; estimated over RPC). */
  bytesTotal: number | null;
  day: string | null;
}

export interface BuildOptions {
  source: BlockSource;
  rpc: RpcClient;
  /** The node's block files, or null to read every block over RPC. */
  files: BlockFiles | null;
  tables: HistoryTables;
  pool: WorkerPool;
  from: number;
  to: number;
  onProgress?: (progress: BuildProgress) => void;
  signal?: AbortSignal;
}

export interface BuildSummary {
  /** Days in the range, and of them the ones priced now (the rest were already current). */
  days: number;
  daysPriced: number;
  blocksPriced: number;
  bytesPriced: number;
  /** Blocks read from the files and over RPC. */
  fromFiles: number;
  fromRpc: number;
  /** Days removed because a reorg replaced their blocks or the chain got shorter. */
  replacedDays: string[];
  /** The heights covered (widened to whole days). */
  firstHeight: number | null;
  lastHeight: number | null;
  tipHeight: number;
  seconds: number;
}

/** Days priced ahead of the one being written: keeps every worker busy and bounds memory. */
const LOOKAHEAD_PER_WORKER = 2;

export async function buildHistory(options: BuildOptions): Promise<BuildSummary> {
  const started = performance.now();
  const { source, files, tables, pool } = options;
  const tip = await source.tipHeight();
  files?.refresh();
  const { days, lo, hi } = await chainDays(source, files, options.from, options.to, tip);

  // Reorg safety: what the chain replaced or dropped goes first.
  const chain = new Map<number, string>();
  for (const d of days) for (const b of d.blocks) chain.set(b.height, b.hash);
  const stored = tables.hashes(lo, hi);
  const stale = [...stored].filter(([h, hash]) => chain.get(h) !== hash).map(([h]) => h);
  const replacedDays = tables.forget(tip, stale);

  const digests = tables.digests(days.map((d) => d.day));
  const todo = days.filter((d) => digests.get(d.day) !== digestOf(d.blocks.map((b) => b.hash)));
  const located = (d: ChainDay) => d.blocks.map((b) => files?.locate(b.hash));
  let bytesTotal: number | null = 0;
  for (const d of todo) {
    for (const at of located(d)) {
      if (at === undefined) bytesTotal = null;
      else if (bytesTotal !== null) bytesTotal += at.length;
    }
  }

  const summary: BuildSummary = {
    days: days.length,
    daysPriced: 0,
    blocksPriced: 0,
    bytesPriced: 0,
    fromFiles: 0,
    fromRpc: 0,
    replacedDays,
    firstHeight: days.length > 0 ? lo : null,
    lastHeight: days.length > 0 ? hi : null,
    tipHeight: tip,
    seconds: 0,
  };
  const report = (day: string | null) =>
    options.onProgress?.({
      daysDone: summary.daysPriced,
      daysTotal: todo.length,
      blocksDone: summary.blocksPriced,
      bytesDone: summary.bytesPriced,
      bytesTotal,
      day,
    });
  report(null);

  let nextId = 0;
  const jobFor = (d: ChainDay, carried?: number | null, overRpc = false): DayJob => {
    const blocks = d.blocks.map((b): JobBlock => {
      const at = overRpc ? undefined : files?.locate(b.hash);
      return at ? { ...b, location: at } : { ...b, rpc: true };
    });
    return { id: nextId++, day: d.day, blocks, key: files?.key ?? null, carried };
  };
  const countSources = (job: DayJob) => {
    for (const b of job.blocks) {
      if (b.rpc === true) summary.fromRpc++;
      else summary.fromFiles++;
    }
  };

  /** Prices one day, falling back to RPC for all its blocks when the files fail it. */
  const price = async (d: ChainDay, carried?: number | null): Promise<{ job: DayJob; result: DayResult }> => {
    let job = jobFor(d, carried);
    let result = await pool.run(job, rpcFetcher(options.rpc, job));
    if (!result.ok && job.blocks.some((b) => b.location !== undefined)) {
      job = jobFor(d, carried, true);
      result = await pool.run(job, rpcFetcher(options.rpc, job));
    }
    if (!result.ok) throw new Error(`pricing ${d.day} failed: ${result.message}`);
    return { job, result };
  };

  const inflight: Promise<{ job: DayJob; result: DayResult }>[] = [];
  const lookahead = Math.max(1, pool.size) * LOOKAHEAD_PER_WORKER;
  let launched = 0;
  const launch = () => {
    while (launched < todo.length && inflight.length < lookahead) {
      const p = price(todo[launched++]);
      p.catch(() => {}); // awaited in order below
      inflight.push(p);
    }
  };
  for (const d of todo) {
    if (options.signal?.aborted) break;
    launch();
    let { job, result } = await (inflight.shift() as Promise<{ job: DayJob; result: DayResult }>);
    launch();
    if (result.ok && result.blocks === null) {
      // Not confident on its own: its blocks take the seed of the last confident day before it
      // (written already: days are written in order).
      ({ job, result } = await price(d, tables.seedBefore(d.day)));
    }
    if (!result.ok || result.blocks === null) throw new Error(`pricing ${d.day} failed`);
    countSources(job);
    tables.writeDay({ ...result.day, digest: digestOf(d.blocks.map((b) => b.hash)) }, result.blocks);
    summary.daysPriced++;
    summary.blocksPriced += result.blocks.length;
    summary.bytesPriced += result.day.bytes;
    report(d.day);
  }
  summary.seconds = (performance.now() - started) / 1000;
  return summary;
}

/**
 * The job's RPC blocks (getblock verbosity 0) as its worker asks for them, in the job's order:
 * each request also starts fetching the next, so the node's reply and the worker's parsing
 * overlap, and at most two blocks are held at once.
 */
function rpcFetcher(rpc: RpcClient, job: DayJob): (hash: string) => Promise<Uint8Array> {
  const order = job.blocks.filter((b) => b.rpc === true).map((b) => b.hash);
  let ahead: { hash: string; bytes: Promise<Uint8Array> } | null = null;
  // Decoded as the reply streams in, into a buffer of its own: handed to the worker without a copy.
  const fetch = (hash: string): Promise<Uint8Array> => rpc.callHex('getblock', [hash, 0]);
  return (hash) => {
    const bytes = ahead?.hash === hash ? ahead.bytes : fetch(hash);
    const next = order[order.indexOf(hash) + 1];
    ahead = next === undefined ? null : { hash: next, bytes: fetch(next) };
    // A prefetch nobody asks for (the job failed) must not be an unhandled rejection.
    ahead?.bytes.catch(() => {});
    return bytes;
  };
}
