// The tables keyed by txid keys (txid-key.ts), all on one hash-table core (key-buckets.ts). In:
// keys read from an Int32Array at an offset (a scratch key, or a column of keys). Out:
//   TxidTable:    key → one value (the window's slot of a txid, DayWindows' block of a txid).
//   SpenderIndex: key → many (child slot, generation) pairs (who spends from a txid). Entries of
//                 children that have since left are dropped lazily: when met, and in one sweep
//                 when the table fills (it grows only if the live entries alone still fill
//                 SWEPT_LOAD of it after the sweep). A bitmap of the keys held (8 bits a bucket,
//                 rebuilt at each sweep) answers most "any child?" questions without a probe:
//                 most transactions have no child in the window.
//   KeySet:       a set of 8-byte keys (a txid key's first two words): the block window's
//                 transactions, kept at half the bytes of a full key.

import { freeBuffer } from '../runtime/free-buffer.ts';
import { KeyBuckets, mixKey, tableCapacity } from './key-buckets.ts';

/**
 * After a sweep the spender index doubles if its live entries still fill this share: sweeps then
 * come at most every 30 % of the table's size in new entries, which keeps their cost (a pass over
 * the table) near three buckets per entry added.
 */
const SWEPT_LOAD = 0.3;
/** Buckets of a new table: the tables grow with the window. */
const FIRST_CAPACITY = 16;
/** TxidTable.get's answer for a key it does not hold. */
const NONE = -1;

export class TxidTable {
  /** Words per bucket: key (4), value. */
  private readonly buckets = new KeyBuckets(4, 5, FIRST_CAPACITY);

  get size(): number {
    return this.buckets.count;
  }

  /** The value stored for the key at key[at …], or -1. */
  get(key: Int32Array, at = 0): number {
    const b = this.buckets.find(key, at);
    return b < 0 ? NONE : this.buckets.words[b * 5 + 4];
  }

  has(key: Int32Array, at = 0): boolean {
    return this.buckets.find(key, at) >= 0;
  }

  /**
   * Grows now if one more entry would need it, so that a lookup's free bucket (a negative
   * bucket() result) stays valid for insertAt.
   */
  reserve(): void {
    if (this.buckets.full) this.buckets.rehash(this.buckets.capacity * 2);
  }

  /**
   * Stores value (≥ 0) for a key found missing by bucket() (which returned `missing`), after
   * reserve() and with no other change to the table in between: no second probe.
   */
  insertAt(missing: number, key: Int32Array, value: number): void {
    const b = ~missing;
    this.buckets.placeAt(b, key, 0);
    this.buckets.words[b * 5 + 4] = value;
  }

  /** The bucket of `key` (for deleteAt or insertAt), or a negative number (see KeyBuckets.find). */
  bucket(key: Int32Array): number {
    return this.buckets.find(key, 0);
  }

  /** The value in a bucket from bucket(). */
  valueAt(bucket: number): number {
    return this.buckets.words[bucket * 5 + 4];
  }

  /** Removes the entry in a bucket from bucket(), with no other change to the table in between. */
  deleteAt(bucket: number): void {
    this.buckets.removeAt(bucket);
  }

  /** Removes `key`; false when it was not there. */
  delete(key: Int32Array): boolean {
    const b = this.buckets.find(key, 0);
    if (b < 0) return false;
    this.buckets.removeAt(b);
    return true;
  }

  clear(): void {
    this.buckets.clear(FIRST_CAPACITY);
  }
}

/** Is (slot, generation) still the same child? The window answers. */
export type LiveCheck = (slot: number, generation: number) => boolean;

export class SpenderIndex {
  /** Words per bucket: key (4), child slot, child generation. */
  private readonly buckets = new KeyBuckets(4, 6, FIRST_CAPACITY);
  /** 8 bits per bucket: bit set for every key held (false positives only, below 8 % at 60 % load). */
  private bitmap = new Uint32Array(FIRST_CAPACITY / 4);
  private readonly live: LiveCheck;

  constructor(live: LiveCheck) {
    this.live = live;
  }

  /** Entries held, stale ones included. */
  get size(): number {
    return this.buckets.count;
  }

