// The evaluation protocol's arithmetic (../shared/notes/estimator.md, "How we judge it"): per-block
// results in, summaries out: coverage, median / p90 / max error, shares within 1, 2 and 5 %, by
// mode, era and candidate count; a calibration table (confidence bucket → error); the targets.

import type { Estimate } from '../oracle/estimator.ts';

export interface EvalRow {
  label: string;
  height: number;
  time: number;
  source: string;
  candidates: number;
  reference: number | null;
  seed: number | null;
  dayLow: number | null;
  dayHigh: number | null;
  mode: 'cold' | 'seeded';
  estimate: Estimate;
}

export interface Summary {
  blocks: number;
  estimates: number;
  coverage: number;
  median: number | null;
  p90: number | null;
  max: number | null;
  within1: number | null;
  within2: number | null;
  within5: number | null;
}

/** |estimate − reference| / reference, or null when there is no estimate or no reference. */
export function errorOf(row: EvalRow): number | null {
  if (!row.estimate.ok || row.reference === null) return null;
  return Math.abs(row.estimate.price - row.reference) / row.reference;
}

/** Whether the estimate lies inside the day's low–high range (null when unknown). */
export function inDayRange(row: EvalRow): boolean | null {
  if (!row.estimate.ok || row.dayLow === null || row.dayHigh === null) return null;
  return row.estimate.price >= row.dayLow && row.estimate.price <= row.dayHigh;
}

/** The q-quantile (0..1) of ascending values, nearest rank. */
export function quantile(sorted: readonly number[], q: number): number {
  const i = Math.min(sorted.length - 1, Math.max(0, Math.ceil(q * sorted.length) - 1));
  return sorted[i];
}

/** Summary over rows with a reference price; blocks without an estimate count against coverage only. */
export function summarize(rows: readonly EvalRow[]): Summary {
  const judged = rows.filter((r) => r.reference !== null);
  const errors = judged
    .map(errorOf)
    .filter((e): e is number => e !== null)
    .sort((a, b) => a - b);
  const share = (limit: number) =>
    errors.length ? errors.filter((e) => e <= limit).length / errors.length : null;
  return {
    blocks: judged.length,
    estimates: errors.length,
    coverage: judged.length ? errors.length / judged.length : 0,
    median: errors.length ? quantile(errors, 0.5) : null,
    p90: errors.length ? quantile(errors, 0.9) : null,
    max: errors.length ? errors[errors.length - 1] : null,
    within1: share(0.01),
    within2: share(0.02),
    within5: share(0.05),
  };
}

/** Era of a block by its year, in two-year steps. */
export function eraOf(time: number): string {
  const year = new Date(time * 1000).getUTCFullYear();
  const start = year - ((year - 2010) % 2);
  return `${start}–${start + 1}`;
}

export const CANDIDATE_GROUPS: readonly { name: string; min: number; max: number }[] = [
  { name: '< 300', min: 0, max: 299 },
  { name: '300–999', min: 300, max: 999 },
  { name: '1,000–2,999', min: 1000, max: 2999 },
  { name: '≥ 3,000', min: 3000, max: Number.POSITIVE_INFINITY },
];

export function candidateGroupOf(candidates: number): string {
  return CANDIDATE_GROUPS.find((g) => candidates >= g.min && candidates <= g.max)!.name;
}

export const CONFIDENCE_BUCKETS: readonly { name: string; min: number; max: number }[] = [
  { name: '0.0–0.2', min: 0, max: 0.2 },
  { name: '0.2–0.5', min: 0.2, max: 0.5 },
  { name: '0.5–0.8', min: 0.5, max: 0.8 },
  { name: '0.8–1.0', min: 0.8, max: 1.0001 },
];

export interface CalibrationLine {
  bucket: string;
  estimates: number;
  medianError: number | null;
  within2: number | null;
  maxError: number | null;
}

