// CompactSize decoding at every width, canonical-encoding rules, bounds checks and count caps.

import assert from 'node:assert/strict';
import { test } from 'node:test';
import { ByteReader } from '../../src/bitcoin/byte-reader.ts';
import { ParseError } from '../../src/bitcoin/parse-error.ts';
import { compactSize, le } from './tx-builder.ts';

const read = (bytes: number[]) => {
  const r = new ByteReader(Uint8Array.from(bytes));
  const value = r.compactSize('n');
  return { value, pos: r.pos };
};

test('CompactSize values at every width boundary', () => {
  for (const n of [0, 1, 0xfc, 0xfd, 0xfe, 0xffff, 0x10000, 0xffffffff, 2 ** 32, 2 ** 40, 2 ** 53 - 1]) {
    const encoded = compactSize(n);
    assert.deepEqual(read(encoded), { value: n, pos: encoded.length }, `n = ${n}`);
  }
});

test('non-canonical CompactSize is a ParseError at the prefix byte', () => {
  for (const bad of [
    [0xfd, 0xfc, 0x00],
    [0xfd, 0x00, 0x00],
    [0xfe, 0xff, 0xff, 0x00, 0x00],
    [0xff, ...le(0xffffffff, 8)],
    [0xff, ...le(0, 8)],
  ]) {
    assert.throws(
      () => read(bad),
      (e: unknown) => e instanceof ParseError && e.offset === 0 && /non-canonical n/.test(e.reason),
    );
  }
});

test('truncated CompactSize and integers', () => {
  for (const bad of [[], [0xfd], [0xfd, 0x00], [0xfe, 1, 2, 3], [0xff, 1, 2, 3, 4, 5, 6, 7]]) {
    assert.throws(
      () => read(bad),
      (e: unknown) => e instanceof ParseError && /^truncated n/.test(e.reason),
    );
  }
  const r = new ByteReader(Uint8Array.from([1, 2, 3]), 1);
  assert.throws(() => r.u32('x'), /truncated x: needs 4 bytes, 2 left at byte 1/);
  assert.equal(r.pos, 1, 'a failed read does not move');
});

test('little-endian integers', () => {
  const r = new ByteReader(Uint8Array.from([0xff, 0xff, 0xff, 0xff, 0x01, 0x02, 0x34, 0x12]));
  assert.equal(r.u32('a'), 0xffffffff);
  assert.equal(r.u8('b'), 1);
  assert.equal(r.u8('c'), 2);
  assert.equal(r.u16('d'), 0x1234);
  assert.equal(new ByteReader(Uint8Array.from([0xff, 0xff, 0xff, 0xff])).i32('e'), -1);
});

test('count() refuses a count the remaining bytes cannot hold', () => {
  const r = new ByteReader(Uint8Array.from([3, 0, 0, 0, 0, 0, 0]));
  assert.throws(
    () => r.count('things', 3),
    /things 3 cannot fit in the 6 bytes left \(each takes at least 3\) at byte 0/,
  );
  assert.equal(new ByteReader(Uint8Array.from([2, 0, 0, 0, 0, 0, 0])).count('things', 3), 2);
});

test('views share memory with the input', () => {
  const bytes = Uint8Array.from([9, 8, 7, 6]);
  const r = new ByteReader(bytes.subarray(1), 1);
  const v = r.view(2, 'v');
  assert.deepEqual(v, Uint8Array.from([7, 6]));
  bytes[2] = 0;
  assert.equal(v[0], 0);
  assert.throws(() => r.view(1, 'w'), /truncated w/);
});
