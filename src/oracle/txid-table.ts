// Hash tables keyed by txid keys (txid-key.ts: four 32-bit words), in typed arrays: no object or
// string per entry, so a window of hundreds of thousands of transactions costs little memory and
// no garbage collection. Open addressing with linear probing; the home bucket mixes all four
// words, so even txids made to share some bits (ground for it, or synthetic) spread evenly.
//   TxidTable:   key → one value (the window's slot of a txid).
//   SpenderIndex: key → many (child slot, generation) pairs (who spends from a txid). Entries of
//                 children that have since left are dropped lazily: when met, and in one sweep
//                 when the table fills (it grows only if the live entries alone fill half of
//                 it after the sweep).

/**
 * Grow (or sweep) when more than 60 % of buckets are taken: a miss, the common case, then probes
 * under four buckets on average, and a window of 300,000 transactions stays near 150 bytes an
 * output (bench/estimate.ts).
 */
const MAX_LOAD = 0.6;
/** After a sweep the spender index doubles if its live entries still fill this share: sweeps then
 * come at most every 15 % of the table's size in new entries. */
const SWEPT_LOAD = 0.45;
const EMPTY = -1;

/** Home bucket of a key: the four words mixed (multiply-xorshift), masked to the table size. */
function home(k0: number, k1: number, k2: number, k3: number, mask: number): number {
  let h = Math.imul(k0 ^ 0x9e3779b9, 0x85ebca6b);
  h = Math.imul(h ^ (h >>> 13) ^ k1, 0xc2b2ae35);
  h = Math.imul(h ^ (h >>> 16) ^ k2, 0x85ebca6b);
  h = Math.imul(h ^ (h >>> 13) ^ k3, 0xc2b2ae35);
  return (h ^ (h >>> 16)) & mask;
}

function capacityFor(entries: number): number {
  let cap = 16;
  while (entries > cap * MAX_LOAD) cap *= 2;
  return cap;
}

export class TxidTable {
  private keys: Int32Array;
  private values: Int32Array;
  private count = 0;

  constructor(entries = 0) {
    const cap = capacityFor(entries);
    this.keys = new Int32Array(cap * 4);
    this.values = new Int32Array(cap).fill(EMPTY);
  }

  get size(): number {
    return this.count;
  }

  /** The bucket holding `key`, or -1. */
  private bucketOf(key: Int32Array): number {
    const { keys, values } = this;
    const mask = values.length - 1;
    for (let b = home(key[0], key[1], key[2], key[3], mask); ; b = (b + 1) & mask) {
      if (values[b] === EMPTY) return -1;
      const k = 4 * b;
      if (keys[k] === key[0] && keys[k + 1] === key[1] && keys[k + 2] === key[2] && keys[k + 3] === key[3])
        return b;
    }
  }

  /** The value stored for `key`, or -1. */
  get(key: Int32Array): number {
    const b = this.bucketOf(key);
    return b < 0 ? EMPTY : this.values[b];
  }

  has(key: Int32Array): boolean {
    return this.bucketOf(key) >= 0;
  }

  /** Stores value (≥ 0) for a key that is not in the table. */
  insert(key: Int32Array, value: number): void {
    if (this.count + 1 > this.values.length * MAX_LOAD) this.rehash(this.values.length * 2);
    const { keys, values } = this;
    const mask = values.length - 1;
    let b = home(key[0], key[1], key[2], key[3], mask);
    while (values[b] !== EMPTY) b = (b + 1) & mask;
    keys.set(key, 4 * b);
    values[b] = value;
    this.count++;
  }

  /** Removes `key`; false when it was not there. */
  delete(key: Int32Array): boolean {
    const b = this.bucketOf(key);
    if (b < 0) return false;
    this.removeAt(b);
    return true;
  }

  clear(): void {
    this.values.fill(EMPTY);
    this.count = 0;
  }

  /** Backward-shift deletion: later entries of the probe run move up, so no tombstones are needed. */
  private removeAt(hole: number): void {
    const { keys, values } = this;
    const mask = values.length - 1;
    let gap = hole;
    for (let b = (gap + 1) & mask; values[b] !== EMPTY; b = (b + 1) & mask) {
      const k = 4 * b;
      const h = home(keys[k], keys[k + 1], keys[k + 2], keys[k + 3], mask);
      // Move b into the gap when its home is not within (gap, b] (cyclically).
      if (((b - h) & mask) >= ((b - gap) & mask)) {
        keys.copyWithin(4 * gap, 4 * b, 4 * b + 4);
        values[gap] = values[b];
        gap = b;
      }
    }
    values[gap] = EMPTY;
    this.count--;
  }

