// The tables keyed by txid keys against plain Maps and Sets: TxidTable (one value a key),
// SpenderIndex (many children a key, stale ones dropped lazily and by sweeps) and KeySet.

import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { KeySet, SpenderIndex, TxidTable } from '../../src/oracle/txid-table.ts';

function lcg(seed: number): () => number {
  let x = seed;
  return () => {
    x = (Math.imul(x, 1103515245) + 12345) | 0;
    return x >>> 0;
  };
}

/** A pool of 4-word keys with few distinct words (many share home buckets). */
function keyPool(size: number, next: () => number): Int32Array {
  const keys = new Int32Array(4 * size);
  for (let i = 0; i < keys.length; i++) keys[i] = i % 4 === 0 ? next() & 0xff : next() & 0x3;
  return keys;
}

describe('TxidTable', () => {
  test('gets, inserts and deletes like a Map, through growth', () => {
    const next = lcg(7);
    const pool = keyPool(4000, next);
    const table = new TxidTable();
    const reference = new Map<string, number>();
    const key = new Int32Array(4);
    for (let step = 0; step < 50_000; step++) {
      const at = 4 * (next() % 4000);
      key.set(pool.subarray(at, at + 4));
      const id = key.join(',');
      assert.equal(table.get(pool, at), reference.get(id) ?? -1);
      assert.equal(table.has(pool, at), reference.has(id));
      const op = next() % 3;
      if (op === 0) {
        table.reserve();
        const missing = table.bucket(key);
        if (missing < 0) {
          table.insertAt(missing, key, step);
          reference.set(id, step);
        } else assert.equal(table.valueAt(missing), reference.get(id));
      } else if (op === 1) {
        assert.equal(table.delete(key), reference.delete(id));
      } else {
        const b = table.bucket(key);
        if (b >= 0) {
          table.deleteAt(b);
          reference.delete(id);
        }
      }
      assert.equal(table.size, reference.size);
    }
    for (let at = 0; at < pool.length; at += 4)
      assert.equal(table.get(pool, at), reference.get(pool.subarray(at, at + 4).join(',')) ?? -1);
    table.clear();
    assert.equal(table.size, 0);
    assert.equal(table.get(pool, 0), -1);
  });
});

describe('SpenderIndex', () => {
  test('visits exactly the live children of a key, through lazy drops, sweeps and growth', () => {
    const next = lcg(11);
    const pool = keyPool(2000, next);
    // Child slot → its generation now; an entry (slot, generation) is live while they agree.
    const generation = new Int32Array(500);
    const index = new SpenderIndex((slot, g) => generation[slot] === g);
    const reference = new Map<string, { slot: number; generation: number }[]>();
    const key = new Int32Array(4);
    const liveOf = (id: string) =>
      (reference.get(id) ?? []).filter((e) => generation[e.slot] === e.generation).map((e) => e.slot);
    for (let step = 0; step < 60_000; step++) {
      const at = 4 * (next() % 2000);
      const id = pool.subarray(at, at + 4).join(',');
      const op = next() % 4;
      if (op <= 1) {
        const slot = next() % 500;
        index.add(pool, at, slot, generation[slot]);
        const list = reference.get(id) ?? [];
        list.push({ slot, generation: generation[slot] });
        reference.set(id, list);
      } else if (op === 2) {
        generation[next() % 500]++; // a child leaves: its entries go stale
      } else {
        key.set(pool.subarray(at, at + 4));
        const seen: number[] = [];
        index.forEachChild(key, (slot) => seen.push(slot));
        assert.deepEqual(seen.sort(), liveOf(id).sort(), id);
      }
    }
    let live = 0;
    const counted = new Set<string>();
    for (let at = 0; at < pool.length; at += 4) {
      key.set(pool.subarray(at, at + 4));
      const seen: number[] = [];
      index.forEachChild(key, (slot) => seen.push(slot));
      const id = key.join(',');
      assert.deepEqual(seen.sort(), liveOf(id).sort(), id);
      if (!counted.has(id)) live += seen.length;
      counted.add(id);
    }
    // Every stale entry met was dropped: what is left is live.
    assert.equal(index.size, live);
    index.clear();
    assert.equal(index.size, 0);
  });
});

describe('KeySet', () => {
  test('adds, finds and deletes like a Set, through growth and backward-shift deletion', () => {
    const keys = new KeySet(16);
    const reference = new Set<string>();
    let x = 12345;
    const next = () => {
      x = (Math.imul(x, 1103515245) + 12345) | 0;
      return x;
    };
    const pool: [number, number][] = [];
    // Few distinct high words and clustered low words: many keys share home buckets.
    for (let i = 0; i < 3000; i++) pool.push([next() & 0xff, next() & 0x3]);
    const key = new Int32Array(2);
    for (let step = 0; step < 40_000; step++) {
      const [a, b] = pool[(next() >>> 0) % pool.length];
      key[0] = a;
      key[1] = b;
      const id = `${a},${b}`;
      const op = (next() >>> 0) % 3;
      if (op === 0) assert.equal(keys.add(key, 0), !reference.has(id));
      else if (op === 1) assert.equal(keys.delete(key, 0), reference.has(id));
      else assert.equal(keys.has(key, 0), reference.has(id));
      if (op === 0) reference.add(id);
      if (op === 1) reference.delete(id);
      assert.equal(keys.size, reference.size);
    }
    const column = Int32Array.from(pool.flat());
    for (let i = 0; i < pool.length; i++)
      assert.equal(keys.has(column, 2 * i), reference.has(`${pool[i][0]},${pool[i][1]}`));
  });
});
