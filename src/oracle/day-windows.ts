// A day's pooled window and each of its blocks' own windows in one structure, for the history
// build: the same candidates, histograms and estimates as one PriceWindow for the day plus one per
// block (window.ts), but each transaction is classified (candidate-rule.ts, as in every window),
// keyed and stored once instead of twice.
// In: the day's blocks in order (block(time)), each block's transactions with their txid bytes
// (add(tx, digest)), then close(). Out: day() and block(i), CandidateSources the estimator reads,
// with estimate helpers that pass the window's era time as PriceWindow.estimate does.
//
// Why it gives the same results: a PriceWindow's histogram depends only on the set of
// transactions in it (its same-window spend rule is order-free). So after every transaction is
// in, a candidate counts in the day when none of its distinct parents is a txid of the day, and in
// its block when none is a txid of that block; that is exactly the windows' state once filled. A
// txid met twice (the duplicate coinbases of 2010) is kept once by the day, as PriceWindow.add
// refuses a txid it holds, and by each block it occurs in. Candidates are visited in the order they
// were added, outputs in vout order, as a fresh PriceWindow visits its slots.
// Txids are keyed by their bytes (txid-key.ts keys, the same as the window's); the display hex is
// made only for the candidates an estimate visits (the estimator's evidence names them).

import { displayHexOfHash } from '../bitcoin/hash.ts';
import type { Transaction } from '../bitcoin/transaction.ts';
import { grown, grownLength } from './array-growth.ts';
import { CandidateRule } from './candidate-rule.ts';
import type { CandidateSource } from './candidate-source.ts';
import { type CombModel, DEFAULT_COMB_MODEL } from './comb-model.ts';
import { type Estimate, type EstimateOptions, estimatePrice } from './estimator.ts';
import { DEFAULT_FILTER_PROFILE, type FilterProfile } from './filter-profile.ts';
import { LogHistogram } from './log-histogram.ts';
import { keyOfHash } from './txid-key.ts';
import { TxidTable } from './txid-table.ts';
import type { WindowOptions } from './window.ts';

type Visit = (sats: number, time: number, txid: string, vout: number) => void;

/** Candidate flags: counted in the day's histogram, in its block's. */
const IN_DAY = 1;
const IN_BLOCK = 2;

/** One window's view of the shared candidates: those carrying its flag (and, for a block, its index). */
class WindowView implements CandidateSource {
  readonly histogram = new LogHistogram();
  /** The newest time of a transaction this window took: its era clock. */
  newest = Number.NEGATIVE_INFINITY;
  private readonly all: DayWindows;
  private readonly flag: number;
  private readonly blockIndex: number;

  constructor(all: DayWindows, flag: number, blockIndex: number) {
    this.all = all;
    this.flag = flag;
    this.blockIndex = blockIndex;
  }

  get counts(): Int32Array {
    return this.histogram.counts;
  }

  get candidateOutputs(): number {
    return this.histogram.total;
  }

  forEachCandidate(visit: Visit, bins?: Uint8Array): void {
    this.all.visit(this.flag, this.blockIndex, visit, bins);
  }

  estimate(model: CombModel, options: EstimateOptions = {}): Estimate {
    const time = options.time ?? (this.newest > Number.NEGATIVE_INFINITY ? this.newest : null);
    return estimatePrice(this, model, { ...options, time });
  }
}

export class DayWindows {
  readonly profile: FilterProfile;
  readonly model: CombModel;
  /** Every txid of the day (key) → the block it was first met in. */
  private readonly blockOf = new TxidTable();
  /** Txids met again in a later block: "k0,k1,k2,k3" → those blocks (rare: 2010's duplicate coinbases). */
  private readonly repeats = new Map<string, number[]>();
  private readonly dayView: WindowView;
  private readonly blockViews: WindowView[] = [];
  private readonly key = new Int32Array(4);
  /** Which outputs of a transaction are candidates, and which txids it spends from. */
  private readonly rule: CandidateRule;
  private closed = false;
  /** The current block's time (a time that is not a finite number counts as 0, as in the window). */
  private time = 0;

