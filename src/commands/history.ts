// `chainprice history build|show`: build prices every block and every UTC day of the node's active
// chain into the history database (block files when readable, else RPC; resumable, reorg-safe,
// parallel), with progress on stderr and a summary at the end; show prints the stored days or
// blocks as a table, CSV or JSON. In: the parsed options (history-options.ts). Out: the exit code.
// A build the disk stops (full, read-only) ends with one sentence; the days written before stay.

import { availableParallelism } from 'node:os';
import { join } from 'node:path';
import { EXIT, UserError } from '../errors.ts';
import { utcDay } from '../format/utc-day.ts';
import { BlockFiles } from '../history/block-files.ts';
import { resolveRange } from '../history/build-range.ts';
import { buildHistory } from '../history/history-build.ts';
import { blocksCsv, daysCsv } from '../history/history-csv.ts';
import { HistoryTables } from '../history/history-tables.ts';
import { formatDuration, progressBar } from '../history/progress-bar.ts';
import { WorkerPool } from '../history/worker-pool.ts';
import { BlockSource } from '../node/block-source.ts';
import { datadirSubfolder } from '../node/network.ts';
import { formatUsd } from '../node/node-command.ts';
import { resolveNodeConfig } from '../node/node-config.ts';
import { connectToNode } from '../node/node-connection.ts';
import { resolveDataDir } from '../store/data-dir.ts';
import { HistoryStore, openHistoryToRead } from '../store/history.ts';
import { storageProblem } from '../store/storage.ts';
import type { HistoryOptions } from './history-options.ts';

async function build(parsed: HistoryOptions): Promise<number> {
  const { from, to } = parsed;
  const config = resolveNodeConfig(parsed.node);
  const store = HistoryStore.open({ dataDir: parsed.dataDir, source: 'node' });
  const tables = new HistoryTables(store.database);
  const { rpc } = await connectToNode(config, {
    onStatus: (line) => process.stderr.write(`chainprice: ${line}\n`),
  });
  const pool = new WorkerPool(parsed.workers ?? availableParallelism());
  const controller = new AbortController();
  const onSignal = () => controller.abort();
  process.once('SIGINT', onSignal);
  process.once('SIGTERM', onSignal);
  const bar = progressBar();
  try {
    const source = new BlockSource(rpc);
    let files: BlockFiles | null = null;
    if (parsed.blockFiles !== 'off') {
      const dir = parsed.blocksDir ?? join(config.datadir, datadirSubfolder(config.network), 'blocks');
      try {
        files = BlockFiles.open(dir, config.network);
        const summary = files.refresh();
        process.stderr.write(
          `chainprice: reading blocks from ${dir} (${summary.files} files, ${summary.blocks.toLocaleString('en-US')} blocks, XOR ${files.obfuscated ? 'on' : 'off'})\n`,
        );
      } catch (error) {
        if (parsed.blockFiles === 'on' || !(error instanceof UserError)) throw error;
        process.stderr.write(`chainprice: ${error.message} Reading blocks over RPC instead.\n`);
        files = null;
      }
    }
    const tip = await source.tipHeight();
    const range = await resolveRange(source, tip, from, to);
    let written = 0;
    let lastDay: string | null = null;
    const summary = await buildHistory({
      source,
      rpc,
      files,
      tables,
      pool,
      from: range.from,
      to: range.to,
      onProgress: (p) => {
        if (p.day !== null) [written, lastDay] = [p.daysDone, p.day];
        bar.update(p);
      },
      signal: controller.signal,
    }).catch((error: unknown) => {
      const problem = storageProblem(error, store.dir);
      if (problem === null) throw error;
      bar.end();
      const kept = written === 0 ? 'no day was written' : `the ${written} day(s) up to ${lastDay} are kept`;
      throw new UserError(`${problem.message}, so the history build stopped; ${kept}`, {
        hint:
          problem.kind === 'full'
            ? 'make room on that disk and run "chainprice history build" again: it goes on where it stopped'
            : 'make the directory writable and run "chainprice history build" again: it goes on where it stopped',
      });
    });
    bar.end();
    const rate = summary.seconds > 0 ? summary.bytesPriced / 1e6 / summary.seconds : 0;
    const stopped = controller.signal.aborted ? 'stopped (run it again to go on): ' : '';
    console.log(
      `history: ${stopped}${summary.days} days in heights ${summary.firstHeight ?? '-'}–${summary.lastHeight ?? '-'} (tip ${summary.tipHeight}); ` +
        `priced ${summary.daysPriced} days and ${summary.blocksPriced.toLocaleString('en-US')} blocks ` +
        `(${(summary.bytesPriced / 1e6).toFixed(1)} MB, ${summary.fromFiles} from files, ${summary.fromRpc} over RPC) ` +
        `in ${formatDuration(summary.seconds)} (${rate.toFixed(1)} MB/s on ${Math.max(1, pool.size)} threads)` +
        (summary.replacedDays.length > 0
          ? `; replaced ${summary.replacedDays.length} days after a reorg`
          : '') +
        `; history in ${store.path}`,
    );
    return controller.signal.aborted ? EXIT.failure : EXIT.ok;
  } finally {
    bar.end();
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
    await pool.close();
    rpc.close();
    store.close();
  }
}