  /** Records that (slot, generation) spends from the txid whose key is at keys[at …]. */
  add(keys: Int32Array, at: number, slot: number, generation: number): void {
    const buckets = this.buckets;
    if (buckets.full) this.sweep();
    // One mix for both the bitmap and the table.
    const mixed = buckets.mix(keys, at);
    const bit = mixed & (this.bitmap.length * 32 - 1);
    this.bitmap[bit >>> 5] |= 1 << (bit & 31);
    const w = buckets.placeMixed(keys, at, mixed) * 6;
    buckets.words[w + 4] = slot;
    buckets.words[w + 5] = generation;
  }

  /**
   * Calls `visit(slot)` for every live child spending from `key` (each once per entry), dropping
   * the stale entries it meets.
   */
  forEachChild(key: Int32Array, visit: (slot: number) => void): void {
    const buckets = this.buckets;
    const mixed = buckets.mix(key, 0);
    const bit = mixed & (this.bitmap.length * 32 - 1);
    if ((this.bitmap[bit >>> 5] & (1 << (bit & 31))) === 0) return;
    const { words, tags, mask } = buckets;
    let b = mixed & mask;
    while (tags[b] !== 0) {
      if (buckets.holds(b, key, 0, mixed)) {
        const w = b * 6;
        if (!this.live(words[w + 4], words[w + 5] >>> 0)) {
          buckets.removeAt(b); // the next entry of the run may have moved into b: look at b again
          continue;
        }
        visit(words[w + 4]);
      }
      b = (b + 1) & mask;
    }
  }

  clear(): void {
    this.buckets.clear(FIRST_CAPACITY);
    this.bitmap = new Uint32Array(FIRST_CAPACITY / 4);
  }

  /** Drops the stale entries; doubles the table when the live ones still fill SWEPT_LOAD. */
  private sweep(): void {
    const buckets = this.buckets;
    const { words, tags } = buckets;
    // One pass: free the stale buckets, mark the live keys in the bitmap (kept at this size).
    const bitmap = this.bitmap.fill(0);
    const bits = bitmap.length * 32 - 1;
    for (let b = 0; b < tags.length; b++) {
      if (tags[b] === 0) continue;
      const w = b * 6;
      if (!this.live(words[w + 4], words[w + 5] >>> 0)) buckets.clearAt(b);
      else {
        const bit = mixKey(words, w, 4) & bits;
        bitmap[bit >>> 5] |= 1 << (bit & 31);
      }
    }
    if (buckets.count <= buckets.capacity * SWEPT_LOAD) {
      buckets.reseat(); // freed buckets may have cut probe runs short
      return;
    }
    buckets.rehash(buckets.capacity * 2);
    freeBuffer(this.bitmap);
    this.bitmap = new Uint32Array(buckets.capacity / 4);
    const held = buckets.tags;
    const wider = this.bitmap.length * 32 - 1;
    for (let b = 0; b < held.length; b++) {
      if (held[b] === 0) continue;
      const bit = mixKey(buckets.words, b * 6, 4) & wider;
      this.bitmap[bit >>> 5] |= 1 << (bit & 31);
    }
  }
}

export class KeySet {
  /** Words per bucket: the key's two. */
  private readonly buckets: KeyBuckets;

  constructor(capacity = 1024) {
    this.buckets = new KeyBuckets(2, 2, tableCapacity(capacity));
  }

  get size(): number {
    return this.buckets.count;
  }

  get bytes(): number {
    return this.buckets.bytes;
  }

  /** Whether the set holds the key at keys[at], keys[at + 1]. */
  has(keys: Int32Array, at: number): boolean {
    return this.buckets.find(keys, at) >= 0;
  }

  /** Adds the key at keys[at], keys[at + 1]; false when it was already there. */
  add(keys: Int32Array, at: number): boolean {
    const buckets = this.buckets;
    let b = buckets.find(keys, at);
    if (b >= 0) return false;
    if (buckets.full) {
      buckets.rehash(buckets.capacity * 2);
      b = buckets.find(keys, at);
    }
    buckets.placeAt(~b, keys, at);
    return true;
  }

  /** Removes the key at keys[at], keys[at + 1]; false when it was not there. */
  delete(keys: Int32Array, at: number): boolean {
    const b = this.buckets.find(keys, at);
    if (b < 0) return false;
    this.buckets.removeAt(b);
    return true;
  }
}
