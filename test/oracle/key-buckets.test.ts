// The hash-table core against a plain Map, for keys of 2 and of 4 words: finds, places and
// removes through growth (rehash), backward-shift deletion and a sweep's clear-then-reseat, with
// keys crowded onto few home buckets.

import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { KeyBuckets, type KeyWidth, MAX_LOAD, mixKey, tableCapacity } from '../../src/oracle/key-buckets.ts';

function lcg(seed: number): () => number {
  let x = seed;
  return () => {
    x = (Math.imul(x, 1103515245) + 12345) | 0;
    return x >>> 0;
  };
}

/** Keys with few distinct words: a small pool, many sharing home buckets in a small table. */
function keyPool(width: KeyWidth, size: number, next: () => number): Int32Array {
  const keys = new Int32Array(width * size);
  for (let i = 0; i < keys.length; i++) keys[i] = i % width === 0 ? next() & 0xff : next() & 0x3;
  return keys;
}

const name = (keys: Int32Array, at: number, width: KeyWidth) => keys.subarray(at, at + width).join(',');

function check(table: KeyBuckets, reference: Map<string, number>, pool: Int32Array, width: KeyWidth): void {
  assert.equal(table.count, reference.size);
  for (let at = 0; at < pool.length; at += width) {
    const b = table.find(pool, at);
    const want = reference.get(name(pool, at, width));
    assert.equal(b >= 0 ? table.words[b * table.stride + width] : undefined, want);
  }
}

describe('KeyBuckets', () => {
  for (const width of [2, 4] as const) {
    test(`${width}-word keys: a Map's answers through growth, deletions and a reseat`, () => {
      const next = lcg(width);
      const pool = keyPool(width, 3000, next);
      const table = new KeyBuckets(width, width + 1, 16);
      const reference = new Map<string, number>();
      for (let step = 0; step < 40_000; step++) {
        const at = width * (next() % (pool.length / width));
        const id = name(pool, at, width);
        const b = table.find(pool, at);
        assert.equal(b >= 0, reference.has(id), id);
        const op = next() % 3;
        if (op === 0 && b < 0) {
          let free = b;
          if (table.full) {
            table.rehash(table.capacity * 2);
            free = table.find(pool, at);
          }
          table.placeAt(~free, pool, at);
          table.words[~free * table.stride + width] = step;
          reference.set(id, step);
        } else if (op === 1 && b >= 0) {
          table.removeAt(b);
          reference.delete(id);
        }
        assert.ok(table.count <= table.capacity * MAX_LOAD);
      }
      assert.ok(table.capacity > 16, 'it grew');
      check(table, reference, pool, width);

      // A sweep: clear every other entry in place, then reseat what is left.
      let i = 0;
      for (let b = 0; b < table.capacity; b++) {
        if (table.tags[b] === 0 || i++ % 2 === 1) continue;
        const w = b * table.stride;
        reference.delete(name(table.words, w, width));
        table.clearAt(b);
      }
      table.reseat();
      check(table, reference, pool, width);
      table.rehash(table.capacity * 2);
      check(table, reference, pool, width);
      table.clear(16);
      check(table, new Map(), pool, width);
    });
  }

  test('place() keeps a key many times over (a multimap), each in its own bucket', () => {
    const table = new KeyBuckets(4, 5, 16);
    const key = Int32Array.from([1, 2, 3, 4]);
    const buckets = new Set([table.place(key, 0), table.place(key, 0), table.place(key, 0)]);
    assert.equal(buckets.size, 3);
    assert.equal(table.count, 3);
    const mixed = mixKey(key, 0, 4);
    for (const b of buckets) assert.ok(table.holds(b, key, 0, mixed));
    assert.ok(!table.holds([...buckets][0], Int32Array.from([1, 2, 3, 5]), 0, mixed));
  });

  test('a 2-word key is the first two words of a 4-word one; keys are read at an offset', () => {
    const column = Int32Array.from([9, 9, 5, 6, 7, 8]);
    assert.equal(mixKey(column, 2, 2), mixKey(Int32Array.from([5, 6]), 0, 2));
    assert.notEqual(mixKey(column, 2, 4), mixKey(column, 2, 2));
    assert.equal(tableCapacity(1), 16);
    assert.equal(tableCapacity(1000), 1024);
    assert.equal(tableCapacity(1024), 1024);
  });
});
