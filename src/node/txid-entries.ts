// The mempool tracker's entries: txid → first-seen time and whether it is mined, for every
// transaction of the live window (50,000 on an ordinary mainnet day, 300,000 and more when the
// mempool is congested). Kept in typed arrays: a txid table (txid-table.ts) gives each txid a
// slot; the slot holds its 32 bytes (to name it again), its time and its flag; freed slots are
// reused: about half the bytes of a Map from the txid string to an object (the string, the entry,
// the object, its boxed time), and no objects for the GC to trace.
// A name that is not 64 hex digits (none comes from a node; tests use short ones) is kept in a Map.

import { displayHexOfHash, hexToHashInto } from '../bitcoin/hash.ts';
import { grown, grownLength } from '../oracle/array-growth.ts';
import { keyOfTxid } from '../oracle/txid-key.ts';
import { TxidTable } from '../oracle/txid-table.ts';

const FIRST_SLOTS = 1024;

export class TxidEntries {
  private readonly table = new TxidTable();
  private readonly key = new Int32Array(4);
  /** Slot s: the txid's 32 bytes (internal order) at txids[32s …], first seen at seen[s] (NaN: free), mined[s]. */
  private txids = new Uint8Array(32 * FIRST_SLOTS);
  private seen = new Float64Array(FIRST_SLOTS).fill(Number.NaN);
  private mined = new Uint8Array(FIRST_SLOTS);
  /** Free slots below `used`. */
  private free: number[] = [];
  /** Slots ever handed out (the ones at and above it are free too). */
  private used = 0;
  /** Names that are not txids: name → slot, and slot → name. */
  private readonly otherSlots = new Map<string, number>();
  private readonly otherNames = new Map<number, string>();

  get size(): number {
    return this.table.size + this.otherSlots.size;
  }

  has(txid: string): boolean {
    return this.slotOf(txid) >= 0;
  }

  /** When `txid` was first seen, or undefined when it is not held. */
  firstSeen(txid: string): number | undefined {
    const slot = this.slotOf(txid);
    return slot < 0 ? undefined : this.seen[slot];
  }

  /** Whether `txid` is mined, or undefined when it is not held. */
  isMined(txid: string): boolean | undefined {
    const slot = this.slotOf(txid);
    return slot < 0 ? undefined : this.mined[slot] === 1;
  }

  /** Sets the mined flag of a held txid; false when it is not held. */
  setMined(txid: string, mined: boolean): boolean {
    const slot = this.slotOf(txid);
    if (slot >= 0) this.mined[slot] = mined ? 1 : 0;
    return slot >= 0;
  }

  /** Holds `txid` (a 64-hex-digit txid not held yet). */
  add(txid: string, firstSeen: number, mined: boolean): void {
    if (this.has(txid)) throw new Error(`txid held already: ${txid}`);
    const slot = this.free.pop() ?? this.used++;
    if (slot >= this.seen.length) this.grow();
    const key = this.key;
    if (keyOfTxid(txid, key)) {
      this.table.reserve();
      this.table.insertAt(this.table.bucket(key), key, slot);
      hexToHashInto(txid, this.txids, 32 * slot);
    } else {
      this.otherSlots.set(txid, slot);
      this.otherNames.set(slot, txid);
    }
    this.seen[slot] = firstSeen;
    this.mined[slot] = mined ? 1 : 0;
  }

  /** Forgets `txid`; false when it was not held. */
  delete(txid: string): boolean {
    const key = this.key;
    if (!keyOfTxid(txid, key)) {
      const slot = this.otherSlots.get(txid);
      if (slot === undefined) return false;
      this.otherSlots.delete(txid);
      this.otherNames.delete(slot);
      this.release(slot);
      return true;
    }
    const bucket = this.table.bucket(key);
    if (bucket < 0) return false;
    this.release(this.table.valueAt(bucket));
    this.table.deleteAt(bucket);
    return true;
  }

  /** Forgets every txid first seen before `oldest`. */
  deleteOlderThan(oldest: number): void {
    for (let slot = 0; slot < this.used; slot++) {
      if (this.seen[slot] < oldest) this.delete(this.txidAt(slot));
    }
  }

  /** The txids held, in slot order. */
  txidList(): string[] {
    const out: string[] = [];
    for (let slot = 0; slot < this.used; slot++)
      if (!Number.isNaN(this.seen[slot])) out.push(this.txidAt(slot));
    return out;
  }

  private slotOf(txid: string): number {
    return keyOfTxid(txid, this.key) ? this.table.get(this.key) : (this.otherSlots.get(txid) ?? -1);
  }

  private txidAt(slot: number): string {
    return this.otherNames.get(slot) ?? displayHexOfHash(this.txids, 32 * slot);
  }

  private release(slot: number): void {
    this.seen[slot] = Number.NaN;
    this.free.push(slot);
  }

  /** Grows the slots, all three columns to one size (array-growth.ts); the new ones are free. */
  private grow(): void {
    const slots = this.seen.length;
    const n = grownLength(slots, slots + 1);
    this.txids = grown(this.txids, 32 * n);
    this.seen = grown(this.seen, n).fill(Number.NaN, slots);
    this.mined = grown(this.mined, n);
  }
}
