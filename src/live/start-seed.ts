// The seed a starting service uses until the chain gives a confident price: the operator's
// --price-hint when given (an explicit word at this start beats a stored one), else the last
// confident live estimate in the history when it is recent enough, else none (a cold search).
// Either is only a start: the first confident block-window price replaces it, and the periodic
// cold check of the live window replaces it when it is wrong (see orchestrator.ts).

import { MIN_SEED_CONFIDENCE } from '../oracle/seed-price.ts';
import type { StartSeed } from './orchestrator.ts';

/**
 * A week. Older prices are not used: bitcoin has moved more than the seeded search's ±30 % in a
 * few weeks, and a service that was down that long may as well start cold (the block window and
 * the cold check find the price within minutes of a start anyway).
 */
export const HISTORY_SEED_MAX_AGE_SECONDS = 7 * 86_400;

export interface ConfidentHistory {
  lastConfidentEstimate(options: {
    minConfidence: number;
    maxAgeSeconds: number;
  }): { timestamp: number; price: number; confidence: number } | null;
}

export function chooseStartSeed(options: {
  hint?: number;
  history?: ConfidentHistory;
  /** Unix seconds, for the age in the detail. */
  now: number;
}): StartSeed | null {
  if (options.hint !== undefined) {
    return {
      price: options.hint,
      source: 'hint',
      detail: `--price-hint $${options.hint.toFixed(2)}, until the chain gives a confident price`,
    };
  }
  const last = options.history?.lastConfidentEstimate({
    minConfidence: MIN_SEED_CONFIDENCE,
    maxAgeSeconds: HISTORY_SEED_MAX_AGE_SECONDS,
  });
  if (!last) return null;
  return {
    price: last.price,
    source: 'history',
    detail: `the history's last confident price $${last.price.toFixed(2)} (confidence ${last.confidence.toFixed(2)}, ${formatAge(options.now - last.timestamp)} old), until the chain gives a confident price`,
  };
}

function formatAge(seconds: number): string {
  const s = Math.max(0, seconds);
  if (s < 120) return `${Math.round(s)} s`;
  if (s < 2 * 3600) return `${Math.round(s / 60)} min`;
  if (s < 2 * 86_400) return `${Math.round(s / 3600)} h`;
  return `${Math.round(s / 86_400)} days`;
}