  private rehash(capacity: number): void {
    const { keys, values } = this;
    this.keys = new Int32Array(capacity * 4);
    this.values = new Int32Array(capacity).fill(EMPTY);
    this.count = 0;
    const key = new Int32Array(4);
    for (let b = 0; b < values.length; b++) {
      if (values[b] === EMPTY) continue;
      key.set(keys.subarray(4 * b, 4 * b + 4));
      this.insert(key, values[b]);
    }
  }
}

/** Is (slot, generation) still the same child? The window answers. */
export type LiveCheck = (slot: number, generation: number) => boolean;

export class SpenderIndex {
  private keys: Int32Array;
  /** Child slot per bucket, EMPTY when free. */
  private slots: Int32Array;
  private generations: Uint32Array;
  private count = 0;
  private readonly live: LiveCheck;

  constructor(live: LiveCheck) {
    this.live = live;
    this.keys = new Int32Array(16 * 4);
    this.slots = new Int32Array(16).fill(EMPTY);
    this.generations = new Uint32Array(16);
  }

  /** Entries held, stale ones included. */
  get size(): number {
    return this.count;
  }

  /** Records that (slot, generation) spends from `key`. */
  add(key: Int32Array, slot: number, generation: number): void {
    if (this.count + 1 > this.slots.length * MAX_LOAD) this.rebuild();
    const { keys, slots } = this;
    const mask = slots.length - 1;
    let b = home(key[0], key[1], key[2], key[3], mask);
    while (slots[b] !== EMPTY) b = (b + 1) & mask;
    keys.set(key, 4 * b);
    slots[b] = slot;
    this.generations[b] = generation;
    this.count++;
  }

  /**
   * Calls `visit(slot)` for every live child spending from `key` (each once per entry), dropping
   * the stale entries it meets.
   */
  forEachChild(key: Int32Array, visit: (slot: number) => void): void {
    const mask = this.slots.length - 1;
    let b = home(key[0], key[1], key[2], key[3], mask);
    while (this.slots[b] !== EMPTY) {
      const k = 4 * b;
      const { keys, slots } = this;
      if (keys[k] === key[0] && keys[k + 1] === key[1] && keys[k + 2] === key[2] && keys[k + 3] === key[3]) {
        if (!this.live(slots[b], this.generations[b])) {
          this.removeAt(b); // the next entry may have moved into b: look at b again
          continue;
        }
        visit(slots[b]);
      }
      b = (b + 1) & mask;
    }
  }

  clear(): void {
    this.slots.fill(EMPTY);
    this.count = 0;
  }

  private removeAt(hole: number): void {
    const { keys, slots, generations } = this;
    const mask = slots.length - 1;
    let gap = hole;
    for (let b = (gap + 1) & mask; slots[b] !== EMPTY; b = (b + 1) & mask) {
      const k = 4 * b;
      const h = home(keys[k], keys[k + 1], keys[k + 2], keys[k + 3], mask);
      if (((b - h) & mask) >= ((b - gap) & mask)) {
        keys.copyWithin(4 * gap, 4 * b, 4 * b + 4);
        slots[gap] = slots[b];
        generations[gap] = generations[b];
        gap = b;
      }
    }
    slots[gap] = EMPTY;
    this.count--;
  }

  /** Sweeps out stale entries in place; doubles the table when the live ones still fill SWEPT_LOAD. */
  private rebuild(): void {
    for (let b = 0; b < this.slots.length; b++) {
      while (this.slots[b] !== EMPTY && !this.live(this.slots[b], this.generations[b])) this.removeAt(b);
    }
    if (this.count <= this.slots.length * SWEPT_LOAD) return;
    const { keys, slots, generations } = this;
    const capacity = slots.length * 2;
    this.keys = new Int32Array(capacity * 4);
    this.slots = new Int32Array(capacity).fill(EMPTY);
    this.generations = new Uint32Array(capacity);
    this.count = 0;
    const key = new Int32Array(4);
    for (let b = 0; b < slots.length; b++) {
      if (slots[b] === EMPTY) continue;
      key.set(keys.subarray(4 * b, 4 * b + 4));
      this.add(key, slots[b], generations[b]);
    }
  }
}
