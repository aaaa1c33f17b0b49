// Which estimates may seed a later search. A seed narrows the comb search to ±30 % around it, so
// a wrong seed would hold the live estimate on a wrong price: only a confident estimate seeds.

import type { Estimate } from './estimator.ts';

/** On the eval's calibration table no estimate at or above this confidence was off by more than 2 %. */
export const MIN_SEED_CONFIDENCE = 0.5;

/** The estimate's price when it is sure enough to seed with, else null. */
export function seedPrice(estimate: Estimate | null): number | null {
  return estimate?.ok && estimate.confidence >= MIN_SEED_CONFIDENCE ? estimate.price : null;
}
