// Confidence in words. In: the estimator's confidence in [0, 1]. Out: a word a reader can act on
// and a level name the page styles (colour of the meter and the badge). Pure.

export type ConfidenceLevel = 'high' | 'medium' | 'low' | 'very-low';

/** At or above this the estimate is what the chain clearly says: a solid comb, many points, tight cloud. */
const HIGH_FROM = 0.75;
/** At or above this the estimate is usable but worth a second look at the chart. */
const MEDIUM_FROM = 0.5;
/** At or above this there is a signal, but a thin or ambiguous one; below it the number is a guess. */
const LOW_FROM = 0.25;

export function confidenceLevel(confidence: number): ConfidenceLevel {
  if (confidence >= HIGH_FROM) return 'high';
  if (confidence >= MEDIUM_FROM) return 'medium';
  if (confidence >= LOW_FROM) return 'low';
  return 'very-low';
}

export function confidenceWords(confidence: number): string {
  switch (confidenceLevel(confidence)) {
    case 'high':
      return 'high confidence';
    case 'medium':
      return 'medium confidence';
    case 'low':
      return 'low confidence';
    default:
      return 'very low confidence';
  }
}
