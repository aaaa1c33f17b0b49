import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { freeBuffer } from '../../src/runtime/free-buffer.ts';

describe('freeBuffer', () => {
  it('frees bytes that have their buffer to themselves', () => {
    const bytes = new Uint8Array(100_000).fill(7);
    freeBuffer(bytes);
    assert.equal(bytes.buffer.detached, true);
    assert.equal(bytes.length, 0);
    freeBuffer(bytes); // twice is harmless
  });

  it('leaves a buffer other views share alone', () => {
    const pooled = Buffer.from('small, from the pool');
    const neighbour = Buffer.from('a neighbour in the same pool');
    assert.equal(pooled.buffer, neighbour.buffer, 'both from Buffer’s pool');
    freeBuffer(pooled);
    assert.equal(neighbour.toString(), 'a neighbour in the same pool');
    const whole = new Uint8Array(64);
    freeBuffer(whole.subarray(8));
    assert.equal(whole.buffer.detached, false);
  });
});
