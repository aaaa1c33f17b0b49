// Number and time formatting for the page: USD prices with thousands separators in the reader's
// locale, satoshi amounts, times in local and UTC. In: numbers (prices USD/BTC, Unix seconds).
// Out: short strings. Pure (no DOM), so it is unit-tested under Node.

const usdWhole = new Intl.NumberFormat(undefined, {
  style: 'currency',
  currency: 'USD',
  maximumFractionDigits: 0,
});
const integer = new Intl.NumberFormat(undefined, { maximumFractionDigits: 0 });

/** "$97,250" — a price rounded to whole dollars. */
export function formatUsd(value: number): string {
  return usdWhole.format(value);
}

/** A tick label for a price axis whose ticks are `step` apart: no more decimals than the step needs. */
export function formatUsdTick(value: number, step: number): string {
  const decimals = step >= 1 ? 0 : Math.min(2, Math.ceil(-Math.log10(step)));
  return new Intl.NumberFormat(undefined, {
    style: 'currency',
    currency: 'USD',
    minimumFractionDigits: decimals,
    maximumFractionDigits: decimals,
  }).format(value);
}

/** A round USD amount as people say it: "$5", "$100", "$2,500", "$0.50". */
export function formatRoundUsd(usd: number): string {
  if (Number.isInteger(usd)) return usdWhole.format(usd);
  return new Intl.NumberFormat(undefined, { style: 'currency', currency: 'USD' }).format(usd);
}

/** "1,234". */
export function formatCount(n: number): string {
  return integer.format(n);
}

/** An amount of satoshis, switching to BTC from 0.01 BTC up: "12,345 sats", "0.25 BTC". */
export function formatSats(sats: number): string {
  if (sats < 1e6) return `${integer.format(Math.round(sats))} sats`;
  const btc = sats / 1e8;
  return `${new Intl.NumberFormat(undefined, { maximumSignificantDigits: 6 }).format(btc)} BTC`;
}

/** A short label for a power-of-ten amount on a log axis: "1k sats", "0.01 BTC", "10 BTC". */
export function formatSatsDecade(log10Sats: number): string {
  const sats = 10 ** log10Sats;
  if (log10Sats < 3) return `${integer.format(sats)} sats`;
  if (log10Sats < 6) return `${integer.format(sats / 1000)}k sats`;
  return `${new Intl.NumberFormat(undefined, { maximumSignificantDigits: 3 }).format(sats / 1e8)} BTC`;
}

function pad2(n: number): string {
  return n < 10 ? `0${n}` : String(n);
}

/** "14:05" or "14:05:09" in the reader's time zone. */
export function formatLocalTime(unixSeconds: number, withSeconds = false): string {
  const d = new Date(unixSeconds * 1000);
  const hm = `${pad2(d.getHours())}:${pad2(d.getMinutes())}`;
  return withSeconds ? `${hm}:${pad2(d.getSeconds())}` : hm;
}

/** "2025-11-25 14:05:09 UTC". */
export function formatUtcDateTime(unixSeconds: number): string {
  const d = new Date(unixSeconds * 1000);
  const date = `${d.getUTCFullYear()}-${pad2(d.getUTCMonth() + 1)}-${pad2(d.getUTCDate())}`;
  return `${date} ${pad2(d.getUTCHours())}:${pad2(d.getUTCMinutes())}:${pad2(d.getUTCSeconds())} UTC`;
}

/** "2025-11-25 14:05:09" in the reader's time zone. */
export function formatLocalDateTime(unixSeconds: number): string {
  const d = new Date(unixSeconds * 1000);
  const date = `${d.getFullYear()}-${pad2(d.getMonth() + 1)}-${pad2(d.getDate())}`;
  return `${date} ${formatLocalTime(unixSeconds, true)}`;
}

/** "just now", "12 s ago", "3 min ago", "2 h ago". */
export function formatAge(seconds: number): string {
  if (seconds < 2) return 'just now';
  if (seconds < 90) return `${Math.round(seconds)} s ago`;
  if (seconds < 90 * 60) return `${Math.round(seconds / 60)} min ago`;
  return `${Math.round(seconds / 3600)} h ago`;
}

/** "3 h 05 min", "42 min", "15 s" — a duration. */
export function formatDuration(seconds: number): string {
  const s = Math.max(0, Math.round(seconds));
  if (s < 60) return `${s} s`;
  const m = Math.floor(s / 60);
  if (m < 60) return `${m} min`;
  return `${Math.floor(m / 60)} h ${pad2(m % 60)} min`;
}
