// `chainprice serve` keeps the chain's price history current beside the live price: on start it
// builds the recent days (default the last 30) in the background, then after every new block it
// builds again from a little below the stored top to the tip. Each run is `buildHistory` (the
// build command's code): done days are skipped by their digest, the day a new block joined is
// priced again, rows a reorg replaced are replaced. One worker thread, started for each run and
// ended after it (an idle worker's isolate would stay resident between blocks for nothing, and
// starting one is cheap next to ten minutes: docs/memory.md); runs one at a time (a block arriving
// during a run asks for one more run after it), progress lines in the log. It never
// delays the live price: everything here is started after the service listens and is awaited by
// nobody but stop(). A run the disk stopped (full, read-only) is tried again after the
// StorageWatch's retry time, not only at the next block, so the history resumes soon after room is made.

import { join } from 'node:path';
import { UserError } from '../errors.ts';
import { utcDay } from '../format/utc-day.ts';
import { BlockSource } from '../node/block-source.ts';
import { datadirSubfolder, type Network } from '../node/network.ts';
import type { RpcClient } from '../node/rpc-client.ts';
import type { StorageWatch } from '../store/storage.ts';
import { BlockFiles } from './block-files.ts';
import { resolveRange } from './build-range.ts';
import { type BuildProgress, type BuildSummary, buildHistory } from './history-build.ts';
import type { HistoryTables } from './history-tables.ts';
import { WorkerPool } from './worker-pool.ts';

/** Days built on first start. */
export const DEFAULT_RECENT_DAYS = 30;
/** Each update starts this many heights below the stored top (a reorg deeper than this is rare; a
 * later full `history build` catches any). */
const UPDATE_BACK = 24;
/** Progress lines at most this often. */
const PROGRESS_EVERY_MS = 5_000;

export interface NodeHistoryOptions {
  rpc: RpcClient;
  network: Network;
  /** The node's datadir (the block files are under it), and an override for the blocks folder. */
  datadir: string;
  blocksDir?: string;
  tables: HistoryTables;
  log: (line: string) => void;
  recentDays?: number;
  /** Worker threads (default 1: the live service keeps the other cores). */
  workers?: number;
  /** Unix seconds now (tests). */
  now?: () => number;
  /** Where a write the disk refused is reported; the run is then tried again after its retry time. */
  storage?: StorageWatch;
}

/** The writer's name in /health and /metrics. */
const WRITER = 'chain_history';

export class NodeHistory {
  private readonly options: NodeHistoryOptions;
  private readonly source: BlockSource;
  private readonly abort = new AbortController();
  private files: BlockFiles | null | undefined;
  private running: Promise<void> | null = null;
  private again = false;
  private firstDone = false;
  /** The first build said what it builds (once: a run the disk stopped starts again quietly). */
  private announced = false;
  private retry: NodeJS.Timeout | undefined;
  /** Summaries of the runs so far (tests read them). */
  readonly runs: BuildSummary[] = [];

  constructor(options: NodeHistoryOptions) {
    this.options = options;
    this.source = new BlockSource(options.rpc);
  }

  /** Starts the first build (the recent days); later calls to update() follow the tip. */
  start(): void {
    this.kick();
  }

  /** A new block arrived: build again up to the new tip (after the run in progress, if any). */
  update(): void {
    this.kick();
  }

  /** Resolves when no run is in progress or asked for (tests). */
  async idle(): Promise<void> {
    while (this.running !== null) await this.running;
  }

  async stop(): Promise<void> {
    this.abort.abort();
    this.again = false;
    clearTimeout(this.retry);
    await this.running?.catch(() => {});
  }

  private kick(): void {
    if (this.abort.signal.aborted) return;
    if (this.running !== null) {
      this.again = true;
      return;
    }
    this.running = (async () => {
      do {
        this.again = false;
        try {
          await this.run();
          this.options.storage?.wrote(WRITER);
        } catch (error) {
          const storage = this.options.storage;
          if (storage?.failed(WRITER, error)) {
            // Said once by the watch; tried again soon, so the history goes on once there is room.
            clearTimeout(this.retry);
            this.retry = setTimeout(() => this.kick(), storage.retryMs);
            this.retry.unref();
          } else {
            this.options.log(
              `chain history: ${(error as Error).message.split('\n')[0]} (will try again at the next block)`,
            );
          }
        }
      } while (this.again && !this.abort.signal.aborted);
      this.running = null;
    })();
  }

  private openFiles(): BlockFiles | null {
    if (this.files !== undefined) return this.files;
    const o = this.options;
    const dir = o.blocksDir ?? join(o.datadir, datadirSubfolder(o.network), 'blocks');
    try {
      this.files = BlockFiles.open(dir, o.network);
    } catch (error) {
      if (!(error instanceof UserError)) throw error;
      o.log(`chain history: ${error.message} Reading blocks over RPC instead.`);
      this.files = null;
    }
    return this.files;
  }

  private async run(): Promise<void> {
    const o = this.options;
    const tip = await this.source.tipHeight();
    const top = o.tables.counts().topHeight;
    let from: number;
    const first = !this.firstDone;
    if (first) {
      const days = o.recentDays ?? DEFAULT_RECENT_DAYS;
      const now = o.now?.() ?? Date.now() / 1000;
      const date = utcDay(now - days * 86_400);
      from = (await resolveRange(this.source, tip, date, undefined)).from;
      if (from > tip) from = tip;
      if (!this.announced)
        o.log(`chain history: building the last ${days} days (heights ${from}–${tip}) in the background`);
      this.announced = true;
      if (top !== null && top >= from) from = Math.min(from, Math.max(0, top - UPDATE_BACK));
    } else {
      from = Math.max(0, Math.min(tip, (top ?? tip) - UPDATE_BACK));
    }
    let said = performance.now();
    const progress = (p: BuildProgress) => {
      if (!first || performance.now() - said < PROGRESS_EVERY_MS || p.daysTotal === 0) return;
      said = performance.now();
      o.log(`chain history: ${p.daysDone}/${p.daysTotal} days, ${(p.bytesDone / 1e6).toFixed(0)} MB priced`);
    };
    const pool = new WorkerPool(o.workers ?? 1);
    let summary: BuildSummary;
    try {
      summary = await buildHistory({
        source: this.source,
        rpc: o.rpc,
        files: this.openFiles(),
        tables: o.tables,
        pool,
        from,
        to: tip,
        onProgress: progress,
        signal: this.abort.signal,
      });
    } finally {
      await pool.close();
    }
    this.runs.push(summary);
    if (first) {
      this.firstDone = true;
      o.log(
        `chain history: ${summary.days} recent days current (${summary.daysPriced} priced now, ${summary.blocksPriced} blocks, ${summary.fromFiles} from files, ${summary.fromRpc} over RPC) in ${summary.seconds.toFixed(1)} s`,
      );
    } else if (summary.daysPriced > 0 || summary.replacedDays.length > 0) {
      o.log(
        `chain history: up to height ${summary.tipHeight}, priced ${summary.daysPriced} day(s) again` +
          (summary.replacedDays.length > 0
            ? `, replaced ${summary.replacedDays.join(', ')} after a reorg`
            : ''),
      );
    }
  }
}
