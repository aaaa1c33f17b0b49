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
//
// Layout, for memory and speed: one slot per transaction in parallel typed arrays (time, flags,
// up to two candidate output values and their vouts, how many of its parents are present), the
// txid string kept once, and two hash tables in typed arrays keyed by txid keys (txid-key.ts,
// txid-table.ts): txid → slot, and parent → the candidate slots spending from it. The
// Transaction itself is never kept.

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
import { keyOfHash, keyOfTxid } from './txid-key.ts';
import { SpenderIndex, TxidTable } from './txid-table.ts';

export type { Estimate, EstimateOptions, NoEstimate, PriceEstimate } from './estimator.ts';

/** Slot flags. */
const LIVE = 1;
/** Passes the transaction rules and has at least one candidate output. */
const CANDIDATE = 2;
/** Its candidate outputs are in the histogram (a candidate with no parent in the window). */
const COUNTED = 4;

const INITIAL_SLOTS = 1024;

export interface WindowOptions {
  profile?: FilterProfile;
  model?: CombModel;
}

export class PriceWindow implements CandidateSource {
  readonly profile: FilterProfile;
  readonly model: CombModel;
  private readonly histo = new LogHistogram();
  private readonly slotOf = new TxidTable();
  /** Parent key → the candidate slots spending from it. */
  private readonly spenders = new SpenderIndex((slot, generation) => this.isLive(slot, generation));
  private readonly queue = new TimeQueue();
  private readonly free: number[] = [];
  /** Scratch keys (no allocation per transaction or input): the transaction's own, an input's. */
  private readonly key = new Int32Array(4);
  private readonly inputKey = new Int32Array(4);
  private readonly parentKeys = new Int32Array(4 * 8);
  private slots = 0;
  private ids: string[] = [];
  /** Candidate outputs beyond the first two (profiles allowing more outputs): [vout, sats, …]. */
  private readonly extra = new Map<number, number[]>();
  private times = new Float64Array(INITIAL_SLOTS);
  private flags = new Uint8Array(INITIAL_SLOTS);
  private present = new Uint8Array(INITIAL_SLOTS);
  private generations = new Uint32Array(INITIAL_SLOTS);
  private valueA = new Float64Array(INITIAL_SLOTS);
  private valueB = new Float64Array(INITIAL_SLOTS);
  /** Histogram bins of valueA / valueB (computed once: a bin costs a logarithm). */
  private binA = new Uint16Array(INITIAL_SLOTS);
  private binB = new Uint16Array(INITIAL_SLOTS);
  /** vouts of valueA / valueB (outputs at vout 65,536 and up go to `extra`). */
  private voutA = new Uint16Array(INITIAL_SLOTS);
  private voutB = new Uint16Array(INITIAL_SLOTS);

  constructor(options: WindowOptions = {}) {
    this.profile = options.profile ?? DEFAULT_FILTER_PROFILE;
    this.model = options.model ?? DEFAULT_COMB_MODEL;
  }

  /** Transactions tracked (candidates or not). */
  get size(): number {
    return this.slotOf.size;
  }

  get candidateOutputs(): number {
    return this.histo.total;
  }

  get counts(): Int32Array {
    return this.histo.counts;
  }

  has(txid: string): boolean {
    return this.slotFor(txid) >= 0;
  }

  *txids(): IterableIterator<string> {
    for (let slot = 0; slot < this.slots; slot++) if (this.flags[slot] & LIVE) yield this.ids[slot];
  }

