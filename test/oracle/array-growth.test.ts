// The one growth rule for typed columns: room kept, contents copied, the outgrown memory freed,
// and columns grown together end at one size.

import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { grown, grownLength } from '../../src/oracle/array-growth.ts';

describe('grown', () => {
  test('returns the array itself while it has room', () => {
    const a = Int32Array.from([1, 2, 3]);
    assert.equal(grown(a, 0), a);
    assert.equal(grown(a, 3), a);
    assert.equal(a.buffer.detached, false);
  });

  test('copies into a longer array of the same type, the new entries zero, and frees the old one', () => {
    for (const make of [Uint8Array, Uint16Array, Uint32Array, Int32Array, Float64Array]) {
      const a = new make(10);
      for (let i = 0; i < 10; i++) a[i] = i + 1;
      const b = grown(a, 11);
      assert.equal(b.constructor, make);
      assert.equal(b.length, 15, 'half as many again');
      assert.deepEqual(Array.from(b), [1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 0, 0, 0, 0, 0]);
      assert.equal(a.buffer.detached, true, `${make.name}: the outgrown buffer is freed`);
      assert.equal(a.length, 0);
    }
    assert.equal(grown(new Uint8Array(10), 100).length, 100, 'at least what is needed');
    assert.equal(grown(new Uint8Array(0), 1).length, 1);
  });

  test('a view into a larger buffer is copied but never freed (others may share the buffer)', () => {
    const pool = new Uint8Array(64).fill(9);
    const view = pool.subarray(8, 16);
    const b = grown(view, 9);
    assert.equal(b.length, 12);
    assert.equal(b[7], 9);
    assert.equal(pool.buffer.detached, false);
    assert.equal(pool[0], 9);
  });

  test('columns grown together from one grownLength end at one size', () => {
    let flags = new Uint8Array(7);
    let starts = new Int32Array(7);
    let digests = new Uint8Array(32 * 7);
    for (let count = 0; count < 5000; count++) {
      if (count + 2 > flags.length) {
        const size = grownLength(flags.length, count + 2);
        flags = grown(flags, size);
        starts = grown(starts, size);
        digests = grown(digests, 32 * size);
      }
      assert.equal(starts.length, flags.length);
      assert.equal(digests.length, 32 * flags.length);
      flags[count] = count & 0xff;
      starts[count] = count;
    }
    for (let i = 0; i < 5000; i++) assert.equal(starts[i], i);
  });
});
