// Hash tables keyed by txid keys (txid-key.ts: four 32-bit words), in typed arrays (the buckets'
// words, and a one-byte tag per bucket): no object or string per entry, so a window of hundreds
// of thousands of transactions costs little memory and no garbage collection. Open addressing
// with linear probing; the home bucket mixes all four words, so even txids made to share some
// bits (ground for it, or synthetic) spread evenly. A probe walks the tags (a small array that
// stays in cache) and reads a bucket's words only where the tag matches: looking up a txid that
// is not there, the common case, touches no bucket at all.
//   TxidTable:    key → one value (the window's slot of a txid).
//   SpenderIndex: key → many (child slot, generation) pairs (who spends from a txid). Entries of
//                 children that have since left are dropped lazily: when met, and in one sweep
//                 when the table fills (it grows only if the live entries alone still fill
//                 SWEPT_LOAD of it after the sweep). A bitmap of the keys held (8 bits a bucket,
//                 rebuilt at each sweep) answers most "any child?" questions without a probe:
//                 most transactions have no child in the window.

import { freeBuffer } from '../runtime/free-buffer.ts';

/**
 * Grow (or sweep) when more than 60 % of buckets are taken: a miss, the common case, then probes
 * under four buckets on average, and a window of 300,000 transactions stays near 150 bytes an
 * output (bench/estimate.ts).
 */
const MAX_LOAD = 0.6;
/**
 * After a sweep the spender index doubles if its live entries still fill this share: sweeps then
 * come at most every 30 % of the table's size in new entries, which keeps their cost (a pass over
 * the table) near three buckets per entry added.
 */
const SWEPT_LOAD = 0.3;
const EMPTY = -1;

/** The four words of a key mixed (multiply-xorshift) into 32 bits. */
function mix(k0: number, k1: number, k2: number, k3: number): number {
  let h = Math.imul(k0 ^ 0x9e3779b9, 0x85ebca6b);
  h = Math.imul(h ^ (h >>> 13) ^ k1, 0xc2b2ae35);
  h = Math.imul(h ^ (h >>> 16) ^ k2, 0x85ebca6b);
  h = Math.imul(h ^ (h >>> 13) ^ k3, 0xc2b2ae35);
  return h ^ (h >>> 16);
}

/**
 * A bucket's tag: 7 high bits of its key's mix (the home uses the low bits) with the top bit set;
 * 0 marks a free bucket. Probes read the small tag array and touch a bucket's words only on a tag
 * match: a miss, the common case (a parent not in the window, a new txid), then reads no words.
 */
function tagOf(mixed: number): number {
  return (mixed >>> 25) | 0x80;
}

/** Home bucket of a key: its mix masked to the table size. */
function home(k0: number, k1: number, k2: number, k3: number, mask: number): number {
  return mix(k0, k1, k2, k3) & mask;
}

/**
 * Open-addressing storage: `stride` words per bucket, the key in words 0–3, a value (≥ 0, or
 * EMPTY for a free bucket) in word 4, and optional extra words after it.
 */
class Buckets {
  readonly stride: number;
  words: Int32Array;
  /** One tag per bucket (tagOf), 0 when free: kept in step with word 4. */
  readonly tags: Uint8Array;
  mask: number;
  count = 0;

  constructor(stride: number, capacity: number) {
    this.stride = stride;
    this.words = Buckets.empty(stride, capacity);
    this.tags = new Uint8Array(capacity);
    this.mask = capacity - 1;
  }

  static empty(stride: number, capacity: number): Int32Array {
    const words = new Int32Array(capacity * stride);
    for (let b = 0; b < capacity; b++) words[b * stride + 4] = EMPTY;
    return words;
  }

  get capacity(): number {
    return this.mask + 1;
  }

  /** Gives the memory back now (free-buffer.ts), once the entries were moved to a bigger table. */
  free(): void {
    freeBuffer(this.words);
    freeBuffer(this.tags);
  }

  /** The bucket holding `key`, or a negative number (~bucket of the empty bucket ending its run). */
  find(key: Int32Array): number {
    const { words, tags, stride, mask } = this;
    const mixed = mix(key[0], key[1], key[2], key[3]);
    const tag = tagOf(mixed);
    for (let b = mixed & mask; ; b = (b + 1) & mask) {
      const t = tags[b];
      if (t === 0) return ~b;
      if (t !== tag) continue;
      const w = b * stride;
      if (
        words[w] === key[0] &&
        words[w + 1] === key[1] &&
        words[w + 2] === key[2] &&
        words[w + 3] === key[3]
      )
        return b;
    }
  }

