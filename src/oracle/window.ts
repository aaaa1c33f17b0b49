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
// Which outputs are candidates and which txids a transaction spends from is read by
// candidate-rule.ts, as for every window; this file stores and applies the rule as txs come and go.
//
// Layout, for memory and speed: one 40-byte record per transaction (window-slots.ts: time, flags,
// up to two candidate output values with their bins and vouts, how many of its parents are
// present), the txid string kept once, and two hash tables in typed arrays keyed by txid keys
// (txid-key.ts, txid-table.ts): txid → slot, and parent → the candidate slots spending from it.
// The Transaction itself is never kept.

import type { Transaction } from '../bitcoin/transaction.ts';
import { CandidateRule } from './candidate-rule.ts';
import type { CandidateSource } from './candidate-source.ts';
import { type CombModel, DEFAULT_COMB_MODEL } from './comb-model.ts';
import { type Estimate, type EstimateOptions, estimatePrice } from './estimator.ts';
import { DEFAULT_FILTER_PROFILE, type FilterProfile } from './filter-profile.ts';
import { LogHistogram } from './log-histogram.ts';
import { BINS_PER_DECADE, binOfSats, SCALE_MIN_LOG10_SATS } from './log-scale.ts';
import { TimeQueue } from './time-queue.ts';
import { keyOfTxid } from './txid-key.ts';
import { SpenderIndex, TxidTable } from './txid-table.ts';
import { WindowSlots } from './window-slots.ts';

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
  /** Scratch key (no allocation per transaction): the transaction's own. */
  private readonly key = new Int32Array(4);
  /** Which outputs of a transaction are candidates, and which txids it spends from. */
  private readonly rule: CandidateRule;
  private readonly rec = new WindowSlots(INITIAL_SLOTS);
  private slots = 0;
  private ids: string[] = [];
  /** Candidate outputs beyond the first two (profiles allowing more outputs): [vout, sats, …]. */
  private readonly extra = new Map<number, number[]>();
  /** The newest time a transaction was added with: the window's clock (its era). */
  private newest = Number.NEGATIVE_INFINITY;

  constructor(options: WindowOptions = {}) {
    this.profile = options.profile ?? DEFAULT_FILTER_PROFILE;
    this.model = options.model ?? DEFAULT_COMB_MODEL;
    this.rule = new CandidateRule(this.profile);
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

  /** The tracked txids, in no particular order (do not add or remove while iterating). */
  *txids(): IterableIterator<string> {
    for (let slot = 0; slot < this.slots; slot++) if (this.rec.flags(slot) & LIVE) yield this.ids[slot];
  }

  /**
   * Tracks `tx`, seen at `time` (Unix seconds; a time that is not a finite number counts as 0,
   * the oldest). False when its txid is already in the window (or is not 64 hex digits).
   */
  add(tx: Transaction, time: number): boolean {
    const txid = tx.txid;
    const key = this.key;
    if (!keyOfTxid(txid, key)) return false;
    const slotOf = this.slotOf;
    slotOf.reserve();
    // Missing: where it goes (no other change to slotOf until it is inserted below).
    const missing = slotOf.bucket(key);
    if (missing >= 0) return false;
    const rec = this.rec;
    const slot = this.free.length > 0 ? this.free.pop()! : this.newSlot();
    const at = Number.isFinite(time) ? time : 0;
    if (at > this.newest) this.newest = at;
    const generation = rec.reset(slot, at);
    this.ids[slot] = txid;
    let flags = LIVE;
    if (this.rule.read(tx)) {
      this.keepOutputs(slot);
      flags |= CANDIDATE;
    }
    // Live before its parents are linked: a sweep of the spender index may run meanwhile.
    rec.setFlags(slot, flags);
    if (this.rule.parents > 0) this.linkParents(slot, generation);
    slotOf.insertAt(missing, key, slot);
    this.queue.push(at, slot, generation);
    // Transactions already here that spend this one are chained spends now.
    this.spenders.forEachChild(key, this.parentArrived);
    if (flags & CANDIDATE && rec.present(slot) === 0) this.count(slot);
    return true;
  }

  /** Stops tracking a transaction; false when it was not in the window. */
  remove(txid: string): boolean {
    if (!keyOfTxid(txid, this.key)) return false;
    const bucket = this.slotOf.bucket(this.key);
    if (bucket < 0) return false;
    const slot = this.slotOf.valueAt(bucket);
    if (this.ids[slot] !== txid) return false;
    this.slotOf.deleteAt(bucket);
    this.drop(slot);
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
      if (!this.isLive(slot, generation)) continue;
      keyOfTxid(this.ids[slot], this.key);
      this.slotOf.delete(this.key);
      this.drop(slot);
      removed++;
    }
    return removed;
  }

  /** Forgets everything. */
  clear(): void {
    for (let slot = 0; slot < this.slots; slot++) {
      if (!(this.rec.flags(slot) & LIVE)) continue;
      keyOfTxid(this.ids[slot], this.key);
      this.slotOf.delete(this.key);
      this.drop(slot);
    }
    this.queue.clear();
    this.spenders.clear();
    this.newest = Number.NEGATIVE_INFINITY;
  }

  forEachCandidate(
    visit: (sats: number, time: number, txid: string, vout: number) => void,
    bins?: Uint8Array,
  ): void {
    const { rec, ids } = this;
    const all = bins === undefined;
    const extra = this.extra.size > 0 ? this.extra : null;
    const slots = this.slots;
    for (let slot = 0; slot < slots; slot++) {
      if (!(rec.flags(slot) & COUNTED)) continue;
      // Outputs A then B through one call site, so the engine can inline the visitor.
      for (let o = 0; o < 2; o++) {
        const sats = rec.value(slot, o);
        if (sats > 0 && (all || bins[rec.bin(slot, o)] !== 0))
          visit(sats, rec.time(slot), ids[slot], rec.vout(slot, o));
      }
      if (extra !== null) this.visitExtra(extra, slot, visit, bins);
    }
  }

  /** forEachCandidate's part for the outputs beyond a slot's two. */
  private visitExtra(
    extra: Map<number, number[]>,
    slot: number,
    visit: (sats: number, time: number, txid: string, vout: number) => void,
    bins: Uint8Array | undefined,
  ): void {
    const more = extra.get(slot);
    if (more === undefined) return;
    for (let i = 0; i < more.length; i += 2) {
      if (bins === undefined || bins[binOfSats(more[i + 1])] !== 0)
        visit(more[i + 1], this.rec.time(slot), this.ids[slot], more[i]);
    }
  }

  /**
   * The estimate of this window. Its era (era.ts) is that of its newest transaction's time unless
   * `options.time` says otherwise: a block's time for blocks, the first-seen clock for the mempool.
   */
  estimate(options: EstimateOptions = {}): Estimate {
    const time = options.time ?? (this.newest > Number.NEGATIVE_INFINITY ? this.newest : null);
    return estimatePrice(this, this.model, { ...options, time });
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
    return this.rec.generation(slot) === generation && (this.rec.flags(slot) & LIVE) !== 0;
  }

  private newSlot(): number {
    if (this.slots === this.rec.capacity) this.rec.grow();
    return this.slots++;
  }

  /** Stores the candidate outputs the rule read in `slot`: two in its record, the rest in `extra`. */
  private keepOutputs(slot: number): void {
    const { rule, rec } = this;
    let more: number[] | null = null;
    for (let i = 0; i < rule.outputs; i++) {
      const sats = rule.sats[i];
      const vout = rule.vouts[i];
      if (i === 0 && vout <= 0xffff) rec.setOutputA(slot, sats, rule.bins[i], vout);
      else if (i === 1 && vout <= 0xffff) rec.setOutputB(slot, sats, rule.bins[i], vout);
      else {
        more ??= [];
        more.push(vout, sats);
      }
    }
    if (more !== null) this.extra.set(slot, more);
  }

  /** Records the parents the rule read in the spender index, counting those already in the window. */
  private linkParents(slot: number, generation: number): void {
    const { slotOf, spenders } = this;
    const keys = this.rule.parentKeys;
    const end = 4 * this.rule.parents;
    let present = 0;
    for (let at = 0; at < end; at += 4) {
      if (slotOf.has(keys, at)) present++;
      spenders.add(keys, at, slot, generation);
    }
    this.rec.setPresent(slot, present);
  }

  private readonly parentArrived = (child: number): void => {
    const rec = this.rec;
    rec.setPresent(child, rec.present(child) + 1);
    if (rec.flags(child) & COUNTED) this.uncount(child);
  };

  private readonly parentLeft = (child: number): void => {
    const rec = this.rec;
    const present = rec.present(child) - 1;
    rec.setPresent(child, present);
    const flags = rec.flags(child);
    if (present <= 0 && flags & CANDIDATE && !(flags & COUNTED)) this.count(child);
  };

  /** Removes a live slot already taken out of slotOf; this.key holds its txid's key. */
  private drop(slot: number): void {
    const key = this.key;
    if (this.rec.flags(slot) & COUNTED) this.uncount(slot);
    // Its own entries in the spender index go stale now (the generation moves on at reuse).
    this.rec.setFlags(slot, 0);
    this.ids[slot] = '';
    if (this.extra.size > 0) this.extra.delete(slot);
    // Transactions spending this one are no longer chained to it.
    this.spenders.forEachChild(key, this.parentLeft);
    this.free.push(slot);
  }

  private count(slot: number): void {
    const { histo, rec } = this;
    if (rec.valueA(slot) > 0) histo.add(rec.binA(slot));
    if (rec.valueB(slot) > 0) histo.add(rec.binB(slot));
    const more = this.extra.size > 0 ? this.extra.get(slot) : undefined;
    if (more !== undefined) for (let i = 1; i < more.length; i += 2) histo.add(binOfSats(more[i]));
    rec.setFlags(slot, rec.flags(slot) | COUNTED);
  }

  private uncount(slot: number): void {
    const { histo, rec } = this;
    if (rec.valueA(slot) > 0) histo.remove(rec.binA(slot));
    if (rec.valueB(slot) > 0) histo.remove(rec.binB(slot));
    const more = this.extra.size > 0 ? this.extra.get(slot) : undefined;
    if (more !== undefined) for (let i = 1; i < more.length; i += 2) histo.remove(binOfSats(more[i]));
    rec.setFlags(slot, rec.flags(slot) & ~COUNTED);
  }
}
