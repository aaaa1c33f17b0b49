// The price window shared by the live service and the block commands: transactions in (with the
// time they were first seen or mined), candidate outputs kept in an exact integer histogram, and
// an estimate out. In: add(tx, time), remove(txid), removeOlderThan(time). Out: estimate(), the
// histogram, the tracked txids.
//
// Every transaction is tracked, candidate or not, because of the same-window spend rule: a
// transaction spending an output of another transaction in the window is not a payment (chained
// spends are mostly wallet shuffling). The rule is kept order-free: if B spends A and both are
// in the window, B's outputs are out whichever arrived first; when A leaves, B's come back.
// So the same set of transactions always gives the same histogram and the same estimate.

import { hashToHex } from '../bitcoin/hash.ts';
import type { Transaction } from '../bitcoin/transaction.ts';
import type { CandidateSource } from './candidate-source.ts';
import { type CombModel, DEFAULT_COMB_MODEL } from './comb-model.ts';
import { type Estimate, type EstimateOptions, estimatePrice } from './estimator.ts';
import {
  DEFAULT_FILTER_PROFILE,
  type FilterProfile,
  isCandidateValue,
  passesTransactionRules,
} from './filter-profile.ts';
import { LogHistogram } from './log-histogram.ts';
import { BINS_PER_DECADE, binOfSats, SCALE_MIN_LOG10_SATS } from './log-scale.ts';
import { TimeQueue } from './time-queue.ts';

export type { Estimate, NoEstimate, PriceEstimate } from './estimator.ts';

/** One tracked transaction. Only what the rules and the estimate need is kept, never the tx. */
interface Tracked {
  readonly txid: string;
  readonly time: number;
  /** Candidate output values by vout (0: that output is not a candidate); null: not a candidate tx. */
  readonly values: number[] | null;
  /** Distinct txids this candidate spends from (only kept when the same-window rule is on). */
  readonly parents: string[] | null;
  /** How many of `parents` are in the window now. */
  parentsPresent: number;
  /** Its outputs are in the histogram. */
  counted: boolean;
  /** Still in the window (the time queue drops removed entries lazily). */
  live: boolean;
}

export interface WindowOptions {
  profile?: FilterProfile;
  model?: CombModel;
}

export class PriceWindow implements CandidateSource {
  readonly profile: FilterProfile;
  readonly model: CombModel;
  private readonly tracked = new Map<string, Tracked>();
  /** parent txid → the tracked candidates spending from it. */
  private readonly spenders = new Map<string, Tracked | Tracked[]>();
  private readonly byTime = new TimeQueue<Tracked>();
  private readonly histo = new LogHistogram();

  constructor(options: WindowOptions = {}) {
    this.profile = options.profile ?? DEFAULT_FILTER_PROFILE;
    this.model = options.model ?? DEFAULT_COMB_MODEL;
  }

  /** Transactions tracked (candidates or not). */
  get size(): number {
    return this.tracked.size;
  }

  get candidateOutputs(): number {
    return this.histo.total;
  }

  get counts(): Int32Array {
    return this.histo.counts;
  }

  has(txid: string): boolean {
    return this.tracked.has(txid);
  }

  txids(): IterableIterator<string> {
    return this.tracked.keys();
  }

  /**
   * Tracks `tx`, seen at `time` (Unix seconds; a time that is not a finite number counts as 0,
   * the oldest). False when a transaction with this txid is already in the window.
   */
  add(tx: Transaction, time: number): boolean {
    const txid = tx.txid;
    if (this.tracked.has(txid)) return false;
    const profile = this.profile;
    let values: number[] | null = null;
    let parents: string[] | null = null;
    if (passesTransactionRules(tx, profile)) {
      values = new Array<number>(tx.outputs.length);
      let any = false;
      for (let i = 0; i < tx.outputs.length; i++) {
        const sats = tx.outputs[i].value;
        const ok = isCandidateValue(sats, profile) && binOfSats(sats) >= 0;
        values[i] = ok ? sats : 0;
        if (ok) any = true;
      }
      if (!any) values = null;
      else if (profile.excludeSameWindowSpends) parents = distinctParents(tx);
    }
    const entry: Tracked = {
      txid,
      time: Number.isFinite(time) ? time : 0,
      values,
      parents,
      parentsPresent: 0,
      counted: false,
      live: true,
    };
    if (parents !== null) {
      for (const parent of parents) {
        if (this.tracked.has(parent)) entry.parentsPresent++;
        const list = this.spenders.get(parent);
        if (list === undefined) this.spenders.set(parent, entry);
        else if (Array.isArray(list)) list.push(entry);
        else this.spenders.set(parent, [list, entry]);
      }
    }
    this.tracked.set(txid, entry);
    this.byTime.push(entry);
    // Transactions already here that spend this one are chained spends now.
    const children = this.spenders.get(txid);
    if (children !== undefined) {
      for (const child of Array.isArray(children) ? children : [children]) {
        child.parentsPresent++;
        if (child.counted) this.uncount(child);
      }
    }
    if (values !== null && entry.parentsPresent === 0) this.count(entry);
    return true;
  }

