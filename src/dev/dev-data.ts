// The real dev data's tables (../shared/data/real): the block manifest and the daily exchange
// prices. In: the files' text. Out: rows, the reference price of a block and the seed the
// evaluation protocol gives it (the previous UTC day's close). Pure: the commands read the files.

import { utcDay } from '../format/utc-day.ts';

export interface ManifestRow {
  file: string;
  height: number;
  /** Block time, Unix seconds. */
  time: number;
  /** The exchange price at this height, when the per-height table covers it. */
  heightPrice: number | null;
  day: { open: number; high: number; low: number; close: number } | null;
}

export interface DailyPrice {
  open: number;
  high: number;
  low: number;
  close: number;
}

function parseCsv(text: string): string[][] {
  return text
    .split(/\r?\n/)
    .filter((line) => line.trim() !== '')
    .map((line) => line.split(','));
}

function positive(text: string | undefined): number | null {
  if (text === undefined || text.trim() === '') return null;
  const n = Number(text);
  return Number.isFinite(n) && n > 0 ? n : null;
}

/** blocks_manifest.csv → rows; throws an Error naming the missing column. */
export function parseManifest(text: string): ManifestRow[] {
  const [header, ...rows] = parseCsv(text);
  if (header === undefined) throw new Error('the manifest is empty');
  const col = (name: string): number => {
    const i = header.indexOf(name);
    if (i < 0) throw new Error(`the manifest has no "${name}" column`);
    return i;
  };
  const c = {
    file: col('file'),
    height: col('height'),
    time: col('time_utc'),
    price: col('brk_height_price_usd'),
    open: col('day_open'),
    high: col('day_high'),
    low: col('day_low'),
    close: col('day_close'),
  };
  return rows.map((r) => {
    const open = positive(r[c.open]);
    const high = positive(r[c.high]);
    const low = positive(r[c.low]);
    const close = positive(r[c.close]);
    return {
      file: r[c.file],
      height: Number(r[c.height]),
      time: Date.parse(r[c.time]) / 1000,
      heightPrice: positive(r[c.price]),
      day:
        open !== null && high !== null && low !== null && close !== null ? { open, high, low, close } : null,
    };
  });
}

/** The daily OHLC file → UTC date (YYYY-MM-DD) → prices. */
export function parseDailyPrices(text: string): Map<string, DailyPrice> {
  const [header, ...rows] = parseCsv(text);
  if (header === undefined || header.join(',') !== 'date,open,high,low,close')
    throw new Error('the daily price file does not start with "date,open,high,low,close"');
  const out = new Map<string, DailyPrice>();
  for (const r of rows) {
    const [open, high, low, close] = [r[1], r[2], r[3], r[4]].map(Number);
    if ([open, high, low, close].every((x) => Number.isFinite(x))) out.set(r[0], { open, high, low, close });
  }
  return out;
}

/** The protocol's reference: the per-height exchange price where there is one, else the day's close. */
export function referencePrice(row: {
  heightPrice: number | null;
  day: { close: number } | null;
}): number | null {
  return row.heightPrice ?? row.day?.close ?? null;
}

/** The protocol's seed: the close of the UTC day before `time`, when the table has it. */
export function previousDayClose(daily: Map<string, DailyPrice>, time: number): number | null {
  const close = daily.get(utcDay(time - 86_400))?.close;
  return close !== undefined && close > 0 ? close : null;
}
