// The era of a window: payment habits in dollar terms drift over the years (fees, wallets, what
// bitcoin is used for), so the comb's weights and the typical payment size are measured per year
// and a window is judged with its own year's. In: a Unix time (the chain's clock: a block's header
// time, a transaction's first-seen time), never market data. Out: the comb of the nearest year.
//
//   2012 ── 2013 ── … ── 2024 ── 2025 ── 2026        one comb per year, each calibrated on every
//    ▲                             ▲                  dev block weighted by exp(−|Δyears| / 2):
//    before the first: the first   after the last: the last (today's habits hold until measured)

import type { Comb, CombModel } from './comb-model.ts';

const SECONDS_PER_YEAR = 365.25 * 86_400;

/**
 * A dev block counts for an era with weight exp(−|Δyears| / ERA_KERNEL_YEARS). Two years: on the
 * leave-one-day-out evaluation one year follows noise (a single block's habits), eight years is
 * the era-free comb again; two reads the 2024 blocks' decade and keeps 2016's.
 */
export const ERA_KERNEL_YEARS = 2;

/** The calendar year as a real number (2024.5 is mid-2024) of a Unix time. */
export function yearOf(time: number): number {
  return 1970 + time / SECONDS_PER_YEAR;
}

/** The weight of a sample taken at `sampleYear` in the era of `eraYear`. */
export function eraWeight(sampleYear: number, eraYear: number): number {
  return Math.exp(-Math.abs(sampleYear - eraYear) / ERA_KERNEL_YEARS);
}

/**
 * The comb for a window at `time`: the era nearest to its year. Without a time, or for a model
 * without eras, the era-free comb (every dev block pooled) and no typical payment size.
 */
export function combAt(model: CombModel, time?: number | null): Comb {
  const eras = model.eras;
  if (eras === undefined || eras.length === 0 || typeof time !== 'number' || !Number.isFinite(time))
    return { amounts: model.amounts, year: null, typicalPaymentLog10Usd: null };
  const year = yearOf(time);
  let best = eras[0];
  for (const era of eras) if (Math.abs(era.year - year) < Math.abs(best.year - year)) best = era;
  return best;
}
