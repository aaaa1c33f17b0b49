// The confirmed-block window's store: the candidate outputs of up to 144 mainnet blocks (about
// 500,000 transactions) kept in a few typed arrays per block, for the estimator. In: whole blocks
// (added and removed as the tip moves) and the chain order. Out: a CandidateSource (histogram
// counts and a visit of the candidate outputs) and an estimate.
//
// The live PriceWindow (window.ts) is built for one transaction at a time; a block
// window changes a whole block at a time and is estimated once per new tip, so it can be much
// leaner. Per block it keeps:
//   - the 8-byte keys (first 8 internal bytes of the txid) of every transaction it holds, to take
//     them out of the window's key set when the block leaves;
//   - per candidate transaction (candidate-rule.ts decides which, and reads its outputs and
//     parents): its txid as 32 bytes (turned into hex only for the outputs the estimator visits),
//     the 8-byte keys of the distinct transactions it spends from, and its candidate outputs
//     (sats, vout, bin).
// One key set (txid-table.ts) holds the keys of every transaction in the window.
// The same-window spend rule is applied after every change, from scratch: a candidate counts iff
// none of its parents is in the key set, whatever order the blocks came in, exactly as PriceWindow
// decides it. The histogram is rebuilt at the same time, in one pass over the candidates.
// Eight bytes of a txid suffice as a key: two of the window's transactions sharing them by chance
// has odds near 500,000² / 2^65 ≈ 10^-8, and making one collide on purpose with someone else's
// transaction takes about 2^64 hashing work. A transaction whose key is already in the window is
// not added (as PriceWindow.add refuses a txid it holds).

import { displayHexOfHash, hexToHashInto } from '../bitcoin/hash.ts';
import type { Transaction } from '../bitcoin/transaction.ts';
import { grown, grownLength } from './array-growth.ts';
import { CandidateRule } from './candidate-rule.ts';
import type { CandidateSource } from './candidate-source.ts';
import { type CombModel, DEFAULT_COMB_MODEL } from './comb-model.ts';
import { type Estimate, type EstimateOptions, estimatePrice } from './estimator.ts';
import { DEFAULT_FILTER_PROFILE, type FilterProfile } from './filter-profile.ts';
import { LogHistogram } from './log-histogram.ts';
import { keyOfTxid } from './txid-key.ts';
import { KeySet } from './txid-table.ts';
import type { WindowOptions } from './window.ts';

/** One block's share of the window, in typed arrays sized exactly. */
interface HeldBlock {
  /** Block time: the time of all its outputs. */
  time: number;
  /** Transactions it holds (its keys are in the window's key set). */
  transactions: number;
  /** Keys of the transactions it holds: two words each. */
  keys: Int32Array;
  /** Candidate transactions' txids, 32 bytes each in internal order. */
  txids: Uint8Array;
  /** Candidate c's parents are parents[2 * parentEnd[c - 1] …] up to 2 * parentEnd[c] (two words a key). */
  parentEnd: Uint32Array;
  parents: Int32Array;
  /** Candidate c's outputs are [outEnd[c - 1], outEnd[c]). */
  outEnd: Uint32Array;
  sats: Float64Array;
  vouts: Uint32Array;
  bins: Uint16Array;
  /** 1 when candidate c has no parent in the window (its outputs are in the histogram). */
  counted: Uint8Array;
  /** All of the above are views of this one buffer, from `base` for `bytes` bytes. */
  buffer: ArrayBuffer;
  base: number;
  bytes: number;
}

/** The sizes a block's arrays are made from. */
interface BlockCounts {
  held: number;
  candidates: number;
  parents: number;
  outputs: number;
}

/** A block's arrays as views of `buffer` from `base` (a multiple of 8), each aligned for its element size. */
function layBlock(buffer: ArrayBuffer, base: number, n: BlockCounts, time: number): HeldBlock {
  const layout = new Layout(base);
  const satsAt = layout.take(8 * n.outputs, 8);
  const keysAt = layout.take(8 * n.held, 4);
  const parentsAt = layout.take(8 * n.parents, 4);
  const parentEndAt = layout.take(4 * n.candidates, 4);
  const outEndAt = layout.take(4 * n.candidates, 4);
  const voutsAt = layout.take(4 * n.outputs, 4);
  const binsAt = layout.take(2 * n.outputs, 2);
  const countedAt = layout.take(n.candidates, 1);
  const txidsAt = layout.take(32 * n.candidates, 1);
  return {
    time,
    transactions: n.held,
    keys: new Int32Array(buffer, keysAt, 2 * n.held),
    txids: new Uint8Array(buffer, txidsAt, 32 * n.candidates),
    parentEnd: new Uint32Array(buffer, parentEndAt, n.candidates),
    parents: new Int32Array(buffer, parentsAt, 2 * n.parents),
    outEnd: new Uint32Array(buffer, outEndAt, n.candidates),
    sats: new Float64Array(buffer, satsAt, n.outputs),
    vouts: new Uint32Array(buffer, voutsAt, n.outputs),
    bins: new Uint16Array(buffer, binsAt, n.outputs),
    counted: new Uint8Array(buffer, countedAt, n.candidates),
    buffer,
    base,
    bytes: layout.size - base,
  };
}

