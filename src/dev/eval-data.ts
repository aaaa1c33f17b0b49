// Loading the real dev data (../shared/data/real) for `chainprice eval` and `chainprice calibrate`:
// raw blocks, the derived output lists and the esplora BRC-20 block, each as a window of candidate
// outputs with its reference price and the protocol's seed. In: the data folder. Out: DevBlock[].
// File problems become UserErrors naming the file.

import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { brotliDecompressSync } from 'node:zlib';
import { readBlock } from '../bitcoin/block.ts';
import { UserError } from '../errors.ts';
import { utcDay } from '../format/utc-day.ts';
import type { CandidateSource } from '../oracle/candidate-source.ts';
import type { CombModel } from '../oracle/comb-model.ts';
import { estimatePrice } from '../oracle/estimator.ts';
import type { FilterProfile } from '../oracle/filter-profile.ts';
import { PriceWindow } from '../oracle/window.ts';
import {
  type DailyPrice,
  type ManifestRow,
  parseDailyPrices,
  parseManifest,
  previousDayClose,
  referencePrice,
} from './dev-data.ts';
import { transactionFromEsplora } from './esplora-transaction.ts';
import type { EvalRow } from './evaluation.ts';
import { candidatesFromOutputList } from './output-list.ts';

/** `../shared/data/real` next to the repository. */
export const DEFAULT_DATA_DIR = new URL('../../../shared/data/real/', import.meta.url).pathname;

export type DevSource = 'block' | 'output-list' | 'esplora' | 'pooled';

export interface DevBlock {
  label: string;
  height: number;
  time: number;
  source: DevSource;
  /** Transactions in the block. */
  transactions: number;
  candidates: CandidateSource;
  /** Per-height exchange price, else the day's close; null when no price is known. */
  reference: number | null;
  referenceKind: 'height' | 'day close' | 'none';
  /** The previous UTC day's close: the seed of the seeded mode. */
  seed: number | null;
  day: DailyPrice | null;
  /** Filter rules the source could not apply. */
  unchecked: string[];
}

function read(path: string): Buffer {
  try {
    return readFileSync(path);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    throw new UserError(`cannot read ${path}${code ? ` (${code})` : ''}`);
  }
}

function progress(text: string): void {
  if (process.stderr.isTTY) process.stderr.write(`\r\x1b[K${text}`);
}

/** One block judged in one mode with one comb: the estimate beside what it is judged against. */
export function judgeBlock(block: DevBlock, mode: 'cold' | 'seeded', model: CombModel): EvalRow {
  return {
    label: block.label,
    height: block.height,
    time: block.time,
    source: block.source,
    candidates: block.candidates.candidateOutputs,
    reference: block.reference,
    seed: block.seed,
    dayLow: block.day?.low ?? null,
    dayHigh: block.day?.high ?? null,
    mode,
    estimate: estimatePrice(block.candidates, model, {
      time: block.time,
      ...(mode === 'seeded' ? { seed: block.seed } : {}),
    }),
  };
}

export function endProgress(): void {
  if (process.stderr.isTTY) process.stderr.write('\r\x1b[K');
}

export interface LoadOptions {
  profile: FilterProfile;
  /** Also load the output lists and the esplora block (eval); calibrate uses raw blocks only. */
  extras: boolean;
  /** Also make the pooled windows of consecutive raw blocks (eval). */
  pooled?: boolean;
}

/**
 * Every run of two or more consecutive raw blocks (each one's previous hash is the one before) as
 * one window, the way the live service sees a stretch of chain: the transactions of all of them in
 * one PriceWindow (so the same-window spend rule spans blocks), judged at the last block's time.
 */
function pooledWindows(
  raw: Map<number, { bytes: Buffer; hash: string; prevHash: string }>,
  profile: FilterProfile,
  describe: (height: number, time: number) => Pick<DevBlock, 'reference' | 'referenceKind' | 'seed' | 'day'>,
): DevBlock[] {
  const heights = [...raw.keys()].sort((a, b) => a - b);
  const follows = (h: number) => raw.get(h - 1)?.hash === raw.get(h)?.prevHash;
  const windows: DevBlock[] = [];
  for (const from of heights) {
    for (let to = from + 1; raw.has(to) && follows(to); to++) {
      const window = new PriceWindow({ profile });
      let time = 0;
      let transactions = 0;
      for (let h = from; h <= to; h++) {
        const block = readBlock(raw.get(h)!.bytes);
        time = block.header.time;
        for (const tx of block.transactions()) {
          window.add(tx, time);
          transactions++;
        }
      }
      windows.push({
        label: `${from}–${to}`,
        height: to,
        time,
        source: 'pooled',
        transactions,
        candidates: window,
        unchecked: [],
        ...describe(to, time),
      });
    }
  }
  return windows;
}

