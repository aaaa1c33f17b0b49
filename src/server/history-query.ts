// Reads the query of `GET /api/v1/history?from=&to=&step=` into a checked HistoryQuery (pure).
// from/to: Unix seconds (`1714521600`) or an ISO 8601 date or date-time (`2024-05-01`, `2024-05-01T12:00:00Z`).
// step: seconds (`300`) or with a unit (`30s`, `5m`, `1h`, `1d`). Every bad value throws a 400 ApiError
// whose message names the parameter and what was expected.

import { badRequest } from '../errors.ts';
import type { HistoryQuery } from '../live/readers.ts';

/** Without `from`, the history covers the last day: what a chart opened without arguments wants to show. */
export const DEFAULT_HISTORY_SPAN_SECONDS = 86_400;
/** Without `step`, about this many points: enough to draw a smooth line across a wide chart. */
export const DEFAULT_HISTORY_POINTS = 720;
/** Estimates are stored at most about once a minute, so a default step finer than that only repeats points. */
export const MIN_DEFAULT_STEP_SECONDS = 60;
/** A cap on one answer's size (about 600 kB of JSON), so one request cannot make the server build megabytes. */
export const MAX_HISTORY_POINTS = 10_000;

const KNOWN_PARAMETERS = new Set(['from', 'to', 'step', 'token']);
const UNIT_SECONDS: Record<string, number> = { s: 1, m: 60, h: 3_600, d: 86_400 };
const ISO_DATE = /^\d{4}-\d{2}-\d{2}([T ]\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:?\d{2})?)?$/;
/** 2009-01-03, the genesis block: nothing to ask for before it. */
const EARLIEST = 1_230_940_800;
/** Year 3000: anything later is a typo (milliseconds instead of seconds, most likely). */
const LATEST = 32_503_680_000;

export function parseHistoryQuery(query: Record<string, unknown>, nowSeconds: number): HistoryQuery {
  for (const key of Object.keys(query)) {
    if (!KNOWN_PARAMETERS.has(key)) {
      throw badRequest(`unknown parameter "${key}": history takes from, to and step`);
    }
  }
  const to = query.to === undefined ? nowSeconds : parseTime('to', query.to);
  const from = query.from === undefined ? to - DEFAULT_HISTORY_SPAN_SECONDS : parseTime('from', query.from);
  if (from >= to) throw badRequest(`from (${from}) must be before to (${to})`);
  const span = to - from;
  const step =
    query.step === undefined
      ? Math.max(MIN_DEFAULT_STEP_SECONDS, Math.ceil(span / DEFAULT_HISTORY_POINTS))
      : parseStep(query.step);
  const points = Math.ceil(span / step);
  if (points > MAX_HISTORY_POINTS) {
    throw badRequest(
      `from..to at step ${step}s is ${points} points, more than ${MAX_HISTORY_POINTS}: raise step or narrow the range`,
    );
  }
  return { from, to, step };
}

function single(name: string, value: unknown): string {
  if (Array.isArray(value)) throw badRequest(`${name} is given ${value.length} times; give it once`);
  return String(value).trim();
}

function parseTime(name: string, raw: unknown): number {
  const text = single(name, raw);
  let seconds: number;
  if (/^\d+(\.\d+)?$/.test(text)) seconds = Number(text);
  else if (ISO_DATE.test(text)) seconds = Date.parse(text.length === 10 ? `${text}T00:00:00Z` : text) / 1000;
  else seconds = Number.NaN;
  if (!Number.isFinite(seconds)) {
    throw badRequest(`${name}: expected Unix seconds or an ISO 8601 date like 2024-05-01, got "${text}"`);
  }
  if (seconds < EARLIEST || seconds > LATEST) {
    throw badRequest(`${name}: ${text} is outside 2009-01-03..3000-01-01 (Unix seconds, not milliseconds)`);
  }
  return seconds;
}

function parseStep(raw: unknown): number {
  const text = single('step', raw);
  const match = /^(\d+(?:\.\d+)?)([smhd]?)$/.exec(text);
  const seconds = match === null ? Number.NaN : Number(match[1]) * UNIT_SECONDS[match[2] || 's'];
  if (!Number.isFinite(seconds) || seconds < 1) {
    throw badRequest(`step: expected at least 1 second, like 300, 30s, 5m, 1h or 1d, got "${text}"`);
  }
  return seconds;
}