  /** A free bucket for `key` (the caller fills word 4 and up). */
  place(key: Int32Array): number {
    return this.placeMixed(key, mix(key[0], key[1], key[2], key[3]));
  }

  /** place() for a key whose mix() the caller has already worked out. */
  placeMixed(key: Int32Array, mixed: number): number {
    const { words, tags, stride, mask } = this;
    let b = mixed & mask;
    while (tags[b] !== 0) b = (b + 1) & mask;
    tags[b] = tagOf(mixed);
    const w = b * stride;
    words[w] = key[0];
    words[w + 1] = key[1];
    words[w + 2] = key[2];
    words[w + 3] = key[3];
    this.count++;
    return b;
  }

  /** Takes the free bucket `b` (from find: ~result) for `key`, the table unchanged since. */
  placeAt(b: number, key: Int32Array): void {
    this.tags[b] = tagOf(mix(key[0], key[1], key[2], key[3]));
    const words = this.words;
    const w = b * this.stride;
    words[w] = key[0];
    words[w + 1] = key[1];
    words[w + 2] = key[2];
    words[w + 3] = key[3];
    this.count++;
  }

  /** Backward-shift deletion: later entries of the run move up, so no tombstones are needed. */
  removeAt(hole: number): void {
    const { words, tags, stride, mask } = this;
    let gap = hole;
    for (let b = (gap + 1) & mask; tags[b] !== 0; b = (b + 1) & mask) {
      const w = b * stride;
      const h = home(words[w], words[w + 1], words[w + 2], words[w + 3], mask);
      // Move b into the gap when its home is not within (gap, b] (cyclically).
      if (((b - h) & mask) >= ((b - gap) & mask)) {
        words.copyWithin(gap * stride, w, w + stride);
        tags[gap] = tags[b];
        gap = b;
      }
    }
    words[gap * stride + 4] = EMPTY;
    tags[gap] = 0;
    this.count--;
  }
}

export class TxidTable {
  private buckets = new Buckets(5, 16);
  private readonly key = new Int32Array(4);

  get size(): number {
    return this.buckets.count;
  }

  /** The value stored for `key`, or -1. */
  get(key: Int32Array): number {
    const b = this.buckets.find(key);
    return b < 0 ? EMPTY : this.buckets.words[b * 5 + 4];
  }

  has(key: Int32Array): boolean {
    return this.buckets.find(key) >= 0;
  }

  /** Stores value (≥ 0) for a key that is not in the table. */
  insert(key: Int32Array, value: number): void {
    if (this.buckets.count + 1 > this.buckets.capacity * MAX_LOAD) this.grow();
    const b = this.buckets.place(key);
    this.buckets.words[b * 5 + 4] = value;
  }

  /**
   * Grows now if one more entry would need it, so that a lookup's free bucket (a negative
   * bucket() result) stays valid for insertAt.
   */
  reserve(): void {
    if (this.buckets.count + 1 > this.buckets.capacity * MAX_LOAD) this.grow();
  }

  /**
   * Stores value (≥ 0) for a key found missing by bucket() (which returned `missing`), after
   * reserve() and with no other change to the table in between: no second probe.
   */
  insertAt(missing: number, key: Int32Array, value: number): void {
    const b = ~missing;
    this.buckets.placeAt(b, key);
    this.buckets.words[b * 5 + 4] = value;
  }

  /** The bucket of `key` (for deleteAt or insertAt), or a negative number (see Buckets.find). */
  bucket(key: Int32Array): number {
    return this.buckets.find(key);
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
    const b = this.buckets.find(key);
    if (b < 0) return false;
    this.buckets.removeAt(b);
    return true;
  }

  clear(): void {
    this.buckets = new Buckets(5, 16);
  }

  private grow(): void {
    const old = this.buckets;
    this.buckets = new Buckets(5, old.capacity * 2);
    const key = this.key;
    for (let w = 0; w < old.words.length; w += 5) {
      if (old.words[w + 4] === EMPTY) continue;
      key[0] = old.words[w];
      key[1] = old.words[w + 1];
      key[2] = old.words[w + 2];
      key[3] = old.words[w + 3];
      this.buckets.words[this.buckets.place(key) * 5 + 4] = old.words[w + 4];
    }
    old.free();
  }
}

/** Is (slot, generation) still the same child? The window answers. */
export type LiveCheck = (slot: number, generation: number) => boolean;

/** Bit of a key in a bitmap of `bits` bits (a power of two). */
function bitOf(key: Int32Array, bits: number): number {
  return home(key[0], key[1], key[2], key[3], bits - 1);
}

