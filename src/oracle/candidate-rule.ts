// What a transaction brings to a price window, decided in one place for every window
// (window.ts: PriceWindow, block-window.ts: BlockWindow, day-windows.ts: DayWindows; they differ
// in how they store, never in what they decide). In: a transaction, and the filter profile.
// Out, in columns reused from one transaction to the next (nothing allocated per transaction):
//   - whether it is a candidate: it passes the profile's transaction rules and has at least one
//     candidate output (filter-profile.ts);
//   - its candidate outputs, in vout order: value in sats, bin on the log scale (log-scale.ts), vout;
//   - for a candidate, when the profile excludes same-window spends, the distinct txids it spends
//     from, as txid keys (txid-key.ts), in input order.
// The same-window spend rule itself needs the window: a candidate counts while none of its parents
// is a transaction of the window. Each window answers that from its own store with these keys.

import type { Transaction } from '../bitcoin/transaction.ts';
import { grown, grownLength } from './array-growth.ts';
import { type FilterProfile, isCandidateValue, passesTransactionRules } from './filter-profile.ts';
import { binOfSats } from './log-scale.ts';
import { keyOfHash } from './txid-key.ts';

/** Room in the columns at first: the default profile takes two outputs and five inputs at most. */
const FIRST_ROOM = 8;

export class CandidateRule {
  readonly profile: FilterProfile;
  /** Candidate outputs of the transaction read last: output i < outputs is sats[i], bins[i], vouts[i]. */
  outputs = 0;
  sats = new Float64Array(FIRST_ROOM);
  bins = new Uint16Array(FIRST_ROOM);
  vouts = new Uint32Array(FIRST_ROOM);
  /**
   * Distinct parents of the candidate read last: parent p < parents has its key at
   * parentKeys[4p … 4p + 3]. None when it is not a candidate or the profile keeps same-window spends.
   */
  parents = 0;
  parentKeys = new Int32Array(4 * FIRST_ROOM);

  constructor(profile: FilterProfile) {
    this.profile = profile;
  }

  /** Reads `tx` into the columns; true when it is a candidate. */
  read(tx: Transaction): boolean {
    this.outputs = 0;
    this.parents = 0;
    const profile = this.profile;
    if (!passesTransactionRules(tx, profile)) return false;
    const outputs = tx.outputs;
    let n = 0;
    for (let vout = 0; vout < outputs.length; vout++) {
      const sats = outputs[vout].value;
      if (!isCandidateValue(sats, profile)) continue;
      const bin = binOfSats(sats);
      if (bin < 0) continue;
      if (n === this.sats.length) this.growOutputs(n + 1);
      this.sats[n] = sats;
      this.bins[n] = bin;
      this.vouts[n] = vout;
      n++;
    }
    this.outputs = n;
    if (n === 0) return false;
    if (profile.excludeSameWindowSpends) this.readParents(tx);
    return true;
  }

  /** The distinct txids `tx` spends from, in input order. */
  private readParents(tx: Transaction): void {
    const inputs = tx.inputs;
    if (4 * inputs.length > this.parentKeys.length)
      this.parentKeys = grown(this.parentKeys, 4 * inputs.length);
    const keys = this.parentKeys;
    let end = 0;
    for (let i = 0; i < inputs.length; i++) {
      // Written after the distinct keys so far; kept only if it is not one of them.
      keyOfHash(inputs[i].prevTxid, keys, end);
      let repeated = false;
      for (let d = 0; d < end && !repeated; d += 4) {
        repeated =
          keys[d] === keys[end] &&
          keys[d + 1] === keys[end + 1] &&
          keys[d + 2] === keys[end + 2] &&
          keys[d + 3] === keys[end + 3];
      }
      if (!repeated) end += 4;
    }
    this.parents = end / 4;
  }

  private growOutputs(needed: number): void {
    const size = grownLength(this.sats.length, needed);
    this.sats = grown(this.sats, size);
    this.bins = grown(this.bins, size);
    this.vouts = grown(this.vouts, size);
  }
}
