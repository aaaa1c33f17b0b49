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

export interface CombModel {
  /** Ascending by usd (combModelFrom sorts them). */
  amounts: CombAmount[];
  /** How the weights were measured: data, date, command (free-form, for people). */
  provenance?: Record<string, unknown>;
}

/** Checks a parsed JSON comb model; throws an Error saying what is wrong. */
export function combModelFrom(json: unknown): CombModel {
  if (typeof json !== 'object' || json === null) throw new Error('comb model: not a JSON object');
  const amounts = (json as { amounts?: unknown }).amounts;
  if (!Array.isArray(amounts) || amounts.length === 0)
    throw new Error('comb model: "amounts" must be a non-empty list');
  const out: CombAmount[] = [];
  for (const [i, a] of amounts.entries()) {
    const usd = (a as { usd?: unknown })?.usd;
    const weight = (a as { weight?: unknown })?.weight;
    if (typeof usd !== 'number' || !Number.isFinite(usd) || usd <= 0)
      throw new Error(`comb model: amounts[${i}].usd must be a positive number`);
    if (typeof weight !== 'number' || !Number.isFinite(weight) || weight <= 0)
      throw new Error(`comb model: amounts[${i}].weight must be a positive number`);
    out.push({ usd, weight });
  }
  out.sort((a, b) => a.usd - b.usd);
  for (let i = 1; i < out.length; i++) {
    if (out[i].usd === out[i - 1].usd) throw new Error(`comb model: amount $${out[i].usd} appears twice`);
  }
  const provenance = (json as { provenance?: unknown }).provenance;
  return {
    amounts: out,
    provenance:
      typeof provenance === 'object' && provenance !== null
        ? (provenance as Record<string, unknown>)
        : undefined,
  };
}

/** The model committed with the code. */
export const DEFAULT_COMB_MODEL: CombModel = combModelFrom(calibrated);