/** Bytes a block of these counts takes in a buffer (layBlock), rounded up to 8. */
function blockBytes(n: BlockCounts): number {
  const bytes = 8 * n.outputs + 8 * n.held + 8 * n.parents + 8 * n.candidates + 4 * n.outputs;
  return Math.ceil((bytes + 2 * n.outputs + n.candidates + 32 * n.candidates) / 8) * 8 + 8;
}

/** Places arrays one after another in one buffer, each at an offset aligned for its element size. */
class Layout {
  size: number;
  constructor(base = 0) {
    this.size = base;
  }
  take(bytes: number, align: number): number {
    const at = Math.ceil(this.size / align) * align;
    this.size = at + bytes;
    return at;
  }
}

/** Growable scratch arrays for the block being added: reused from block to block. */
class Scratch {
  keys = new Int32Array(2 * 4096);
  parents = new Int32Array(2 * 8192);
  /** Per candidate, grown together. */
  parentEnd = new Uint32Array(4096);
  outEnd = new Uint32Array(4096);
  txids = new Uint8Array(32 * 4096);
  /** Per candidate output, grown together. */
  sats = new Float64Array(8192);
  vouts = new Uint32Array(8192);
  bins = new Uint16Array(8192);

  growCandidates(needed: number): void {
    const size = grownLength(this.outEnd.length, needed);
    this.parentEnd = grown(this.parentEnd, size);
    this.outEnd = grown(this.outEnd, size);
    this.txids = grown(this.txids, 32 * size);
  }

  growOutputs(needed: number): void {
    const size = grownLength(this.sats.length, needed);
    this.sats = grown(this.sats, size);
    this.vouts = grown(this.vouts, size);
    this.bins = grown(this.bins, size);
  }
}

export class BlockWindow implements CandidateSource {
  readonly profile: FilterProfile;
  readonly model: CombModel;
  private readonly histo = new LogHistogram();
  private readonly present = new KeySet();
  private readonly held = new Map<string, HeldBlock>();
  /** The held blocks in chain order (settle()): the order of the visit. */
  private order: HeldBlock[] = [];
  private scratch: Scratch | null = null;
  private readonly key = new Int32Array(4);
  /** Which outputs of a transaction are candidates, and which txids it spends from. */
  private readonly rule: CandidateRule;

  constructor(options: WindowOptions = {}) {
    this.profile = options.profile ?? DEFAULT_FILTER_PROFILE;
    this.model = options.model ?? DEFAULT_COMB_MODEL;
    this.rule = new CandidateRule(this.profile);
  }

  /** Transactions in the window (every one, candidate or not). */
  get size(): number {
    return this.present.size;
  }

  get blocks(): number {
    return this.held.size;
  }

  get counts(): Int32Array {
    return this.histo.counts;
  }

  get candidateOutputs(): number {
    return this.histo.total;
  }

  /** Bytes held in the window's typed arrays (its blocks and the key set). */
  get bytes(): number {
    let n = this.present.bytes;
    for (const b of this.held.values()) n += b.bytes;
    return n;
  }

  has(hash: string): boolean {
    return this.held.has(hash);
  }

  /** The held blocks' hashes, in the order they were added. */
  hashes(): string[] {
    return [...this.held.keys()];
  }

