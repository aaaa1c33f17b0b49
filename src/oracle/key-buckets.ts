// The hash table under every table keyed by txid keys (txid-table.ts: TxidTable, SpenderIndex,
// KeySet). In: keys of 2 or 4 of a txid key's 32-bit words (txid-key.ts), read from any Int32Array
// at an offset, so a caller never copies a key it already holds in a column. Out: bucket numbers;
// each bucket holds the key's words and then the caller's own words (a value, a generation).
// Open addressing with linear probing in typed arrays: no object or string per entry, so hundreds
// of thousands of txids cost little memory and no garbage collection. The home bucket mixes every
// word of the key, so even keys made to share some bits spread evenly. A one-byte tag per bucket
// (7 bits of the mix, 0 when free) is read first: a probe touches a bucket's words only where the
// tag matches, so looking up a txid that is not there (the common case) reads no words at all.
// Deletion shifts the rest of the run back: no tombstones.

import { freeBuffer } from '../runtime/free-buffer.ts';

/**
 * Grow (or sweep) when more than 60 % of buckets are taken: a miss, the common case, then probes
 * under four buckets on average.
 */
export const MAX_LOAD = 0.6;

/** Words of a key: 2 (the first 8 bytes of the txid) or 4 (the first 16). */
export type KeyWidth = 2 | 4;

/** The key at keys[at …] mixed (multiply-xorshift) into 32 bits. */
export function mixKey(keys: Int32Array, at: number, width: KeyWidth): number {
  let h = Math.imul(keys[at] ^ 0x9e3779b9, 0x85ebca6b);
  h = Math.imul(h ^ (h >>> 13) ^ keys[at + 1], 0xc2b2ae35);
  if (width === 4) {
    h = Math.imul(h ^ (h >>> 16) ^ keys[at + 2], 0x85ebca6b);
    h = Math.imul(h ^ (h >>> 13) ^ keys[at + 3], 0xc2b2ae35);
  }
  return h ^ (h >>> 16);
}

/** A bucket's tag: 7 high bits of its key's mix (the home uses the low bits) with the top bit set. */
function tagOf(mixed: number): number {
  return (mixed >>> 25) | 0x80;
}

/** Copies a bucket's `stride` words from `from` to `to` (a loop: cheaper than copyWithin for a few words). */
function moveBucket(words: Int32Array, from: number, to: number, stride: number): void {
  for (let i = 0; i < stride; i++) words[to + i] = words[from + i];
}

/** The smallest power of two at least `n` (and at least 16): a table's capacity. */
export function tableCapacity(n: number): number {
  let capacity = 16;
  while (capacity < n) capacity *= 2;
  return capacity;
}

export class KeyBuckets {
  readonly width: KeyWidth;
  /** Words per bucket: the key's, then the caller's. */
  readonly stride: number;
  words: Int32Array;
  /** One tag per bucket (tagOf), 0 when the bucket is free. */
  tags: Uint8Array;
  mask: number;
  count = 0;

  /** `capacity`: a power of two (tableCapacity). */
  constructor(width: KeyWidth, stride: number, capacity: number) {
    this.width = width;
    this.stride = stride;
    this.words = new Int32Array(capacity * stride);
    this.tags = new Uint8Array(capacity);
    this.mask = capacity - 1;
  }

  get capacity(): number {
    return this.mask + 1;
  }

  /** Whether one more entry would take the table past MAX_LOAD. */
  get full(): boolean {
    return this.count + 1 > this.capacity * MAX_LOAD;
  }

  /** Bytes of the table's arrays. */
  get bytes(): number {
    return this.words.byteLength + this.tags.byteLength;
  }

  mix(keys: Int32Array, at: number): number {
    return mixKey(keys, at, this.width);
  }

  /** The bucket holding the key at keys[at …], or a negative number: ~ the free bucket ending its run. */
  find(keys: Int32Array, at: number): number {
    const { words, tags, stride, mask, width } = this;
    const mixed = mixKey(keys, at, width);
    const tag = tagOf(mixed);
    for (let b = mixed & mask; ; b = (b + 1) & mask) {
      const t = tags[b];
      if (t === 0) return ~b;
      if (t !== tag) continue;
      const w = b * stride;
      if (
        words[w] === keys[at] &&
        words[w + 1] === keys[at + 1] &&
        (width === 2 || (words[w + 2] === keys[at + 2] && words[w + 3] === keys[at + 3]))
      )
        return b;
    }
  }

