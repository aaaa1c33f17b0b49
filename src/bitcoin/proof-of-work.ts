// Proof of work: the target a header's compact `bits` field encodes, and whether a block hash meets it.
// In: bits (uint32) and a 32-byte hash in internal order. Out: the target as a bigint, or a yes/no.

import { bytesToReversedHex } from './hex.ts';

/** 2^256: any target at or above it cannot be a 256-bit number. */
const TWO_256 = 1n << 256n;

/**
 * The target encoded by compact bits (a base-256 float: 1 exponent byte, 3 mantissa bytes whose top
 * bit is a sign). Null when the encoding is negative, zero or overflows 256 bits: no hash meets it.
 */
export function targetFromBits(bits: number): bigint | null {
  const exponent = bits >>> 24;
  const mantissa = bits & 0x007fffff;
  if ((bits & 0x00800000) !== 0 && mantissa !== 0) return null;
  const target =
    exponent <= 3
      ? BigInt(mantissa >>> (8 * (3 - exponent)))
      : BigInt(mantissa) << BigInt(8 * (exponent - 3));
  if (target === 0n || target >= TWO_256) return null;
  return target;
}

/** True when the hash, read as a little-endian 256-bit number, is at most the target of `bits`. */
export function hashMeetsTarget(hash: Uint8Array, bits: number): boolean {
  const target = targetFromBits(bits);
  if (target === null) return false;
  return BigInt(`0x${bytesToReversedHex(hash)}`) <= target;
}
