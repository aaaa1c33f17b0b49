// `chainprice eval`: the evaluation protocol of ../shared/notes/estimator.md on the real dev data.
// Every block alone is estimated cold (no seed, whole range) and seeded (the previous day's close),
// and compared with its reference price. Out: a per-block table, summaries by mode, era and
// candidate count, a calibration table (confidence → error), the targets, and with
// --json FILE all of it as JSON.
// By default each raw block is judged with a comb calibrated on the other blocks (leave-one-out),
// so the numbers are out-of-sample; --committed judges with the committed comb instead.

import { writeFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { calibrateComb } from '../dev/calibration.ts';
import { DEFAULT_DATA_DIR, type DevBlock, endProgress, judgeBlock, loadDevBlocks } from '../dev/eval-data.ts';
import {
  CANDIDATE_GROUPS,
  type CalibrationLine,
  calibrationTable,
  candidateGroupOf,
  checkTargets,
  type EvalRow,
  eraOf,
  errorOf,
  inDayRange,
  type Summary,
  summarize,
} from '../dev/evaluation.ts';
import { EXIT, UserError } from '../errors.ts';
import { utcDay } from '../format/utc-day.ts';
import { type CombModel, DEFAULT_COMB_MODEL } from '../oracle/comb-model.ts';
import { DEFAULT_FILTER_PROFILE } from '../oracle/filter-profile.ts';
import type { EvalOptions } from './eval-options.ts';

const pct = (x: number | null, digits = 2) => (x === null ? '–' : `${(x * 100).toFixed(digits)}%`);
const money = (x: number | null) =>
  x === null ? '–' : x >= 100 ? Math.round(x).toLocaleString('en-US') : x.toFixed(2);

function progress(text: string): void {
  if (process.stderr.isTTY) process.stderr.write(`\r\x1b[K${text}`);
}

function table(header: string[], rows: string[][], rightAligned: boolean[]): string {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i].length)));
  const line = (cells: string[]) =>
    cells
      .map((c, i) => (rightAligned[i] ? c.padStart(widths[i]) : c.padEnd(widths[i])))
      .join('  ')
      .trimEnd();
  return [line(header), line(widths.map((w) => '-'.repeat(w))), ...rows.map(line)].join('\n');
}

function summaryLine(mode: string, group: string, s: Summary): string[] {
  return [
    mode,
    group,
    String(s.blocks),
    String(s.estimates),
    pct(s.coverage, 0),
    pct(s.median),
    pct(s.p90),
    pct(s.max),
    pct(s.within1, 0),
    pct(s.within2, 0),
    pct(s.within5, 0),
  ];
}

