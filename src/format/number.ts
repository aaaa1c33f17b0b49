// Numbers for people, in the service's own lines ("12,345 transactions", "$52,238.75"), without
// Intl: the first toLocaleString() pages in part of the ICU data built into the node binary,
// resident memory a long-running service would keep for a log line (docs/memory.md). The commands
// that run once and exit may use toLocaleString freely.
// In: a finite number and how many decimals. Out: digits grouped by commas, "-" for negatives.

/** `n` with `decimals` decimals (rounded like toFixed) and its integer part grouped by thousands. */
export function grouped(n: number, decimals = 0): string {
  if (!Number.isFinite(n)) return String(n);
  const fixed = Math.abs(n).toFixed(decimals);
  const dot = fixed.indexOf('.');
  const whole = dot === -1 ? fixed : fixed.slice(0, dot);
  const fraction = dot === -1 ? '' : fixed.slice(dot);
  let out = '';
  for (let end = whole.length; end > 0; end -= 3) {
    const start = Math.max(0, end - 3);
    out = out === '' ? whole.slice(start, end) : `${whole.slice(start, end)},${out}`;
  }
  return `${n < 0 && Number(fixed) !== 0 ? '-' : ''}${out}${fraction}`;
}
