// Output lists (CSV, one row per output) as candidate outputs, for blocks we only have as lists:
// the derived lists of ../shared/data/real/derived. In: the CSV text and a filter profile.
// Out: the candidate outputs and what the list could not tell.
// The lists carry each transaction's input and output counts, coinbase and OP_RETURN flags, but
// not witness sizes or the outpoints spent: the witness rule and the same-window spend rule
// cannot be applied, so these blocks keep a few transactions the full filter would drop.

import { CandidateList } from '../oracle/candidate-source.ts';
import type { FilterProfile } from '../oracle/filter-profile.ts';
import { isCandidateValue } from '../oracle/filter-profile.ts';

export interface OutputListBlock {
  height: number | null;
  /** Block time from the list, Unix seconds (0 when the list has no time column). */
  time: number;
  transactions: number;
  candidateTransactions: number;
  candidates: CandidateList;
  /** The profile rules this list could not apply. */
  unchecked: string[];
}

const REQUIRED = ['txid', 'vout', 'value_sats', 'n_inputs', 'n_outputs', 'is_coinbase'];

/** Parses an output CSV; throws an Error naming the first bad line. */
export function candidatesFromOutputList(text: string, profile: FilterProfile): OutputListBlock {
  const lines = text.split(/\r?\n/).filter((l) => l.trim() !== '');
  const header = (lines[0] ?? '').split(',');
  for (const name of REQUIRED)
    if (!header.includes(name)) throw new Error(`the output list has no "${name}" column`);
  const at = (name: string) => header.indexOf(name);
  const [cTxid, cVout, cValue, cIn, cOut, cCoinbase] = REQUIRED.map(at);
  const cOpReturn = at('has_op_return');
  const cType = at('scriptpubkey_type');
  const cTime = at('block_time');
  const cHeight = at('height');

  interface Tx {
    inputs: number;
    outputs: number;
    coinbase: boolean;
    opReturn: boolean;
    values: [number, number][];
  }
  const txs = new Map<string, Tx>();
  let time = 0;
  let height: number | null = null;
  for (let i = 1; i < lines.length; i++) {
    const r = lines[i].split(',');
    const txid = r[cTxid];
    const vout = Number(r[cVout]);
    const value = Number(r[cValue]);
    if (!/^[0-9a-f]{64}$/.test(txid ?? '') || !Number.isInteger(vout) || !Number.isFinite(value))
      throw new Error(`output list line ${i + 1}: expected a txid, a vout and a value`);
    let tx = txs.get(txid);
    if (tx === undefined) {
      tx = {
        inputs: Number(r[cIn]),
        outputs: Number(r[cOut]),
        coinbase: r[cCoinbase] === '1' || r[cCoinbase] === 'true',
        opReturn: false,
        values: [],
      };
      txs.set(txid, tx);
    }
    if (cOpReturn >= 0 && r[cOpReturn] === '1') tx.opReturn = true;
    if (cType >= 0 && r[cType] === 'op_return') tx.opReturn = true;
    tx.values.push([vout, value]);
    if (cTime >= 0) time = Number(r[cTime]) || time;
    if (cHeight >= 0 && height === null) height = Number(r[cHeight]) || null;
  }

  const candidates = new CandidateList();
  let candidateTransactions = 0;
  for (const [txid, tx] of txs) {
    if (profile.excludeCoinbase && tx.coinbase) continue;
    if (tx.inputs < 1 || tx.inputs > profile.maxInputs) continue;
    if (profile.outputCount !== null && tx.outputs !== profile.outputCount) continue;
    if (profile.excludeOpReturn && tx.opReturn) continue;
    let any = false;
    for (const [vout, value] of tx.values) {
      if (isCandidateValue(value, profile) && candidates.add(value, time, txid, vout)) any = true;
    }
    if (any) candidateTransactions++;
  }
  const unchecked = ['input witness size (the list has no witnesses)'];
  if (profile.excludeSameWindowSpends) unchecked.push('same-window spends (the list has no outpoints)');
  return { height, time, transactions: txs.size, candidateTransactions, candidates, unchecked };
}