  /**
   * Adds a block's transactions (all of them: the spend rule needs every txid). Its outputs are
   * not counted until settle(). False when the block is already held.
   */
  addBlock(hash: string, time: number, transactions: Iterable<Transaction>): boolean {
    if (this.held.has(hash)) return false;
    this.scratch ??= new Scratch();
    const s = this.scratch;
    const { key, present, rule } = this;
    let held = 0;
    let candidates = 0;
    let parentCount = 0;
    let outputs = 0;
    for (const tx of transactions) {
      if (!keyOfTxid(tx.txid, key)) continue;
      if (!present.add(key, 0)) continue;
      s.keys = grown(s.keys, 2 * held + 2);
      s.keys[2 * held] = key[0];
      s.keys[2 * held + 1] = key[1];
      held++;
      if (!rule.read(tx)) continue;
      const n = rule.outputs;
      if (outputs + n > s.sats.length) s.growOutputs(outputs + n);
      for (let i = 0; i < n; i++, outputs++) {
        s.sats[outputs] = rule.sats[i];
        s.vouts[outputs] = rule.vouts[i];
        s.bins[outputs] = rule.bins[i];
      }
      // The parents' 8-byte keys: the first two words of each.
      const p = rule.parents;
      s.parents = grown(s.parents, 2 * (parentCount + p));
      for (let i = 0; i < p; i++, parentCount++) {
        s.parents[2 * parentCount] = rule.parentKeys[4 * i];
        s.parents[2 * parentCount + 1] = rule.parentKeys[4 * i + 1];
      }
      if (candidates === s.outEnd.length) s.growCandidates(candidates + 1);
      s.parentEnd[candidates] = parentCount;
      s.outEnd[candidates] = outputs;
      hexToHashInto(tx.txid, s.txids, 32 * candidates);
      candidates++;
    }
    // One allocation for all of the block's arrays: given back whole when the block leaves, and
    // with serve's malloc settings (heap-settings.ts) mapped on its own rather than placed among
    // the block fetch's short-lived buffers.
    const counts = { held, candidates, parents: parentCount, outputs };
    const block = layBlock(new ArrayBuffer(blockBytes(counts)), 0, counts, Number.isFinite(time) ? time : 0);
    block.keys.set(s.keys.subarray(0, 2 * held));
    block.txids.set(s.txids.subarray(0, 32 * candidates));
    block.parentEnd.set(s.parentEnd.subarray(0, candidates));
    block.parents.set(s.parents.subarray(0, 2 * parentCount));
    block.outEnd.set(s.outEnd.subarray(0, candidates));
    block.sats.set(s.sats.subarray(0, outputs));
    block.vouts.set(s.vouts.subarray(0, outputs));
    block.bins.set(s.bins.subarray(0, outputs));
    this.held.set(hash, block);
    return true;
  }

  /** Takes a block out (its outputs stay counted until settle()); false when it is not held. */
  removeBlock(hash: string): boolean {
    const block = this.held.get(hash);
    if (block === undefined) return false;
    const { keys } = block;
    for (let i = 0; i < keys.length; i += 2) this.present.delete(keys, i);
    this.held.delete(hash);

    return true;
  }

  /** Forgets every block, and the scratch arrays. */
  clear(): void {
    for (const hash of [...this.held.keys()]) this.removeBlock(hash);
    this.scratch = null;
    this.settle([]);
  }

  /**
   * Applies the same-window spend rule and rebuilds the histogram; `chain` gives the visit order
   * (the held blocks in chain order; held blocks it leaves out come after, in the order added).
   * Also lets go of the scratch arrays used while adding.
   */
  settle(chain: readonly string[]): void {
    const order: HeldBlock[] = [];
    const placed = new Set<HeldBlock>();
    for (const hash of chain) {
      const b = this.held.get(hash);
      if (b !== undefined && !placed.has(b)) {
        order.push(b);
        placed.add(b);
      }
    }
    for (const b of this.held.values()) if (!placed.has(b)) order.push(b);
    this.order = order;
    this.scratch = null;
    const { histo, present } = this;
    const rule = this.profile.excludeSameWindowSpends;
    histo.clear();
    for (const b of this.order) {
      const { parentEnd, parents, outEnd, bins, counted } = b;
      let p = 0;
      let o = 0;
      for (let c = 0; c < counted.length; c++) {
        let free = true;
        const pEnd = parentEnd[c];
        if (rule) {
          for (; p < pEnd; p++) {
            if (present.has(parents, 2 * p)) {
              free = false;
              break;
            }
          }
        }
        p = pEnd;
        counted[c] = free ? 1 : 0;
        const oEnd = outEnd[c];
        if (free) for (; o < oEnd; o++) histo.add(bins[o]);
        o = oEnd;
      }
    }
  }

  forEachCandidate(
    visit: (sats: number, time: number, txid: string, vout: number) => void,
    bins?: Uint8Array,
  ): void {
    const all = bins === undefined;
    for (const b of this.order) {
      const { outEnd, sats, vouts, counted, txids, time } = b;
      const outBins = b.bins;
      let o = 0;
      for (let c = 0; c < counted.length; c++) {
        const oEnd = outEnd[c];
        if (counted[c] === 0) {
          o = oEnd;
          continue;
        }
        let txid: string | null = null;
        for (; o < oEnd; o++) {
          if (!all && bins[outBins[o]] === 0) continue;
          txid ??= displayHexOfHash(txids, 32 * c);
          visit(sats[o], time, txid, vouts[o]);
        }
      }
    }
  }

  /** The estimate of the window; its era is that of its newest block unless `options.time` says otherwise. */
  estimate(options: EstimateOptions = {}): Estimate {
    let newest = Number.NEGATIVE_INFINITY;
    for (const b of this.held.values()) if (b.time > newest) newest = b.time;
    const time = options.time ?? (newest > Number.NEGATIVE_INFINITY ? newest : null);
    return estimatePrice(this, this.model, { ...options, time });
  }
}