  /**
   * Tracks `tx`, seen at `time` (Unix seconds; a time that is not a finite number counts as 0,
   * the oldest). False when its txid is already in the window (or is not 64 hex digits).
   */
  add(tx: Transaction, time: number): boolean {
    const txid = tx.txid;
    const key = this.key;
    if (!keyOfTxid(txid, key) || this.slotOf.has(key)) return false;
    const slot = this.free.length > 0 ? this.free.pop()! : this.newSlot();
    const generation = ++this.generations[slot];
    const at = Number.isFinite(time) ? time : 0;
    this.ids[slot] = txid;
    this.times[slot] = at;
    this.flags[slot] = LIVE;
    this.present[slot] = 0;
    this.valueA[slot] = 0;
    this.valueB[slot] = 0;

    const profile = this.profile;
    if (passesTransactionRules(tx, profile) && this.takeOutputs(slot, tx)) {
      this.flags[slot] |= CANDIDATE;
      if (profile.excludeSameWindowSpends) this.linkParents(slot, generation, tx);
    }
    this.slotOf.insert(key, slot);
    this.queue.push(at, slot, generation);
    // Transactions already here that spend this one are chained spends now.
    this.spenders.forEachChild(key, this.parentArrived);
    if (this.flags[slot] & CANDIDATE && this.present[slot] === 0) this.count(slot);
    return true;
  }

  /** Stops tracking a transaction; false when it was not in the window. */
  remove(txid: string): boolean {
    const slot = this.slotFor(txid);
    if (slot < 0) return false;
    this.drop(slot, true);
    return true;
  }

  /** Removes every transaction seen before `time`; returns how many left. */
  removeOlderThan(time: number): number {
    let removed = 0;
    const queue = this.queue;
    while (queue.peekTime() < time) {
      const slot = queue.peekSlot();
      const generation = queue.peekGeneration();
      queue.pop();
      if (this.generations[slot] !== generation || !(this.flags[slot] & LIVE)) continue;
      this.drop(slot, false);
      removed++;
    }
    return removed;
  }

  /** Forgets everything. */
  clear(): void {
    for (let slot = 0; slot < this.slots; slot++) if (this.flags[slot] & LIVE) this.drop(slot, false);
    this.queue.clear();
    this.spenders.clear();
  }

