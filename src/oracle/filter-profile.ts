// Which transactions and outputs count as payments: a named, documented filter profile.
// In: a parsed transaction (or one output value) and a profile. Out: pass or not.
// This file holds every rule that looks at one transaction alone; candidate-rule.ts applies them
// for the windows, with the parents each window needs for the same-window spend rule.

import type { Transaction } from '../bitcoin/transaction.ts';
import { isRoundBitcoinAmount } from './round-bitcoin.ts';

export interface FilterProfile {
  name: string;
  /** Transactions with more inputs are consolidations, not payments. */
  maxInputs: number;
  /** Exact number of outputs (a payment and its change); null accepts any number. */
  outputCount: number | null;
  /** An input whose serialized witness is larger carries data (inscriptions), not a payment. */
  maxInputWitnessBytes: number;
  excludeCoinbase: boolean;
  /** Drop transactions with an output script starting with OP_RETURN (0x6a): protocol traffic. */
  excludeOpReturn: boolean;
  /** Drop transactions that spend an output of another transaction in the same window. */
  excludeSameWindowSpends: boolean;
  /** Output values outside [minOutputSats, maxOutputSats] are not candidates. */
  minOutputSats: number;
  maxOutputSats: number;
  /** Drop outputs of round bitcoin amounts (round-bitcoin.ts). */
  excludeRoundBitcoin: boolean;
}

/** The product's profile, as the specification states it. */
export const DEFAULT_FILTER_PROFILE: Readonly<FilterProfile> = Object.freeze({
  name: 'payments',
  maxInputs: 5,
  outputCount: 2,
  maxInputWitnessBytes: 500,
  excludeCoinbase: true,
  excludeOpReturn: true,
  excludeSameWindowSpends: true,
  minOutputSats: 1_000, // 10^-5 BTC
  maxOutputSats: 10_000_000_000_000, // 10^5 BTC
  excludeRoundBitcoin: true,
});

const OP_RETURN = 0x6a;

/** Every rule of the profile that needs only the transaction itself. */
export function passesTransactionRules(tx: Transaction, profile: FilterProfile): boolean {
  if (profile.excludeCoinbase && tx.isCoinbase) return false;
  const inputs = tx.inputs;
  if (inputs.length === 0 || inputs.length > profile.maxInputs) return false;
  const outputs = tx.outputs;
  if (profile.outputCount !== null && outputs.length !== profile.outputCount) return false;
  for (let i = 0; i < inputs.length; i++) {
    if (inputs[i].witnessBytes > profile.maxInputWitnessBytes) return false;
  }
  if (profile.excludeOpReturn) {
    for (let i = 0; i < outputs.length; i++) {
      const script = outputs[i].script;
      if (script.length > 0 && script[0] === OP_RETURN) return false;
    }
  }
  return true;
}

/** Whether one output value is a candidate: a safe integer amount inside the range, not round BTC. */
export function isCandidateValue(sats: number, profile: FilterProfile): boolean {
  if (!Number.isSafeInteger(sats)) return false;
  if (sats < profile.minOutputSats || sats > profile.maxOutputSats) return false;
  return !(profile.excludeRoundBitcoin && isRoundBitcoinAmount(sats));
}
