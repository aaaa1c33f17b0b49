// The part of an estimate a block price reports: price, confidence and counts, or why there is none.

import type { Estimate } from './estimator.ts';

export interface EstimateSummary {
  price: number | null;
  confidence: number;
  reason: string | null;
  candidates: number;
  outputsUsed: number;
}

export function summariseEstimate(estimate: Estimate): EstimateSummary {
  return estimate.ok
    ? {
        price: estimate.price,
        confidence: estimate.confidence,
        reason: null,
        candidates: estimate.candidates,
        outputsUsed: estimate.outputsUsed,
      }
    : {
        price: null,
        confidence: 0,
        reason: estimate.reason,
        candidates: estimate.candidates,
        outputsUsed: 0,
      };
}