  // The candidates, one entry each, in the order added, in typed columns (a JS array of numbers
  // costs 8 bytes an entry; these cost what the values need), grown as they fill (array-growth.ts).
  private candidates = 0;
  private candFlags = new Uint8Array(1024);
  /** The block a candidate is in (its time is that block's). */
  private candBlock = new Uint16Array(1024);
  /** Display hex of the candidates a visit has named (most are never visited). */
  private readonly candTxid = new Map<number, string>();
  /** The txid bytes of candidate c at digests[32c …]. */
  private digests = new Uint8Array(32 * 1024);
  /** Outputs of candidate c: outVout/outSats/outBin[outStart[c] … outStart[c + 1]). */
  private outStart = new Int32Array(1024);
  private outputs = 0;
  private outVout = new Int32Array(1024);
  private outSats = new Float64Array(1024);
  private outBin = new Uint16Array(1024);
  /** Distinct parent keys of candidate c: parentKeys[4 × (parentStart[c] … parentStart[c + 1])). */
  private parentStart = new Int32Array(1024);
  private parentKeys = new Int32Array(4 * 1024);
  private parents = 0;
  /** Each block's time. */
  private readonly blockTimes: number[] = [];

  constructor(options: WindowOptions = {}) {
    this.profile = options.profile ?? DEFAULT_FILTER_PROFILE;
    this.model = options.model ?? DEFAULT_COMB_MODEL;
    this.rule = new CandidateRule(this.profile);
    this.dayView = new WindowView(this, IN_DAY, -1);
  }

  /** Number of blocks begun. */
  get blocks(): number {
    return this.blockViews.length;
  }

  /** Starts the next block; its transactions were mined at `time` (Unix seconds). */
  block(time: number): void {
    if (this.closed) throw new Error('DayWindows: closed');
    if (this.blockViews.length > 0xffff) throw new Error('DayWindows: more than 65,536 blocks');
    this.blockViews.push(new WindowView(this, IN_BLOCK, this.blockViews.length));
    this.time = Number.isFinite(time) ? time : 0;
    this.blockTimes.push(this.time);
  }

  /** Adds a transaction of the current block; `digest` is its txid's 32 bytes (internal order). */
  add(tx: Transaction, digest: Uint8Array): void {
    const b = this.blockViews.length - 1;
    if (b < 0 || this.closed) throw new Error('DayWindows: add() before block() or after close()');
    const key = this.key;
    keyOfHash(digest, key);
    const table = this.blockOf;
    table.reserve();
    const found = table.bucket(key);
    let flags = IN_DAY | IN_BLOCK;
    if (found >= 0) {
      // Held already: the day refuses it; its block takes it unless it is the block that has it.
      flags = 0;
      const first = table.valueAt(found);
      const name = repeatName(key, 0);
      const more = this.repeats.get(name);
      if (first !== b && !(more?.includes(b) ?? false)) {
        flags = IN_BLOCK;
        if (more === undefined) this.repeats.set(name, [b]);
        else more.push(b);
      }
      if (flags === 0) return;
    } else {
      table.insertAt(found, key, b);
    }
    const view = this.blockViews[b];
    if (flags & IN_DAY && this.time > this.dayView.newest) this.dayView.newest = this.time;
    if (this.time > view.newest) view.newest = this.time;
    const rule = this.rule;
    if (!rule.read(tx)) return;
    const c = this.candidates;
    if (c + 2 > this.candFlags.length) {
      // The candidate columns grow together, to one size.
      const size = grownLength(this.candFlags.length, c + 2);
      this.candFlags = grown(this.candFlags, size);
      this.candBlock = grown(this.candBlock, size);
      this.outStart = grown(this.outStart, size);
      this.parentStart = grown(this.parentStart, size);
      this.digests = grown(this.digests, 32 * size);
    }
    this.candidates++;
    this.candFlags[c] = flags;
    this.candBlock[c] = b;
    this.digests.set(digest, 32 * c);
    this.keepOutputs();
    this.outStart[c + 1] = this.outputs;
    this.keepParents();
    this.parentStart[c + 1] = this.parents;
  }