export async function run(options: EvalOptions): Promise<number> {
  const dir = options.data === undefined ? DEFAULT_DATA_DIR : resolve(options.data);
  const jsonOut = options.json === undefined ? null : resolve(options.json);
  const { modes, committed } = options;
  const blocks = loadDevBlocks(dir, { profile: DEFAULT_FILTER_PROFILE, extras: true, pooled: true });
  const calibrationSet = blocks.filter((b) => b.source === 'block' && b.reference !== null);
  // Leave one day out: blocks of the same UTC day (831328–831331, 300000 and 300025) share
  // their habits, so none of them helps calibrate the comb that judges another.
  const combOf = (exclude: DevBlock | null): CombModel =>
    calibrateComb(
      calibrationSet
        .filter((b) => exclude === null || utcDay(b.time) !== utcDay(exclude.time))
        .map((b) => ({ label: b.label, counts: b.candidates.counts, price: b.reference!, time: b.time })),
    ).model;
  const allBlocksComb = committed ? DEFAULT_COMB_MODEL : combOf(null);

  const rows: EvalRow[] = [];
  for (const [i, block] of blocks.entries()) {
    progress(`eval: block ${i + 1}/${blocks.length} (${block.label})`);
    const model = committed
      ? DEFAULT_COMB_MODEL
      : calibrationSet.some((b) => utcDay(b.time) === utcDay(block.time))
        ? combOf(block)
        : allBlocksComb;
    for (const mode of modes) {
      if (mode === 'seeded' && block.seed === null) continue;
      rows.push(judgeBlock(block, mode, model));
    }
  }
  endProgress();

  console.log(
    `chainprice eval: ${blocks.length} blocks from ${dir}\n` +
      `comb: ${committed ? 'the committed model (in-sample for the raw dev blocks)' : 'leave-one-out (each raw block judged with a comb calibrated on the others)'}\n`,
  );

  // Per-block table.
  const perBlock = blocks.map((b) => {
    const cells = [
      b.label,
      utcDay(b.time),
      b.source === 'block'
        ? 'raw'
        : b.source === 'output-list'
          ? 'list*'
          : b.source === 'pooled'
            ? 'pooled'
            : 'esplora',
      String(b.transactions),
      String(b.candidates.candidateOutputs),
      money(b.reference),
      money(b.seed),
    ];
    for (const mode of modes) {
      const row = rows.find((r) => r.label === b.label && r.source === b.source && r.mode === mode);
      if (row === undefined) cells.push('no seed', '', '');
      else if (!row.estimate.ok) cells.push('none', '', '');
      else {
        const err = errorOf(row);
        const signed = row.reference === null ? null : row.estimate.price / row.reference - 1;
        const inDay = inDayRange(row);
        cells.push(
          money(row.estimate.price),
          err === null
            ? '–'
            : `${signed! >= 0 ? '+' : ''}${(signed! * 100).toFixed(2)}%${inDay ? '' : inDay === false ? ' ·' : ''}`,
          row.estimate.confidence.toFixed(2),
        );
      }
    }
    return cells;
  });
  const modeHeads = modes.flatMap((m) => [`${m} price`, 'error', 'conf']);
  console.log(
    table(['block', 'date', 'source', 'txs', 'cands', 'reference', 'seed', ...modeHeads], perBlock, [
      false,
      false,
      false,
      true,
      true,
      true,
      true,
      ...modes.flatMap(() => [true, true, true]),
    ]),
  );
  console.log(
    "\ncands: candidate outputs. error: signed, estimate vs reference; ' ·' = outside the day's low–high.\n" +
      'list*: output list without witnesses or outpoints (witness and same-window rules not applied).\n' +
      "pooled: consecutive raw blocks as one window (the live window's proxy), judged at the last block's time.",
  );
  for (const b of blocks.filter((b) => b.reference === null))
    console.log(`block ${b.label}: no reference price (newer than the price tables); not in the summaries.`);
  const reasons = rows.filter((r) => !r.estimate.ok);
  if (reasons.length) {
    console.log('\nNo estimate:');
    for (const r of reasons) if (!r.estimate.ok) console.log(`  ${r.label} ${r.mode}: ${r.estimate.reason}`);
  }

  // Summaries.
  const summaryRows: string[][] = [];
  const summaries: Record<string, Record<string, Summary>> = {};
  for (const mode of modes) {
    const mine = rows.filter((r) => r.mode === mode);
    const groups: [string, EvalRow[]][] = [['all', mine]];
    const eras = [...new Set(mine.map((r) => eraOf(r.time)))].sort();
    for (const era of eras) groups.push([`era ${era}`, mine.filter((r) => eraOf(r.time) === era)]);
    for (const g of CANDIDATE_GROUPS)
      groups.push([`cands ${g.name}`, mine.filter((r) => candidateGroupOf(r.candidates) === g.name)]);
    summaries[mode] = {};
    for (const [name, group] of groups) {
      const s = summarize(group);
      if (s.blocks === 0) continue;
      summaries[mode][name] = s;
      summaryRows.push(summaryLine(mode, name, s));
    }
  }
  console.log('\nSummary (error = |estimate − reference| / reference; blocks with a reference price)');
  console.log(
    table(
      ['mode', 'group', 'blocks', 'est', 'cover', 'median', 'p90', 'max', '≤1%', '≤2%', '≤5%'],
      summaryRows,
      [false, false, true, true, true, true, true, true, true, true, true],
    ),
  );

  // Calibration.
  const calibration: Record<string, CalibrationLine[]> = {};
  const calRows: string[][] = [];
  for (const mode of [...modes, 'both'] as const) {
    if (mode === 'both' && modes.length < 2) continue;
    const lines = calibrationTable(mode === 'both' ? rows : rows.filter((r) => r.mode === mode));
    calibration[mode] = lines;
    for (const l of lines)
      calRows.push([
        mode,
        l.bucket,
        String(l.estimates),
        pct(l.medianError),
        pct(l.within2, 0),
        pct(l.maxError),
      ]);
  }
  console.log('\nCalibration (confidence bucket → error of the estimates in it)');
  console.log(
    table(['mode', 'confidence', 'est', 'median err', '≤2%', 'max err'], calRows, [
      false,
      false,
      true,
      true,
      true,
      true,
    ]),
  );

  // Targets.
  const targets = checkTargets(rows);
  console.log('\nTargets (issue 10)');
  for (const t of targets) console.log(`  ${t.pass ? 'PASS' : 'FAIL'}  ${t.name}: ${t.value}`);

  if (jsonOut !== null) {
    const json = {
      data: dir,
      comb: committed ? 'committed' : 'leave-one-out',
      rows: rows.map((r) => ({
        block: r.label,
        height: r.height,
        date: utcDay(r.time),
        source: r.source,
        candidates: r.candidates,
        reference: r.reference,
        seed: r.seed,
        mode: r.mode,
        ok: r.estimate.ok,
        price: r.estimate.ok ? r.estimate.price : null,
        confidence: r.estimate.ok ? r.estimate.confidence : null,
        coarsePrice: r.estimate.ok ? r.estimate.coarsePrice : null,
        outputsUsed: r.estimate.ok ? r.estimate.outputsUsed : null,
        score: r.estimate.ok ? r.estimate.score : null,
        lead: r.estimate.ok ? r.estimate.lead : null,
        rivalPrice: r.estimate.ok ? r.estimate.rivalPrice : null,
        rivalScore: r.estimate.ok ? r.estimate.rivalScore : null,
        error: errorOf(r),
        inDayRange: inDayRange(r),
        reason: r.estimate.ok ? null : r.estimate.reason,
      })),
      summaries,
      calibration,
      targets,
    };
    try {
      writeFileSync(jsonOut, `${JSON.stringify(json, null, 2)}\n`);
    } catch (error) {
      throw new UserError(`cannot write ${jsonOut}: ${(error as Error).message}`);
    }
    console.log(`\nwrote ${jsonOut}`);
  }
  return EXIT.ok;
}
