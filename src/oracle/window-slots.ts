// The window's per-transaction records, one 40-byte record per slot in one buffer, so everything
// the window reads or writes about a transaction sits in one cache line:
//
//   bytes  0– 7  time (f64)            24–27  generation (u32)     32–33  vout A (u16)
//          8–15  value A, sats (f64)   28–29  bin A (u16)          34–35  vout B (u16)
//         16–23  value B, sats (f64)   30–31  bin B (u16)          36 flags (u8), 37 parents present (u8)
//
// In: slot numbers and field values. Out: field values. Value 0 means "no such output"; outputs
// beyond two (or at a vout over 65,535) live in the window's overflow map.

import { grown, grownLength } from './array-growth.ts';

const BYTES = 40;
const F64 = BYTES / 8;
const U32 = BYTES / 4;
const U16 = BYTES / 2;

export class WindowSlots {
  private f64: Float64Array;
  private u32: Uint32Array;
  private u16: Uint16Array;
  private u8: Uint8Array;

  constructor(capacity: number) {
    const u8 = new Uint8Array(capacity * BYTES);
    this.u8 = u8;
    this.f64 = new Float64Array(u8.buffer);
    this.u32 = new Uint32Array(u8.buffer);
    this.u16 = new Uint16Array(u8.buffer);
  }

  get capacity(): number {
    return this.u8.length / BYTES;
  }

  /** Grows the capacity (array-growth.ts), keeping every record. */
  grow(): void {
    const capacity = grownLength(this.capacity, this.capacity + 1);
    const u8 = grown(this.u8, capacity * BYTES);
    this.u8 = u8;
    this.f64 = new Float64Array(u8.buffer);
    this.u32 = new Uint32Array(u8.buffer);
    this.u16 = new Uint16Array(u8.buffer);
  }

  /** Starts a record: time, no outputs, no flags; bumps and returns the generation. */
  reset(slot: number, time: number): number {
    const f = slot * F64;
    this.f64[f] = time;
    this.f64[f + 1] = 0;
    this.f64[f + 2] = 0;
    this.u8[slot * BYTES + 36] = 0;
    this.u8[slot * BYTES + 37] = 0;
    return ++this.u32[slot * U32 + 6];
  }

  time(slot: number): number {
    return this.f64[slot * F64];
  }
  valueA(slot: number): number {
    return this.f64[slot * F64 + 1];
  }
  valueB(slot: number): number {
    return this.f64[slot * F64 + 2];
  }
  generation(slot: number): number {
    return this.u32[slot * U32 + 6];
  }
  binA(slot: number): number {
    return this.u16[slot * U16 + 14];
  }
  binB(slot: number): number {
    return this.u16[slot * U16 + 15];
  }
  voutA(slot: number): number {
    return this.u16[slot * U16 + 16];
  }
  voutB(slot: number): number {
    return this.u16[slot * U16 + 17];
  }
  /** Output `o` (0: A, 1: B): value, bin and vout. */
  value(slot: number, o: number): number {
    return this.f64[slot * F64 + 1 + o];
  }
  bin(slot: number, o: number): number {
    return this.u16[slot * U16 + 14 + o];
  }
  vout(slot: number, o: number): number {
    return this.u16[slot * U16 + 16 + o];
  }
  flags(slot: number): number {
    return this.u8[slot * BYTES + 36];
  }
  present(slot: number): number {
    return this.u8[slot * BYTES + 37];
  }

  setOutputA(slot: number, sats: number, bin: number, vout: number): void {
    this.f64[slot * F64 + 1] = sats;
    this.u16[slot * U16 + 14] = bin;
    this.u16[slot * U16 + 16] = vout;
  }
  setOutputB(slot: number, sats: number, bin: number, vout: number): void {
    this.f64[slot * F64 + 2] = sats;
    this.u16[slot * U16 + 15] = bin;
    this.u16[slot * U16 + 17] = vout;
  }
  setFlags(slot: number, flags: number): void {
    this.u8[slot * BYTES + 36] = flags;
  }
  /** Present parents, kept within 0…255 (a transaction has at most the profile's few inputs). */
  setPresent(slot: number, n: number): void {
    this.u8[slot * BYTES + 37] = Math.min(255, Math.max(0, n));
  }
}