export function calibrationTable(rows: readonly EvalRow[]): CalibrationLine[] {
  return CONFIDENCE_BUCKETS.map((b) => {
    const errors = rows
      .filter((r) => r.estimate.ok && r.estimate.confidence >= b.min && r.estimate.confidence < b.max)
      .map(errorOf)
      .filter((e): e is number => e !== null)
      .sort((x, y) => x - y);
    return {
      bucket: b.name,
      estimates: errors.length,
      medianError: errors.length ? quantile(errors, 0.5) : null,
      within2: errors.length ? errors.filter((e) => e <= 0.02).length / errors.length : null,
      maxError: errors.length ? errors[errors.length - 1] : null,
    };
  });
}

export interface TargetCheck {
  name: string;
  value: string;
  pass: boolean;
}

/** Blocks the accuracy targets apply to. */
export const TARGET_MIN_CANDIDATES = 1000;
/** Blocks this small must not give a confident number. */
export const TINY_MAX_CANDIDATES = 300;
/** The adversarial BRC-20 block. */
export const ADVERSARIAL_HEIGHTS: readonly number[] = [831802];

const pct = (x: number | null) => (x === null ? 'n/a' : `${(x * 100).toFixed(2)} %`);

/** The targets (issue 10), checked on the rows of both modes. */
export function checkTargets(rows: readonly EvalRow[]): TargetCheck[] {
  const checks: TargetCheck[] = [];
  const big = rows.filter(
    (r) => r.source !== 'pooled' && r.candidates >= TARGET_MIN_CANDIDATES && r.reference !== null,
  );
  const seeded = summarize(big.filter((r) => r.mode === 'seeded'));
  const cold = summarize(big.filter((r) => r.mode === 'cold'));
  const within2Of = (s: Summary) => (s.blocks ? (s.within2 ?? 0) * s.coverage : null);
  if (seeded.blocks > 0) {
    checks.push({
      name: `seeded median error ≤ 0.5 % (${seeded.blocks} blocks ≥ ${TARGET_MIN_CANDIDATES} candidates)`,
      value: pct(seeded.median),
      pass: seeded.median !== null && seeded.median <= 0.005 && seeded.coverage === 1,
    });
    checks.push({
      name: 'seeded: ≥ 90 % of those blocks within 2 %',
      value: pct(within2Of(seeded)),
      pass: (within2Of(seeded) ?? 0) >= 0.9,
    });
  }
  if (cold.blocks > 0)
    checks.push({
      name: `cold: ≥ 90 % of those blocks within 2 % (${cold.blocks} blocks)`,
      value: pct(within2Of(cold)),
      pass: (within2Of(cold) ?? 0) >= 0.9,
    });
  const pooled = rows.filter(
    (r) =>
      r.source === 'pooled' && r.mode === 'cold' && r.reference !== null && eraOf(r.time) === '2024–2025',
  );
  if (pooled.length > 0) {
    const off = pooled.filter((r) => !((errorOf(r) ?? Number.POSITIVE_INFINITY) <= 0.01));
    checks.push({
      name: `pooled windows of consecutive 2024 blocks, cold: within 1 % (${pooled.length} windows)`,
      value: off.length
        ? `off: ${off.map((r) => r.label).join(', ')}`
        : `all, worst ${pct(Math.max(...pooled.map((r) => errorOf(r)!)))}`,
      pass: off.length === 0,
    });
  }
  const confidentWrong = rows.filter(
    (r) => r.estimate.ok && r.estimate.confidence >= 0.5 && (errorOf(r) ?? 0) > 0.05,
  );
  checks.push({
    name: 'no estimate with confidence ≥ 0.5 off by > 5 % (any block or window, both modes)',
    value: confidentWrong.length ? confidentWrong.map((r) => `${r.label}/${r.mode}`).join(', ') : 'none',
    pass: confidentWrong.length === 0,
  });
  const quiet = rows.filter(
    (r) => r.candidates < TINY_MAX_CANDIDATES || ADVERSARIAL_HEIGHTS.includes(r.height),
  );
  const loud = quiet.filter((r) => r.estimate.ok && r.estimate.confidence >= 0.2);
  checks.push({
    name: `BRC-20 block and blocks < ${TINY_MAX_CANDIDATES} candidates: no estimate or confidence < 0.2`,
    value: loud.length ? loud.map((r) => `${r.label}/${r.mode}`).join(', ') : `all ${quiet.length} quiet`,
    pass: loud.length === 0,
  });
  return checks;
}