export class SpenderIndex {
  /** Words per bucket: key (4), child slot, child generation. */
  private buckets = new Buckets(6, 16);
  /** 8 bits per bucket: bit set for every key held (false positives only, below 8 % at 60 % load). */
  private bitmap = new Uint32Array(16 / 4);
  private readonly live: LiveCheck;
  private readonly key = new Int32Array(4);

  constructor(live: LiveCheck) {
    this.live = live;
  }

  /** Entries held, stale ones included. */
  get size(): number {
    return this.buckets.count;
  }

  /** Records that (slot, generation) spends from `key`. */
  add(key: Int32Array, slot: number, generation: number): void {
    if (this.buckets.count + 1 > this.buckets.capacity * MAX_LOAD) this.sweep();
    // One mix for both the bitmap and the table (bitOf is home() at the bitmap's size).
    const mixed = mix(key[0], key[1], key[2], key[3]);
    const bit = mixed & (this.bitmap.length * 32 - 1);
    this.bitmap[bit >>> 5] |= 1 << (bit & 31);
    const w = this.buckets.placeMixed(key, mixed) * 6;
    this.buckets.words[w + 4] = slot;
    this.buckets.words[w + 5] = generation;
  }

  /**
   * Calls `visit(slot)` for every live child spending from `key` (each once per entry), dropping
   * the stale entries it meets.
   */
  forEachChild(key: Int32Array, visit: (slot: number) => void): void {
    const mixed = mix(key[0], key[1], key[2], key[3]);
    const bit = mixed & (this.bitmap.length * 32 - 1); // bitOf(key, …), from the same mix
    if ((this.bitmap[bit >>> 5] & (1 << (bit & 31))) === 0) return;
    const buckets = this.buckets;
    const { words, mask } = buckets;
    let b = mixed & mask;
    for (;;) {
      const w = b * 6;
      if (words[w + 4] === EMPTY) return;
      if (
        words[w] === key[0] &&
        words[w + 1] === key[1] &&
        words[w + 2] === key[2] &&
        words[w + 3] === key[3]
      ) {
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
    this.buckets = new Buckets(6, 16);
    this.bitmap = new Uint32Array(16 / 4);
  }

  private mark(key: Int32Array): void {
    const bit = bitOf(key, this.bitmap.length * 32);
    this.bitmap[bit >>> 5] |= 1 << (bit & 31);
  }

  /** Sweeps out stale entries in place; doubles the table when the live ones still fill SWEPT_LOAD. */
  private sweep(): void {
    const old = this.buckets;
    const words = old.words;
    const capacity = old.capacity;
    // 1. Free the stale buckets.
    let live = 0;
    let start = -1;
    for (let b = 0; b < capacity; b++) {
      const w = b * 6;
      if (words[w + 4] === EMPTY) {
        if (start < 0) start = b;
      } else if (!this.live(words[w + 4], words[w + 5] >>> 0)) {
        words[w + 4] = EMPTY;
        old.tags[b] = 0;
        if (start < 0) start = b;
      } else live++;
    }
    // 2. Put every remaining entry back at the first free bucket from its home, walking once
    // round the table from a free bucket: freeing buckets may have cut probe runs short.
    const key = this.key;
    old.count = 0;
    this.bitmap.fill(0);
    for (let i = 1; i <= capacity; i++) {
      const b = (start + i) & old.mask;
      const w = b * 6;
      if (words[w + 4] === EMPTY) continue;
      const slot = words[w + 4];
      const generation = words[w + 5];
      words[w + 4] = EMPTY;
      old.tags[b] = 0;
      key[0] = words[w];
      key[1] = words[w + 1];
      key[2] = words[w + 2];
      key[3] = words[w + 3];
      this.mark(key);
      const n = old.place(key) * 6;
      words[n + 4] = slot;
      words[n + 5] = generation;
    }
    if (live <= capacity * SWEPT_LOAD) return;
    this.buckets = new Buckets(6, capacity * 2);
    freeBuffer(this.bitmap);
    this.bitmap = new Uint32Array((capacity * 2) / 4);
    for (let w = 0; w < words.length; w += 6) {
      if (words[w + 4] === EMPTY) continue;
      key[0] = words[w];
      key[1] = words[w + 1];
      key[2] = words[w + 2];
      key[3] = words[w + 3];
      this.mark(key);
      const n = this.buckets.place(key) * 6;
      this.buckets.words[n + 4] = words[w + 4];
      this.buckets.words[n + 5] = words[w + 5];
    }
    old.free();
  }
}
