// The chain's price history over HTTP, and the two price endpoints of a self-hosted mempool explorer
// (so tools written for it can point here). In: the history tables. Out:
//   GET /api/v1/history/daily?from=&to=&format=json|csv   days (from/to: YYYY-MM-DD)
//   GET /api/v1/history/blocks?from=&to=&format=json|csv  blocks (from/to: heights or YYYY-MM-DD)
//   GET /api/v1/prices                                    {time, USD, EUR: -1, …}: the newest priced block
//   GET /api/v1/historical-price?currency=USD&timestamp=  {prices: [{time, USD, …}], exchangeRates: {…}}
// chainprice prices USD only; every other currency of the explorer is answered with -1, the value
// the explorer gives a currency it has no price for. Every answer names its source (node or demo):
// a `source` field in the history JSON and an X-Chainprice-Source header on all four (the explorer's
// shapes are kept exactly, so there it is the header only). Without a history database
// (--no-history) the four answer 503 with a message saying so (historyUnavailableRoutes).

import type { FastifyInstance, FastifyReply } from 'fastify';
import { ApiError, badRequest } from '../errors.ts';
import { blocksCsv, daysCsv } from '../history/history-csv.ts';
import type { BlockRow, DayRow, HistoryTables } from '../history/history-tables.ts';

/** The fiat currencies the explorer's price endpoints name. */
export const MEMPOOL_CURRENCIES = ['USD', 'EUR', 'GBP', 'CAD', 'CHF', 'AUD', 'JPY'] as const;
/** Rows per answer at most: about 30 years of days, or about 10 weeks of blocks. */
export const MAX_ROWS = 10_000;

const DATE = /^\d{4}-\d{2}-\d{2}$/;

function single(name: string, value: unknown): string | undefined {
  if (value === undefined) return undefined;
  if (Array.isArray(value)) throw badRequest(`${name} is given ${value.length} times; give it once`);
  return String(value).trim();
}

function only(query: Record<string, unknown>, allowed: string[]): void {
  for (const key of Object.keys(query))
    if (!allowed.includes(key) && key !== 'token')
      throw badRequest(`unknown parameter "${key}": this endpoint takes ${allowed.join(', ')}`);
}

function date(name: string, value: string | undefined, fallback: string): string {
  if (value === undefined) return fallback;
  if (!DATE.test(value) || Number.isNaN(Date.parse(`${value}T00:00:00Z`)))
    throw badRequest(`${name}: expected a date like 2024-04-20, got "${value}"`);
  return value;
}

function format(value: string | undefined): 'json' | 'csv' {
  if (value === undefined || value === 'json') return 'json';
  if (value === 'csv') return 'csv';
  throw badRequest(`format: expected json or csv, got "${value}"`);
}

function round(value: number | null, digits: number): number | null {
  if (value === null) return null;
  const f = 10 ** digits;
  return Math.round(value * f) / f;
}

function dayJson(d: DayRow) {
  return {
    date: d.day,
    time: d.start,
    price: round(d.price, 2),
    confidence: round(d.confidence, 4),
    blocks: d.blocks,
    candidates: d.candidates,
    outputs_used: d.outputsUsed,
    transactions: d.transactions,
    first_height: d.firstHeight,
    last_height: d.lastHeight,
  };
}

function blockJson(b: BlockRow) {
  return {
    height: b.height,
    hash: b.hash,
    time: b.time,
    date: b.day,
    price: round(b.price, 2),
    confidence: round(b.confidence, 4),
    candidates: b.candidates,
    outputs_used: b.outputsUsed,
    transactions: b.transactions,
    bytes: b.bytes,
    seed: round(b.seed, 2),
  };
}

function csv(reply: FastifyReply, name: string, text: string): string {
  reply.type('text/csv; charset=utf-8').header('content-disposition', `attachment; filename="${name}.csv"`);
  return text;
}

function mempoolRow(time: number, usd: number | null): Record<string, number> {
  const row: Record<string, number> = { time };
  for (const c of MEMPOOL_CURRENCIES) row[c] = c === 'USD' && usd !== null ? Math.round(usd) : -1;
  return row;
}

/** The history routes' paths. */
export const HISTORY_PATHS = [
  '/api/v1/history/daily',
  '/api/v1/history/blocks',
  '/api/v1/prices',
  '/api/v1/historical-price',
] as const;

/** Why a server keeps no history, when no one says otherwise. */
export const NO_HISTORY_FLAG = 'it was started with --no-history';

