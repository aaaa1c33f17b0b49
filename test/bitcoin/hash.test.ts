// SHA-256 against the FIPS 180-4 examples and node:crypto; double SHA-256 and display hex both ways.

import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { test } from 'node:test';
import {
  displayHexOfHash,
  hashToHex,
  hexToHash,
  hexToHashInto,
  portableSha256d,
  sha256d,
  sha256dDisplayHex,
  sha256dInto,
  sha256Engine,
} from '../../src/bitcoin/hash.ts';
import { bytesToHex, bytesToReversedHex, hexToBytes, hexToBytesInto } from '../../src/bitcoin/hex.ts';
import { sha256 } from '../../src/bitcoin/sha256.ts';

const text = (s: string) => new TextEncoder().encode(s);
const nodeSha256 = (b: Uint8Array) => new Uint8Array(createHash('sha256').update(b).digest());

test('portable SHA-256: the FIPS 180-4 examples', () => {
  assert.equal(
    bytesToHex(sha256(text(''))),
    'e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855',
  );
  assert.equal(
    bytesToHex(sha256(text('abc'))),
    'ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad',
  );
  assert.equal(
    bytesToHex(sha256(text('abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq'))),
    '248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1',
  );
  assert.equal(
    bytesToHex(sha256(new Uint8Array(1_000_000).fill(0x61))),
    'cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0',
  );
});

test('portable SHA-256 equals node:crypto for every length 0..300 (every padding case)', () => {
  const data = Uint8Array.from({ length: 300 }, (_, i) => (i * 131 + 7) & 0xff);
  for (let n = 0; n <= 300; n++) {
    const slice = data.subarray(0, n);
    assert.deepEqual(sha256(slice), nodeSha256(slice), `length ${n}`);
  }
});

test('double SHA-256: native and portable paths agree with node:crypto', () => {
  assert.equal(sha256Engine, 'native', 'Node has a native SHA-256');
  const data = Uint8Array.from({ length: 1000 }, (_, i) => (i * 17) & 0xff);
  for (const [start, end] of [
    [0, 0],
    [0, 80],
    [3, 67],
    [10, 1000],
  ]) {
    const expected = nodeSha256(nodeSha256(data.subarray(start, end)));
    assert.deepEqual(sha256d(data, start, end), expected);
    assert.deepEqual(portableSha256d(data, start, end), expected);
    assert.equal(sha256dDisplayHex(data, start, end), bytesToReversedHex(expected));
    const into = new Uint8Array(32);
    sha256dInto(data, start, end, into);
    assert.deepEqual(into, expected);
    assert.equal(displayHexOfHash(into), bytesToReversedHex(expected));
  }
});

test('hash <-> display hex (the genesis block hash)', () => {
  const display = '000000000019d6689c085ae165831e934ff763ae46a2a6c172b3f1b60a8ce26f';
  const internal = hexToHash(display);
  assert.equal(internal[0], 0x6f);
  assert.equal(internal[31], 0x00);
  assert.equal(hashToHex(internal), display);
  assert.equal(hashToHex(hexToHash(display.toUpperCase())), display);
});

test('hexToHash and hexToBytes refuse bad input with a clear message', () => {
  assert.throws(() => hexToHash('abcd'), /64 hex digits, got 4/);
  assert.throws(() => hexToHash('g'.repeat(64)), /not a hex digit: "g" at position 0/);
  assert.throws(() => hexToBytes('abc'), /odd number of digits/);
  assert.throws(() => hexToBytes('0é'), /not a hex digit: "é" at position 1/);
  assert.throws(() => hashToHex(new Uint8Array(31)), /32 bytes, got 31/);
  assert.deepEqual(hexToBytes('00ffA0'), Uint8Array.from([0, 255, 160]));
});

test('hexToHashInto and displayHexOfHash work at an offset in a larger array', () => {
  const display = '000000000019d6689c085ae165831e934ff763ae46a2a6c172b3f1b60a8ce26f';
  const row = new Uint8Array(3 * 32).fill(7);
  hexToHashInto(display, row, 32);
  assert.deepEqual(row.subarray(32, 64), hexToHash(display));
  assert.ok(row.subarray(0, 32).every((b) => b === 7) && row.subarray(64).every((b) => b === 7));
  assert.equal(displayHexOfHash(row, 32), display);
  assert.throws(() => hexToHashInto(display, row, 80), /32 bytes do not fit at 80 in 96/);
  assert.throws(() => hexToHashInto('ab', row, 0), /64 hex digits, got 2/);
  const bytes = new Uint8Array(4);
  hexToBytesInto('0aFF', bytes, 1);
  assert.deepEqual(bytes, Uint8Array.from([0, 10, 255, 0]));
  assert.throws(() => hexToBytesInto('0x', bytes, 0), /not a hex digit: "x" at position 1/);
});