  forEachCandidate(visit: (sats: number, time: number, txid: string, vout: number) => void): void {
    const { flags, valueA, valueB, voutA, voutB, times, ids } = this;
    for (let slot = 0; slot < this.slots; slot++) {
      if (!(flags[slot] & COUNTED)) continue;
      if (valueA[slot] > 0) visit(valueA[slot], times[slot], ids[slot], voutA[slot]);
      if (valueB[slot] > 0) visit(valueB[slot], times[slot], ids[slot], voutB[slot]);
      const more = this.extra.size > 0 ? this.extra.get(slot) : undefined;
      if (more !== undefined)
        for (let i = 0; i < more.length; i += 2) visit(more[i + 1], times[slot], ids[slot], more[i]);
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

  // ---- slots ----------------------------------------------------------------------------------

  private slotFor(txid: string): number {
    if (!keyOfTxid(txid, this.key)) return -1;
    const slot = this.slotOf.get(this.key);
    return slot >= 0 && this.ids[slot] === txid ? slot : -1;
  }

  private isLive(slot: number, generation: number): boolean {
    return this.generations[slot] === generation && (this.flags[slot] & LIVE) !== 0;
  }

  private newSlot(): number {
    if (this.slots === this.times.length) this.grow();
    return this.slots++;
  }

  private grow(): void {
    const n = this.times.length * 2;
    const more = <T extends Float64Array | Uint8Array | Uint16Array | Uint32Array>(
      a: T,
      make: (n: number) => T,
    ): T => {
      const b = make(n);
      b.set(a);
      return b;
    };
    this.times = more(this.times, (k) => new Float64Array(k));
    this.flags = more(this.flags, (k) => new Uint8Array(k));
    this.present = more(this.present, (k) => new Uint8Array(k));
    this.binA = more(this.binA, (k) => new Uint16Array(k));
    this.binB = more(this.binB, (k) => new Uint16Array(k));
    this.generations = more(this.generations, (k) => new Uint32Array(k));
    this.valueA = more(this.valueA, (k) => new Float64Array(k));
    this.valueB = more(this.valueB, (k) => new Float64Array(k));
    this.voutA = more(this.voutA, (k) => new Uint16Array(k));
    this.voutB = more(this.voutB, (k) => new Uint16Array(k));
  }

  /** Stores the candidate outputs of `tx` in `slot`; false when it has none. */
  private takeOutputs(slot: number, tx: Transaction): boolean {
    const outputs = tx.outputs;
    let taken = 0;
    let more: number[] | null = null;
    for (let vout = 0; vout < outputs.length; vout++) {
      const sats = outputs[vout].value;
      if (!isCandidateValue(sats, this.profile)) continue;
      const bin = binOfSats(sats);
      if (bin < 0) continue;
      if (taken === 0 && vout <= 0xffff) {
        this.valueA[slot] = sats;
        this.voutA[slot] = vout;
        this.binA[slot] = bin;
      } else if (taken === 1 && vout <= 0xffff) {
        this.valueB[slot] = sats;
        this.voutB[slot] = vout;
        this.binB[slot] = bin;
      } else {
        more ??= [];
        more.push(vout, sats);
      }
      taken++;
    }
    if (more !== null) this.extra.set(slot, more);
    return taken > 0;
  }

  /** Records the distinct txids `tx` spends from, counting those already in the window. */
  private linkParents(slot: number, generation: number, tx: Transaction): void {
    const inputs = tx.inputs;
    const seen = inputs.length <= 8 ? this.parentKeys : new Int32Array(4 * inputs.length);
    const key = this.inputKey;
    let distinct = 0;
    for (let i = 0; i < inputs.length; i++) {
      keyOfHash(inputs[i].prevTxid, key);
      let repeated = false;
      for (let d = 0; d < distinct && !repeated; d++) {
        const k = 4 * d;
        repeated =
          seen[k] === key[0] && seen[k + 1] === key[1] && seen[k + 2] === key[2] && seen[k + 3] === key[3];
      }
      if (repeated) continue;
      seen.set(key, 4 * distinct++);
      if (this.slotOf.has(key) && this.present[slot] < 255) this.present[slot]++;
      this.spenders.add(key, slot, generation);
    }
  }

  private readonly parentArrived = (child: number): void => {
    if (this.present[child] < 255) this.present[child]++;
    if (this.flags[child] & COUNTED) this.uncount(child);
  };

  private readonly parentLeft = (child: number): void => {
    if (this.present[child] > 0) this.present[child]--;
    if (this.present[child] === 0 && this.flags[child] & CANDIDATE && !(this.flags[child] & COUNTED))
      this.count(child);
  };

  /** Removes a live slot; `keyed`: this.key already holds its txid's key (from slotFor). */
  private drop(slot: number, keyed: boolean): void {
    const key = this.key;
    if (!keyed) keyOfTxid(this.ids[slot], key);
    this.slotOf.delete(key);
    if (this.flags[slot] & COUNTED) this.uncount(slot);
    // Its own entries in the spender index go stale now (the generation moves on at reuse).
    this.flags[slot] = 0;
    this.ids[slot] = '';
    if (this.extra.size > 0) this.extra.delete(slot);
    // Transactions spending this one are no longer chained to it.
    this.spenders.forEachChild(key, this.parentLeft);
    this.free.push(slot);
  }

  private count(slot: number): void {
    const histo = this.histo;
    if (this.valueA[slot] > 0) histo.add(this.binA[slot]);
    if (this.valueB[slot] > 0) histo.add(this.binB[slot]);
    const more = this.extra.size > 0 ? this.extra.get(slot) : undefined;
    if (more !== undefined) for (let i = 1; i < more.length; i += 2) histo.add(binOfSats(more[i]));
    this.flags[slot] |= COUNTED;
  }

  private uncount(slot: number): void {
    const histo = this.histo;
    if (this.valueA[slot] > 0) histo.remove(this.binA[slot]);
    if (this.valueB[slot] > 0) histo.remove(this.binB[slot]);
    const more = this.extra.size > 0 ? this.extra.get(slot) : undefined;
    if (more !== undefined) for (let i = 1; i < more.length; i += 2) histo.remove(binOfSats(more[i]));
    this.flags[slot] &= ~COUNTED;
  }
}
