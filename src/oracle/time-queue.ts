// A min-heap of items by time, for ageing a window out oldest first. In: items with a time.
// Out: the oldest item, in O(log n). Items removed elsewhere are skipped when they reach the top
// (the caller says which are still live), so removal from the middle costs nothing here.

export class TimeQueue<T extends { readonly time: number }> {
  private readonly heap: T[] = [];

  get length(): number {
    return this.heap.length;
  }

  push(item: T): void {
    const heap = this.heap;
    heap.push(item);
    let i = heap.length - 1;
    while (i > 0) {
      const parent = (i - 1) >> 1;
      if (heap[parent].time <= item.time) break;
      heap[i] = heap[parent];
      i = parent;
    }
    heap[i] = item;
  }

  peek(): T | undefined {
    return this.heap[0];
  }

  pop(): T | undefined {
    const heap = this.heap;
    const top = heap[0];
    const last = heap.pop();
    if (heap.length === 0 || last === undefined) return top;
    let i = 0;
    const n = heap.length;
    for (;;) {
      const left = 2 * i + 1;
      if (left >= n) break;
      const right = left + 1;
      const child = right < n && heap[right].time < heap[left].time ? right : left;
      if (heap[child].time >= last.time) break;
      heap[i] = heap[child];
      i = child;
    }
    heap[i] = last;
    return top;
  }

  clear(): void {
    this.heap.length = 0;
  }
}
