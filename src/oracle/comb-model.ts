// The comb: the round dollar amounts people pay and how popular each one is.
// In: the calibrated JSON (comb-model.json, written by `chainprice calibrate`). Out: a validated
// CombModel. The weight of an amount is its measured excess: how many more outputs than the local
// background sit at that amount, per candidate output (calibration.ts).

import calibrated from './comb-model.json' with { type: 'json' };

export interface CombAmount {
  /** The round amount in US dollars. */
  usd: number;
  /** Expected extra outputs at this amount per candidate output (e.g. 0.004: 4 per 1,000). */
  weight: number;
}

/** What a search needs of a comb: its amounts and weights (a CombModel, an era's Comb). */
export interface CombAmounts {
  readonly amounts: readonly CombAmount[];
}

/** One comb: the amounts a search slides along the histogram, and where payments sit. */
export interface Comb {
  /** Ascending by usd. */
  amounts: CombAmount[];
  /** The year these weights were measured for (era.ts), or null for the era-free comb. */
  year: number | null;
  /** The era's typical payment: median candidate output, log10 USD (payment-size.ts); null: unknown. */
  typicalPaymentLog10Usd: number | null;
}

/** The comb measured for one year (era.ts). */
export interface CombEra extends Comb {
  year: number;
  typicalPaymentLog10Usd: number;
}

export interface CombModel {
  /** The era-free comb, every dev block pooled. Ascending by usd (combModelFrom sorts them). */
  amounts: CombAmount[];
  /** One comb per year, ascending (era.ts picks the window's); absent in hand-made models. */
  eras?: CombEra[];
  /** How the weights were measured: data, date, command (free-form, for people). */
  provenance?: Record<string, unknown>;
}

function amountsFrom(amounts: unknown, where: string): CombAmount[] {
  if (!Array.isArray(amounts) || amounts.length === 0)
    throw new Error(`comb model: "${where}" must be a non-empty list`);
  const out: CombAmount[] = [];
  for (const [i, a] of amounts.entries()) {
    const usd = (a as { usd?: unknown })?.usd;
    const weight = (a as { weight?: unknown })?.weight;
    if (typeof usd !== 'number' || !Number.isFinite(usd) || usd <= 0)
      throw new Error(`comb model: ${where}[${i}].usd must be a positive number`);
    if (typeof weight !== 'number' || !Number.isFinite(weight) || weight <= 0)
      throw new Error(`comb model: ${where}[${i}].weight must be a positive number`);
    out.push({ usd, weight });
  }
  out.sort((a, b) => a.usd - b.usd);
  for (let i = 1; i < out.length; i++) {
    if (out[i].usd === out[i - 1].usd)
      throw new Error(`comb model: amount $${out[i].usd} appears twice in "${where}"`);
  }
  return out;
}

function erasFrom(eras: unknown): CombEra[] | undefined {
  if (eras === undefined) return undefined;
  if (!Array.isArray(eras)) throw new Error('comb model: "eras" must be a list');
  const out = eras.map((e, i): CombEra => {
    const year = (e as { year?: unknown })?.year;
    const typical = (e as { typicalPaymentLog10Usd?: unknown })?.typicalPaymentLog10Usd;
    if (typeof year !== 'number' || !Number.isInteger(year))
      throw new Error(`comb model: eras[${i}].year must be a whole year`);
    if (typeof typical !== 'number' || !Number.isFinite(typical))
      throw new Error(`comb model: eras[${i}].typicalPaymentLog10Usd must be a number`);
    return {
      year,
      typicalPaymentLog10Usd: typical,
      amounts: amountsFrom((e as { amounts?: unknown }).amounts, `eras[${i}].amounts`),
    };
  });
  out.sort((a, b) => a.year - b.year);
  return out;
}

/** Checks a parsed JSON comb model; throws an Error saying what is wrong. */
export function combModelFrom(json: unknown): CombModel {
  if (typeof json !== 'object' || json === null) throw new Error('comb model: not a JSON object');
  const out = amountsFrom((json as { amounts?: unknown }).amounts, 'amounts');
  const eras = erasFrom((json as { eras?: unknown }).eras);
  const provenance = (json as { provenance?: unknown }).provenance;
  return {
    amounts: out,
    ...(eras === undefined ? {} : { eras }),
    provenance:
      typeof provenance === 'object' && provenance !== null
        ? (provenance as Record<string, unknown>)
        : undefined,
  };
}

/** The model committed with the code. */
export const DEFAULT_COMB_MODEL: CombModel = combModelFrom(calibrated);