  /** Whether bucket b holds the key at keys[at …], whose mix is `mixed`. */
  holds(b: number, keys: Int32Array, at: number, mixed: number): boolean {
    if (this.tags[b] !== tagOf(mixed)) return false;
    const words = this.words;
    const w = b * this.stride;
    return (
      words[w] === keys[at] &&
      words[w + 1] === keys[at + 1] &&
      (this.width === 2 || (words[w + 2] === keys[at + 2] && words[w + 3] === keys[at + 3]))
    );
  }

  /**
   * Puts the key in the first free bucket from its home, whether or not it is there already (a
   * multimap holds a key many times); returns the bucket.
   */
  place(keys: Int32Array, at: number): number {
    return this.placeMixed(keys, at, mixKey(keys, at, this.width));
  }

  /** place() for a key whose mix the caller has worked out already. */
  placeMixed(keys: Int32Array, at: number, mixed: number): number {
    const { tags, mask } = this;
    let b = mixed & mask;
    while (tags[b] !== 0) b = (b + 1) & mask;
    this.take(b, keys, at, mixed);
    return b;
  }

  /** Takes the free bucket `b` (~ a find() result, the table unchanged since) for the key. */
  placeAt(b: number, keys: Int32Array, at: number): void {
    this.take(b, keys, at, mixKey(keys, at, this.width));
  }

  /** Empties bucket `b`: later entries of its run move back, so no tombstones are needed. */
  removeAt(hole: number): void {
    const { words, tags, stride, mask, width } = this;
    let gap = hole;
    for (let b = (gap + 1) & mask; tags[b] !== 0; b = (b + 1) & mask) {
      const w = b * stride;
      const home = mixKey(words, w, width) & mask;
      // Move b into the gap unless its home lies cyclically in (gap, b].
      if (((b - home) & mask) >= ((b - gap) & mask)) {
        moveBucket(words, w, gap * stride, stride);
        tags[gap] = tags[b];
        gap = b;
      }
    }
    tags[gap] = 0;
    this.count--;
  }

  /**
   * Empties bucket `b` without moving the rest of its run: only for clearing many buckets at once
   * (a sweep), which must then reseat() or rehash() before the next lookup.
   */
  clearAt(b: number): void {
    this.tags[b] = 0;
    this.count--;
  }

  /** Puts every entry back at the first free bucket from its home, in place: after clearAt(). */
  reseat(): void {
    const { words, tags, stride, mask, width } = this;
    const capacity = this.capacity;
    let start = 0;
    while (start < capacity && tags[start] !== 0) start++;
    if (start === capacity) return;
    // Round the table once from a free bucket: an entry's home run then holds only entries
    // already seated, so each one lands where a lookup will look for it.
    for (let i = 1; i <= capacity; i++) {
      const b = (start + i) & mask;
      if (tags[b] === 0) continue;
      const w = b * stride;
      const home = mixKey(words, w, width) & mask;
      let to = home;
      while (to !== b && tags[to] !== 0) to = (to + 1) & mask;
      if (to === b) continue;
      moveBucket(words, w, to * stride, stride);
      tags[to] = tags[b];
      tags[b] = 0;
    }
  }

  /** Moves every entry into new arrays of `capacity` buckets (a power of two), freeing the old ones. */
  rehash(capacity: number): void {
    const { words, tags, stride, width } = this;
    this.words = new Int32Array(capacity * stride);
    this.tags = new Uint8Array(capacity);
    this.mask = capacity - 1;
    const next = this.words;
    for (let b = 0; b < tags.length; b++) {
      if (tags[b] === 0) continue;
      const w = b * stride;
      const n = this.placeMixed(words, w, mixKey(words, w, width)) * stride;
      for (let i = width; i < stride; i++) next[n + i] = words[w + i];
      this.count--; // placeMixed counted it again
    }
    freeBuffer(words);
    freeBuffer(tags);
  }

  /** Forgets every entry, back to `capacity` buckets. */
  clear(capacity: number): void {
    freeBuffer(this.words);
    freeBuffer(this.tags);
    this.words = new Int32Array(capacity * this.stride);
    this.tags = new Uint8Array(capacity);
    this.mask = capacity - 1;
    this.count = 0;
  }

  private take(b: number, keys: Int32Array, at: number, mixed: number): void {
    const words = this.words;
    const w = b * this.stride;
    this.tags[b] = tagOf(mixed);
    words[w] = keys[at];
    words[w + 1] = keys[at + 1];
    if (this.width === 4) {
      words[w + 2] = keys[at + 2];
      words[w + 3] = keys[at + 3];
    }
    this.count++;
  }
}
