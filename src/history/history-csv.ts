// The chain's price history as CSV, for `chainprice history show --csv` and the API's
// `?format=csv`: day or block rows in, a header line and one line per row out (RFC 4180, no quoting
// needed: every field is a number, a date or a hex hash).

import type { BlockRow, DayRow } from './history-tables.ts';

function num(value: number | null, digits: number): string {
  return value === null ? '' : value.toFixed(digits);
}

export const DAY_CSV_HEADER =
  'date,price,confidence,blocks,candidates,outputs_used,transactions,first_height,last_height';
export const BLOCK_CSV_HEADER =
  'height,hash,time,date,price,confidence,candidates,outputs_used,transactions,bytes,seed';

export function daysCsv(rows: readonly DayRow[]): string {
  const lines = rows.map((d) =>
    [
      d.day,
      num(d.price, 2),
      d.confidence.toFixed(3),
      d.blocks,
      d.candidates,
      d.outputsUsed,
      d.transactions,
      d.firstHeight,
      d.lastHeight,
    ].join(','),
  );
  return `${[DAY_CSV_HEADER, ...lines].join('\n')}\n`;
}

export function blocksCsv(rows: readonly BlockRow[]): string {
  const lines = rows.map((b) =>
    [
      b.height,
      b.hash,
      b.time,
      b.day,
      num(b.price, 2),
      b.confidence.toFixed(3),
      b.candidates,
      b.outputsUsed,
      b.transactions,
      b.bytes,
      num(b.seed, 2),
    ].join(','),
  );
  return `${[BLOCK_CSV_HEADER, ...lines].join('\n')}\n`;
}