export function loadDevBlocks(dir: string, options: LoadOptions): DevBlock[] {
  const manifestPath = join(dir, 'blocks_manifest.csv');
  if (!existsSync(manifestPath))
    throw new UserError(`no real data at ${dir} (blocks_manifest.csv is missing)`, {
      hint: 'pass --data DIR, the folder holding blocks_manifest.csv, blocks/ and prices/',
    });
  let manifest: ManifestRow[];
  let daily: Map<string, DailyPrice>;
  try {
    manifest = parseManifest(read(manifestPath).toString('utf8'));
    const pricesDir = join(dir, 'prices');
    const dailyFile = existsSync(pricesDir)
      ? readdirSync(pricesDir).find((f) => f.startsWith('btc_usd_daily_ohlc') && f.endsWith('.csv'))
      : undefined;
    if (dailyFile === undefined)
      throw new UserError(`no daily price file (prices/btc_usd_daily_ohlc*.csv) in ${dir}`);
    daily = parseDailyPrices(read(join(pricesDir, dailyFile)).toString('utf8'));
  } catch (error) {
    if (error instanceof UserError) throw error;
    throw new UserError(`bad real-data table in ${dir}: ${(error as Error).message}`);
  }

  const describe = (
    height: number,
    time: number,
  ): Pick<DevBlock, 'reference' | 'referenceKind' | 'seed' | 'day'> => {
    const row = manifest.find((r) => r.height === height);
    const day = row?.day ?? daily.get(utcDay(time)) ?? null;
    const reference = row ? referencePrice(row) : (day?.close ?? null);
    return {
      reference,
      referenceKind: row?.heightPrice ? 'height' : reference !== null ? 'day close' : 'none',
      seed: previousDayClose(daily, time),
      day,
    };
  };

  const blocks: DevBlock[] = [];
  const rows = manifest.filter((r) => r.file.endsWith('.raw'));
  /** Each raw block's bytes and header hashes, for the pooled windows below. */
  const raw = new Map<number, { bytes: Buffer; hash: string; prevHash: string }>();
  for (const [i, row] of rows.entries()) {
    progress(`loading block ${i + 1}/${rows.length} (${row.height})`);
    const path = join(dir, row.file);
    const window = new PriceWindow({ profile: options.profile });
    let time: number;
    let transactions = 0;
    try {
      const bytes = read(path);
      const block = readBlock(bytes);
      time = block.header.time;
      if (options.pooled)
        raw.set(row.height, { bytes, hash: block.header.hash, prevHash: block.header.prevHash });
      for (const tx of block.transactions()) {
        window.add(tx, time);
        transactions++;
      }
    } catch (error) {
      if (error instanceof UserError) throw error;
      throw new UserError(`${path}: not a valid block (${(error as Error).message})`);
    }
    blocks.push({
      label: String(row.height),
      height: row.height,
      time,
      source: 'block',
      transactions,
      candidates: window,
      unchecked: [],
      ...describe(row.height, time),
    });
  }

  if (options.pooled) blocks.push(...pooledWindows(raw, options.profile, describe));

  if (options.extras) {
    const derived = join(dir, 'derived');
    const lists = existsSync(derived)
      ? readdirSync(derived)
          .filter((f) => f.endsWith('.outputs.csv'))
          .sort()
      : [];
    for (const file of lists) {
      progress(`loading output list ${file}`);
      const path = join(derived, file);
      let list: ReturnType<typeof candidatesFromOutputList>;
      try {
        list = candidatesFromOutputList(read(path).toString('utf8'), options.profile);
      } catch (error) {
        throw new UserError(`${path}: ${(error as Error).message}`);
      }
      const height = list.height ?? Number(/block-(\d+)/.exec(file)?.[1] ?? 0);
      blocks.push({
        label: `${height}`,
        height,
        time: list.time,
        source: 'output-list',
        transactions: list.transactions,
        candidates: list.candidates,
        unchecked: list.unchecked,
        ...describe(height, list.time),
      });
    }
    const esplora = join(dir, 'esplora');
    const jsons = existsSync(esplora)
      ? readdirSync(esplora)
          .filter((f) => f.endsWith('.txs.json.br'))
          .sort()
      : [];
    for (const file of jsons) {
      progress(`loading ${file}`);
      const path = join(esplora, file);
      const window = new PriceWindow({ profile: options.profile });
      let time = 0;
      let transactions = 0;
      try {
        const txs = JSON.parse(brotliDecompressSync(read(path)).toString('utf8')) as unknown[];
        if (!Array.isArray(txs)) throw new Error('not a list of transactions');
        for (const json of txs) {
          const blockTime = (json as { status?: { block_time?: number } }).status?.block_time;
          if (typeof blockTime === 'number') time = blockTime;
          window.add(transactionFromEsplora(json), time);
          transactions++;
        }
      } catch (error) {
        if (error instanceof UserError) throw error;
        throw new UserError(`${path}: ${(error as Error).message}`);
      }
      const height = Number(/block-(\d+)/.exec(file)?.[1] ?? 0);
      blocks.push({
        label: `${height}`,
        height,
        time,
        source: 'esplora',
        transactions,
        candidates: window,
        unchecked: [],
        ...describe(height, time),
      });
    }
  }
  endProgress();
  return blocks;
}