  /** Decides which candidates each window counts, now that every transaction is in. */
  close(): void {
    if (this.closed) return;
    this.closed = true;
    const { blockOf: table, parentKeys: keys } = this;
    for (let c = 0; c < this.candidates; c++) {
      let flags = this.candFlags[c];
      const own = this.candBlock[c];
      for (let p = this.parentStart[c]; p < this.parentStart[c + 1] && flags !== 0; p++) {
        const first = table.get(keys, 4 * p);
        if (first < 0) continue;
        // A txid of the day: a chained spend for the day, and for the block if the block has it.
        flags &= ~IN_DAY;
        if (first === own || this.repeatedIn(keys, 4 * p, own)) flags &= ~IN_BLOCK;
      }
      this.candFlags[c] = flags;
      const day = this.dayView.histogram;
      const block = this.blockViews[own].histogram;
      for (let o = this.outStart[c]; o < this.outStart[c + 1]; o++) {
        if (flags & IN_DAY) day.add(this.outBin[o]);
        if (flags & IN_BLOCK) block.add(this.outBin[o]);
      }
    }
  }

  /** The day's pooled window. */
  day(): CandidateSource {
    return this.dayView;
  }

  /** Block i's own window (i in the order block() was called). */
  blockWindow(i: number): CandidateSource {
    return this.blockViews[i];
  }

  /** The day's estimate, as PriceWindow.estimate() of the day's window. */
  estimateDay(options: EstimateOptions = {}): Estimate {
    this.close();
    return this.dayView.estimate(this.model, options);
  }

  /** Block i's estimate, as PriceWindow.estimate() of its own window. */
  estimateBlock(i: number, options: EstimateOptions = {}): Estimate {
    this.close();
    return this.blockViews[i].estimate(this.model, options);
  }

  /** WindowView.forEachCandidate: the candidates with `flag` (and in block `block` for a block's). */
  visit(flag: number, block: number, visit: Visit, bins: Uint8Array | undefined): void {
    const { candFlags, candBlock, candTxid, outStart, outVout, outSats, outBin, blockTimes } = this;
    const all = bins === undefined;
    for (let c = 0; c < this.candidates; c++) {
      if (!(candFlags[c] & flag) || (block >= 0 && candBlock[c] !== block)) continue;
      for (let o = outStart[c]; o < outStart[c + 1]; o++) {
        if (!all && bins[outBin[o]] === 0) continue;
        let txid = candTxid.get(c);
        if (txid === undefined) {
          txid = displayHexOfHash(this.digests, 32 * c);
          candTxid.set(c, txid);
        }
        visit(outSats[o], blockTimes[candBlock[c]], txid, outVout[o]);
      }
    }
  }

  /** Whether the txid whose key is at keys[at …] was met again in `block`. */
  private repeatedIn(keys: Int32Array, at: number, block: number): boolean {
    if (this.repeats.size === 0) return false;
    return this.repeats.get(repeatName(keys, at))?.includes(block) ?? false;
  }

  /** Appends the candidate outputs the rule read. */
  private keepOutputs(): void {
    const rule = this.rule;
    const n = rule.outputs;
    if (this.outputs + n > this.outVout.length) {
      const size = grownLength(this.outVout.length, this.outputs + n);
      this.outVout = grown(this.outVout, size);
      this.outSats = grown(this.outSats, size);
      this.outBin = grown(this.outBin, size);
    }
    for (let i = 0; i < n; i++, this.outputs++) {
      this.outVout[this.outputs] = rule.vouts[i];
      this.outSats[this.outputs] = rule.sats[i];
      this.outBin[this.outputs] = rule.bins[i];
    }
  }

  /** Appends the parent keys the rule read. */
  private keepParents(): void {
    const from = this.rule.parentKeys;
    const words = 4 * this.rule.parents;
    const at = 4 * this.parents;
    const keys = grown(this.parentKeys, at + words);
    for (let i = 0; i < words; i++) keys[at + i] = from[i];
    this.parentKeys = keys;
    this.parents += this.rule.parents;
  }
}

/** The `repeats` map's name for the key at keys[at …]. */
function repeatName(keys: Int32Array, at: number): string {
  return `${keys[at]},${keys[at + 1]},${keys[at + 2]},${keys[at + 3]}`;
}