  /** Stops tracking a transaction; false when it was not in the window. */
  remove(txid: string): boolean {
    const entry = this.tracked.get(txid);
    if (entry === undefined) return false;
    this.drop(entry);
    return true;
  }

  /** Removes every transaction seen before `time`; returns how many left. */
  removeOlderThan(time: number): number {
    let removed = 0;
    for (;;) {
      const oldest = this.byTime.peek();
      if (oldest === undefined || !(oldest.time < time)) break;
      this.byTime.pop();
      if (!oldest.live) continue;
      this.drop(oldest);
      removed++;
    }
    return removed;
  }

  /** Forgets everything. */
  clear(): void {
    this.tracked.clear();
    this.spenders.clear();
    this.byTime.clear();
    this.histo.clear();
  }

  forEachCandidate(visit: (sats: number, time: number, txid: string, vout: number) => void): void {
    for (const entry of this.tracked.values()) {
      if (!entry.counted) continue;
      const values = entry.values!;
      for (let vout = 0; vout < values.length; vout++)
        if (values[vout] > 0) visit(values[vout], entry.time, entry.txid, vout);
    }
  }

  estimate(options: EstimateOptions = {}): Estimate {
    return estimatePrice(this, this.model, options);
  }

  /** The histogram for the browser panel: counts per bin, bin 0 starting at 10^firstLog10Sats sats. */
  histogram(): { binsPerDecade: number; firstLog10Sats: number; counts: number[] } {
    return {
      binsPerDecade: BINS_PER_DECADE,
      firstLog10Sats: SCALE_MIN_LOG10_SATS,
      counts: Array.from(this.histo.counts),
    };
  }

  private drop(entry: Tracked): void {
    entry.live = false;
    this.tracked.delete(entry.txid);
    if (entry.counted) this.uncount(entry);
    if (entry.parents !== null) {
      for (const parent of entry.parents) {
        const list = this.spenders.get(parent);
        if (list === entry) this.spenders.delete(parent);
        else if (Array.isArray(list)) {
          const i = list.indexOf(entry);
          if (i >= 0) list.splice(i, 1);
          if (list.length === 1) this.spenders.set(parent, list[0]);
        }
      }
    }
    // Transactions spending this one are no longer chained to it.
    const children = this.spenders.get(entry.txid);
    if (children !== undefined) {
      for (const child of Array.isArray(children) ? children : [children]) {
        child.parentsPresent--;
        if (child.parentsPresent === 0 && child.values !== null && !child.counted) this.count(child);
      }
    }
  }

  private count(entry: Tracked): void {
    const values = entry.values!;
    for (let i = 0; i < values.length; i++) if (values[i] > 0) this.histo.add(binOfSats(values[i]));
    entry.counted = true;
  }

  private uncount(entry: Tracked): void {
    const values = entry.values!;
    for (let i = 0; i < values.length; i++) if (values[i] > 0) this.histo.remove(binOfSats(values[i]));
    entry.counted = false;
  }
}

/** The distinct txids a transaction spends from, as display hex. */
function distinctParents(tx: Transaction): string[] {
  const parents: string[] = [];
  for (const input of tx.inputs) {
    const hex = hashToHex(input.prevTxid);
    if (!parents.includes(hex)) parents.push(hex);
  }
  return parents;
}
