// A min-heap of window slots by time, for ageing a window out oldest first. In: (time, slot,
// generation) entries. Out: the oldest entry, in O(log n). Entries for slots removed or reused
// since are not taken out here: the window skips them when they reach the top (their generation
// no longer matches), so removal from the middle costs nothing. Kept in typed arrays: 16 bytes an
// entry, no object per entry, grown through array-growth.ts.

import { grown, grownLength } from './array-growth.ts';

export class TimeQueue {
  private times = new Float64Array(64);
  private slots = new Int32Array(64);
  private generations = new Uint32Array(64);
  private size = 0;

  get length(): number {
    return this.size;
  }

  push(time: number, slot: number, generation: number): void {
    if (this.size === this.times.length) this.grow();
    const { times, slots, generations } = this;
    let i = this.size++;
    while (i > 0) {
      const parent = (i - 1) >> 1;
      if (times[parent] <= time) break;
      times[i] = times[parent];
      slots[i] = slots[parent];
      generations[i] = generations[parent];
      i = parent;
    }
    times[i] = time;
    slots[i] = slot;
    generations[i] = generation;
  }

  /** The oldest entry's time (+Infinity when empty), slot and generation. */
  peekTime(): number {
    return this.size > 0 ? this.times[0] : Number.POSITIVE_INFINITY;
  }

  peekSlot(): number {
    return this.slots[0];
  }

  peekGeneration(): number {
    return this.generations[0];
  }

  /** Drops the oldest entry. */
  pop(): void {
    if (this.size === 0) return;
    const { times, slots, generations } = this;
    const last = --this.size;
    const time = times[last];
    const slot = slots[last];
    const generation = generations[last];
    let i = 0;
    for (;;) {
      const left = 2 * i + 1;
      if (left >= last) break;
      const right = left + 1;
      const child = right < last && times[right] < times[left] ? right : left;
      if (times[child] >= time) break;
      times[i] = times[child];
      slots[i] = slots[child];
      generations[i] = generations[child];
      i = child;
    }
    times[i] = time;
    slots[i] = slot;
    generations[i] = generation;
  }

  clear(): void {
    this.size = 0;
  }

  /** Grows the three columns to one size. */
  private grow(): void {
    const n = grownLength(this.times.length, this.size + 1);
    this.times = grown(this.times, n);
    this.slots = grown(this.slots, n);
    this.generations = grown(this.generations, n);
  }
}
