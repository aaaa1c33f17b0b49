// The framing of a node's block files (blocks/blk*.dat), pure: a network in, its 4 magic bytes
// out; bytes and their file offset in, the same bytes with the XOR obfuscation undone (or applied:
// it is its own inverse). Each stored block is [magic 4][length u32 LE][block bytes]. Bitcoin Core
// 28+ (and Knots) XOR every byte at file offset p with key[p % 8], the 8-byte key in blocks/xor.dat;
// a key of zeros (older nodes, -blocksxor=0) leaves the bytes as they are.

import type { Network } from '../node/network.ts';

/** Bytes before each block: the network magic and the block's length. */
export const FRAME_BYTES = 8;
/** The obfuscation key is 8 bytes, applied by file offset modulo 8. */
export const XOR_KEY_BYTES = 8;

const MAGIC: Record<Network, readonly number[]> = {
  main: [0xf9, 0xbe, 0xb4, 0xd9],
  test: [0x0b, 0x11, 0x09, 0x07],
  testnet4: [0x1c, 0x16, 0x3f, 0x28],
  // The default signet; a custom signet's magic comes from its challenge (not supported here).
  signet: [0x0a, 0x03, 0xcf, 0x40],
  regtest: [0xfa, 0xbf, 0xb5, 0xda],
};

/** Typed-array words follow the platform's byte order; the word path below needs little-endian. */
const LITTLE_ENDIAN = new Uint8Array(new Uint32Array([1]).buffer)[0] === 1;

/** The network's magic as a little-endian u32 (what readUInt32LE gives at a frame's start). */
export function magicOf(network: Network): number {
  const m = MAGIC[network];
  return (m[0] | (m[1] << 8) | (m[2] << 16) | (m[3] << 24)) >>> 0;
}

/** The magic bytes in file order, for writing frames. */
export function magicBytes(network: Network): Uint8Array {
  return Uint8Array.from(MAGIC[network]);
}

/** True when the key changes nothing (all zeros, or absent). */
export function isNullKey(key: Uint8Array | null): boolean {
  return key === null || key.every((b) => b === 0);
}

/**
 * XORs `bytes` in place with `key`, as if `bytes[0]` sat at `fileOffset` in the file. The key is
 * widened to 32-bit words so most of the work is one XOR per four bytes.
 */
export function xorAt(bytes: Uint8Array, key: Uint8Array | null, fileOffset: number): void {
  if (key === null || isNullKey(key)) return;
  const n = bytes.length;
  let i = 0;
  // Bytes up to a 4-byte boundary of the buffer, one at a time.
  const lead = Math.min(n, (4 - (bytes.byteOffset & 3)) & 3);
  for (; i < lead; i++) bytes[i] ^= key[(fileOffset + i) & 7];
  if (LITTLE_ENDIAN && n - i >= 8) {
    // Two rotations of the key as little-endian words: the word at buffer index i covers file
    // offsets fileOffset+i … +3, so the key bytes start at (fileOffset + i) & 7.
    const start = (fileOffset + i) & 7;
    const k0 = wordOf(key, start);
    const k1 = wordOf(key, start + 4);
    const words = new Uint32Array(bytes.buffer, bytes.byteOffset + i, (n - i) >>> 2);
    const pairs = words.length & ~1;
    for (let w = 0; w < pairs; w += 2) {
      words[w] ^= k0;
      words[w + 1] ^= k1;
    }
    if (pairs < words.length) words[pairs] ^= k0;
    i += words.length * 4;
  }
  for (; i < n; i++) bytes[i] ^= key[(fileOffset + i) & 7];
}

function wordOf(key: Uint8Array, at: number): number {
  return (
    (key[at & 7] | (key[(at + 1) & 7] << 8) | (key[(at + 2) & 7] << 16) | (key[(at + 3) & 7] << 24)) >>> 0
  );
}
