// Measuring the comb: how popular each round dollar amount is. In: histograms of candidate outputs
// with the true price of each (real blocks and their exchange price). Out: per amount, the excess
// of outputs at U / price over the local background (tooth.ts), pooled over all samples, and the
// comb model made of the amounts whose excess is statistically clear.
//
// Nothing here is chosen by hand but the list of amounts to try (every "round" number a person
// might type, from $0.10 to $90,000) and the significance a weight needs to be kept.

import type { CombEra, CombModel } from '../oracle/comb-model.ts';
import { eraWeight, yearOf } from '../oracle/era.ts';
import { shiftOfPrice, usdPosition } from '../oracle/log-scale.ts';
import { medianLog10Sats } from '../oracle/payment-size.ts';
import { CumulativeCounts, measureTooth, type ToothCounts } from '../oracle/tooth.ts';

/** Leading digits a person picks when typing a round amount. */
const ROUND_MANTISSAS = [1, 1.5, 2, 2.5, 3, 4, 5, 6, 7, 7.5, 8, 9];
/** Decades tried: $0.10 … $90,000 (outside, no dev block has enough outputs to measure). */
const ROUND_DECADES = [-1, 0, 1, 2, 3, 4];

/** Every amount the calibration tries, ascending. */
export const CANDIDATE_AMOUNTS_USD: readonly number[] = ROUND_DECADES.flatMap((k) =>
  ROUND_MANTISSAS.map((m) => Number((m * 10 ** k).toPrecision(6))),
).sort((a, b) => a - b);

/**
 * An amount joins the comb when its pooled excess is at least this many standard deviations of
 * the background count (Poisson): three keeps chance bumps out (a 1-in-700 event per amount).
 */
export const MIN_AMOUNT_Z = 3;

export interface CalibrationSample {
  label: string;
  counts: Int32Array;
  /** The true price (USD per BTC) for these outputs. */
  price: number;
  /** When the outputs were made (Unix seconds: the block's time); needed for eras. */
  time?: number;
}

/** A sample needs this many candidate outputs for its median to say where payments sit. */
export const TYPICAL_PAYMENT_MIN_OUTPUTS = 300;

export interface AmountMeasurement {
  usd: number;
  /** Outputs under the tooth, summed over samples. */
  peak: number;
  /** Outputs the local background puts under the tooth, summed over samples. */
  background: number;
  /** peak − background. */
  excess: number;
  /** excess / √background: how clear the excess is. */
  z: number;
  /** Candidate outputs of the samples in which the tooth could be measured. */
  outputs: number;
  /** excess / outputs: the comb weight. */
  weight: number;
}

/** Pooled measurements of `amounts` at each sample's price; `weights` (one per sample) weigh them. */
export function measureAmounts(
  samples: readonly CalibrationSample[],
  amounts: readonly number[] = CANDIDATE_AMOUNTS_USD,
  weights?: readonly number[],
): AmountMeasurement[] {
  return measureTeeth(
    samples,
    amounts,
    (usd, sample) => usdPosition(usd) - shiftOfPrice(sample.price),
    weights,
  );
}

/** Pooled tooth measurements of `amounts`, each placed in each sample by `place` (NaN: skip). */
function measureTeeth(
  samples: readonly CalibrationSample[],
  amounts: readonly number[],
  place: (amount: number, sample: CalibrationSample) => number,
  weights?: readonly number[],
): AmountMeasurement[] {
  const cums = samples.map((s) => new CumulativeCounts(s.counts));
  const tooth: ToothCounts = { peak: 0, background: 0 };
  return amounts.map((usd) => {
    let peak = 0;
    let background = 0;
    let outputs = 0;
    for (let i = 0; i < samples.length; i++) {
      const x = place(usd, samples[i]);
      if (Number.isNaN(x) || !measureTooth(cums[i], x, tooth)) continue;
      const w = weights === undefined ? 1 : weights[i];
      peak += w * tooth.peak;
      background += w * tooth.background;
      outputs += w * cums[i].total;
    }
    const excess = peak - background;
    return {
      usd,
      peak,
      background,
      excess,
      z: excess / Math.sqrt(Math.max(background, 1)),
      outputs,
      weight: outputs > 0 ? excess / outputs : 0,
    };
  });
}

/** The comb: the measured amounts with a clear positive excess, weighted by it. */
export function combFromMeasurements(
  measurements: readonly AmountMeasurement[],
  minZ = MIN_AMOUNT_Z,
): { amounts: CombModel['amounts'] } {
  return {
    amounts: measurements
      .filter((m) => m.z >= minZ && m.weight > 0)
      .map((m) => ({ usd: m.usd, weight: Number(m.weight.toPrecision(4)) })),
  };
}

/**
 * Measures the amounts on `samples` and makes the comb of them: the era-free comb, and one per year
 * when every sample has a time.
 */
export function calibrateComb(samples: readonly CalibrationSample[]): {
  model: CombModel;
  measurements: AmountMeasurement[];
} {
  const measurements = measureAmounts(samples);
  const model: CombModel = combFromMeasurements(measurements);
  if (samples.length > 0 && samples.every((s) => typeof s.time === 'number'))
    model.eras = calibrateEras(samples);
  return { model, measurements };
}

/** The year of a sample; eras need every sample's time. */
function sampleYear(sample: CalibrationSample): number {
  if (typeof sample.time !== 'number' || !Number.isFinite(sample.time))
    throw new Error(`calibration: sample ${sample.label} has no time (eras need one)`);
  return yearOf(sample.time);
}

/**
 * The comb of one year: every sample weighted by how near its year is (era.ts), the amounts with
 * a clear weighted excess, and the weighted mean of the samples' median payments (log10 USD).
 */
export function calibrateEra(samples: readonly CalibrationSample[], year: number): CombEra {
  const weights = samples.map((s) => eraWeight(sampleYear(s), year));
  const { amounts } = combFromMeasurements(measureAmounts(samples, CANDIDATE_AMOUNTS_USD, weights));
  let weightSum = 0;
  let typicalSum = 0;
  for (const [i, s] of samples.entries()) {
    const total = s.counts.reduce((a, b) => a + b, 0);
    if (total < TYPICAL_PAYMENT_MIN_OUTPUTS) continue;
    const median = medianLog10Sats(s.counts, total) - 8 + Math.log10(s.price);
    weightSum += weights[i];
    typicalSum += weights[i] * median;
  }
  if (!(weightSum > 0))
    throw new Error(`calibration: no sample has ${TYPICAL_PAYMENT_MIN_OUTPUTS} candidate outputs`);
  return { year, amounts, typicalPaymentLog10Usd: Number((typicalSum / weightSum).toFixed(4)) };
}

/**
 * One comb per year from the first sample's year to the last's. Before and after, the nearest
 * era holds (era.ts): past the last sample every later year would weigh the samples alike anyway.
 */
export function calibrateEras(samples: readonly CalibrationSample[]): CombEra[] {
  const years = samples.map(sampleYear);
  const first = Math.round(Math.min(...years));
  const last = Math.round(Math.max(...years));
  const eras: CombEra[] = [];
  for (let year = first; year <= last; year++) eras.push(calibrateEra(samples, year));
  return eras;
}