function show(parsed: HistoryOptions): number {
  // Read only: it creates and writes nothing, and reads a history on a read-only disk too.
  const db = openHistoryToRead({ dataDir: parsed.dataDir, source: 'node' });
  const tables = db === null ? null : HistoryTables.toRead(db);
  if (tables === null) {
    db?.close();
    process.stderr.write(
      `chainprice: no chain history in ${resolveDataDir(parsed.dataDir)} yet; build it with "chainprice history build"\n`,
    );
    return EXIT.failure;
  }
  try {
    const { from, to } = parsed;
    if (parsed.blocks) {
      const lo = typeof from === 'number' ? from : 0;
      const hi = typeof to === 'number' ? to : Number.MAX_SAFE_INTEGER;
      const fromTime = typeof from === 'string' ? Date.parse(`${from}T00:00:00Z`) / 1000 : 0;
      const toTime =
        typeof to === 'string' ? Date.parse(`${to}T00:00:00Z`) / 1000 + 86_399 : Number.MAX_SAFE_INTEGER;
      const rows = tables
        .blocksByHeight(lo, hi, Number.MAX_SAFE_INTEGER)
        .filter((b) => b.time >= fromTime && b.time <= toTime);
      if (parsed.format === 'csv') process.stdout.write(blocksCsv(rows));
      else if (parsed.format === 'json') console.log(JSON.stringify(rows, null, 2));
      else
        for (const b of rows)
          console.log(
            `${b.height} ${b.day} ${b.price === null ? 'no estimate'.padStart(14) : formatUsd(b.price).padStart(14)}  confidence ${b.confidence.toFixed(2)}  ${b.outputsUsed}/${b.candidates} outputs`,
          );
      return rows.length === 0 ? EXIT.failure : EXIT.ok;
    }
    const day = (v: number | string | undefined, fallback: string): string =>
      typeof v === 'string' ? v : typeof v === 'number' ? (heightDay(tables, v) ?? fallback) : fallback;
    const rows = tables.days(day(from, '0000-00-00'), day(to, '9999-99-99'));
    if (parsed.format === 'csv') process.stdout.write(daysCsv(rows));
    else if (parsed.format === 'json') console.log(JSON.stringify(rows, null, 2));
    else
      for (const d of rows)
        console.log(
          `${d.day} ${d.price === null ? 'no estimate'.padStart(14) : formatUsd(d.price).padStart(14)}  confidence ${d.confidence.toFixed(2)}  ${d.blocks} blocks  ${d.outputsUsed}/${d.candidates} outputs`,
        );
    if (rows.length === 0)
      process.stderr.write(
        'chainprice: no days stored in that range; build them with "chainprice history build"\n',
      );
    return rows.length === 0 ? EXIT.failure : EXIT.ok;
  } finally {
    db?.close();
  }
}

function heightDay(tables: HistoryTables, height: number): string | null {
  const [row] = tables.blocksByHeight(height, height, 1);
  return row ? utcDay(row.time) : null;
}

export async function run(options: HistoryOptions): Promise<number> {
  return options.sub === 'build' ? build(options) : show(options);
}
