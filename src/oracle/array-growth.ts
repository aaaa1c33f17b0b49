// How a typed array grows, one rule for every column the windows and the mempool entries keep.
// In: an array and the number of entries it must hold. Out: the same array when it has room, else
// a longer copy, with the outgrown array's memory given back at once (free-buffer.ts) instead of
// when a full GC finds it. Columns that grow together take one size from grownLength().

import { freeBuffer } from '../runtime/free-buffer.ts';

/**
 * Each copy makes room for half as many entries again: over a column's life copying costs about
 * two writes an entry, and a grown column is at most a third empty (a window holds hundreds of
 * thousands of entries, so the slack is what matters).
 */
const GROWTH = 1.5;

export type GrowableArray = Uint8Array | Uint16Array | Uint32Array | Int32Array | Float64Array;

/**
 * The length a column of `length` entries grows to when it must hold `needed`. For columns that
 * grow together, call it once and grow each to that size (times its entries per item): grown()
 * then gives each exactly that length.
 */
export function grownLength(length: number, needed: number): number {
  return Math.max(needed, Math.ceil(length * GROWTH));
}

/**
 * `array` when it holds `needed` entries; else a copy of grownLength(array.length, needed)
 * entries (the new ones zero), and the old array's memory freed: keep no other view of it.
 */
export function grown<T extends GrowableArray>(array: T, needed: number): T {
  if (needed <= array.length) return array;
  const bigger = new (array.constructor as new (length: number) => T)(grownLength(array.length, needed));
  bigger.set(array);
  freeBuffer(array);
  return bigger;
}