/** A server with no history database (--no-history, a full disk at start): the history routes answer 503 saying why. */
export function historyUnavailableRoutes(app: FastifyInstance, why = NO_HISTORY_FLAG): void {
  for (const path of HISTORY_PATHS) {
    app.get(path, async () => {
      throw new ApiError(
        503,
        'history_unavailable',
        why === NO_HISTORY_FLAG
          ? `this server keeps no history (${why}): restart it without --no-history to serve the chain price history`
          : `this server keeps no history (${why})`,
      );
    });
  }
}

export function historyRoutes(
  app: FastifyInstance,
  tables: HistoryTables,
  source: 'node' | 'demo' = 'node',
): void {
  app.addHook('onSend', async (request, reply) => {
    const path = request.url.split('?')[0];
    if ((HISTORY_PATHS as readonly string[]).includes(path)) reply.header('x-chainprice-source', source);
  });

  app.get('/api/v1/history/daily', async (request, reply) => {
    const q = request.query as Record<string, unknown>;
    only(q, ['from', 'to', 'format']);
    const from = date('from', single('from', q.from), '0000-01-01');
    const to = date('to', single('to', q.to), '9999-12-31');
    if (from > to) throw badRequest(`from (${from}) is after to (${to})`);
    const rows = tables.days(from, to).slice(0, MAX_ROWS);
    if (format(single('format', q.format)) === 'csv')
      return csv(reply, `chainprice-daily-${from}-${to}`, daysCsv(rows));
    return { source, days: rows.map(dayJson) };
  });

  app.get('/api/v1/history/blocks', async (request, reply) => {
    const q = request.query as Record<string, unknown>;
    only(q, ['from', 'to', 'format']);
    const bound = (name: string, fallback: number, end: boolean): { height?: number; time?: number } => {
      const v = single(name, q[name]);
      if (v === undefined) return { height: fallback };
      if (/^\d{1,9}$/.test(v)) return { height: Number(v) };
      const d = date(name, v, '');
      const start = Date.parse(`${d}T00:00:00Z`) / 1000;
      return { time: end ? start + 86_399 : start };
    };
    const lo = bound('from', 0, false);
    const hi = bound('to', 999_999_999, true);
    let rows: BlockRow[];
    if (lo.height !== undefined && hi.height !== undefined)
      rows = tables.blocksByHeight(lo.height, hi.height, MAX_ROWS);
    else {
      const all = tables.blocksByTime(
        lo.time ?? 0,
        hi.time ?? Number.MAX_SAFE_INTEGER,
        Number.MAX_SAFE_INTEGER,
      );
      rows = all
        .filter((b) => b.height >= (lo.height ?? 0) && b.height <= (hi.height ?? Infinity))
        .slice(0, MAX_ROWS);
    }
    if (format(single('format', q.format)) === 'csv') return csv(reply, 'chainprice-blocks', blocksCsv(rows));
    return { source, blocks: rows.map(blockJson), truncated: rows.length === MAX_ROWS };
  });

  app.get('/api/v1/prices', async () => {
    const latest = tables.latestBlock();
    if (latest === null)
      throw new ApiError(503, 'history_empty', 'no block is priced yet: run "chainprice history build"');
    return mempoolRow(latest.time, latest.price);
  });

  app.get('/api/v1/historical-price', async (request) => {
    const q = request.query as Record<string, unknown>;
    only(q, ['currency', 'timestamp']);
    const currency = (single('currency', q.currency) ?? 'USD').toUpperCase();
    if (!(MEMPOOL_CURRENCIES as readonly string[]).includes(currency))
      throw badRequest(`currency: expected one of ${MEMPOOL_CURRENCIES.join(', ')}, got "${currency}"`);
    const stamp = single('timestamp', q.timestamp);
    let days: DayRow[];
    if (stamp === undefined) days = tables.days('0000-01-01', '9999-12-31').filter((d) => d.price !== null);
    else {
      if (!/^\d{1,12}$/.test(stamp)) throw badRequest(`timestamp: expected Unix seconds, got "${stamp}"`);
      const day = tables.dayAt(Number(stamp));
      days = day === null ? [] : [day];
    }
    const exchangeRates: Record<string, number> = {};
    for (const c of MEMPOOL_CURRENCIES) if (c !== 'USD') exchangeRates[`USD${c}`] = -1;
    return { prices: days.map((d) => mempoolRow(d.start, d.price)), exchangeRates };
  });
}
