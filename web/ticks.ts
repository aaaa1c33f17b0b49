// Axis ticks a person can read: prices at 1-2-5 steps, times at whole minutes and hours of the
// reader's clock. In: the axis range and how many ticks fit. Out: the tick values and their step.
// Pure.

export interface Ticks {
  step: number;
  values: number[];
}

/** Ticks at multiples of 1, 2 or 5 × 10^k, at most `maxCount` of them, inside [min, max]. */
export function niceTicks(min: number, max: number, maxCount: number): Ticks {
  if (!(max > min) || !Number.isFinite(min) || !Number.isFinite(max) || maxCount < 1) {
    return { step: 0, values: Number.isFinite(min) ? [min] : [] };
  }
  const rough = (max - min) / maxCount;
  const power = 10 ** Math.floor(Math.log10(rough));
  let step = 10 * power;
  for (const m of [1, 2, 5]) {
    if (m * power >= rough) {
      step = m * power;
      break;
    }
  }
  const values: number[] = [];
  const first = Math.ceil(min / step - 1e-9);
  const last = Math.floor(max / step + 1e-9);
  for (let i = first; i <= last; i++) values.push(roundTo(i * step, step));
  return { step, values };
}

function roundTo(value: number, step: number): number {
  const digits = Math.max(0, -Math.floor(Math.log10(step)));
  return Number(value.toFixed(Math.min(20, digits)));
}

/** Time steps the axis may use, in seconds: whole seconds, minutes and hours a clock shows. */
const TIME_STEPS = [
  1, 2, 5, 10, 15, 30, 60, 120, 300, 600, 900, 1800, 3600, 7200, 10800, 21600, 43200, 86400,
];

/**
 * Ticks on a time axis (Unix seconds) at round local clock times, at most `maxCount` of them.
 * `utcOffsetSeconds` is the reader's offset east of UTC (e.g. +3600 for UTC+1).
 */
export function timeTicks(min: number, max: number, maxCount: number, utcOffsetSeconds: number): Ticks {
  if (!(max > min) || maxCount < 1) return { step: 0, values: [] };
  const rough = (max - min) / maxCount;
  const step = TIME_STEPS.find((s) => s >= rough) ?? Math.ceil(rough / 86400) * 86400;
  const values: number[] = [];
  const first = Math.ceil((min + utcOffsetSeconds) / step) * step - utcOffsetSeconds;
  for (let t = first; t <= max; t += step) values.push(t);
  return { step, values };
}
