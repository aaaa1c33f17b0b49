// Bytes <-> lowercase hex, for hashes, CLI input and test vectors. Strict: odd lengths and
// non-hex characters are errors, never silently skipped.

const HEX_PAIRS: string[] = Array.from({ length: 256 }, (_, i) => i.toString(16).padStart(2, '0'));

/** Hex digit value by char code, -1 for anything that is not a hex digit. */
const DIGIT = new Int8Array(128).fill(-1);
for (let i = 0; i < 10; i++) DIGIT[48 + i] = i;
for (let i = 0; i < 6; i++) {
  DIGIT[65 + i] = 10 + i;
  DIGIT[97 + i] = 10 + i;
}

/** Lowercase hex of bytes[start, end), in order. */
export function bytesToHex(bytes: Uint8Array, start = 0, end = bytes.length): string {
  let out = '';
  for (let i = start; i < end; i++) out += HEX_PAIRS[bytes[i]];
  return out;
}

/** Lowercase hex of bytes[start, end) read backwards (how Bitcoin displays hashes). */
export function bytesToReversedHex(bytes: Uint8Array, start = 0, end = bytes.length): string {
  let out = '';
  for (let i = end - 1; i >= start; i--) out += HEX_PAIRS[bytes[i]];
  return out;
}

/** Decodes hex (either case) to bytes; throws a plain Error naming the problem on bad input. */
export function hexToBytes(hex: string): Uint8Array {
  if (hex.length % 2 !== 0) throw new Error(`hex has an odd number of digits (${hex.length})`);
  const out = new Uint8Array(hex.length / 2);
  hexToBytesInto(hex, out, 0);
  return out;
}

/** hexToBytes written into out[at …] instead of a new array; throws the same errors, and when it does not fit. */
export function hexToBytesInto(hex: string, out: Uint8Array, at = 0): void {
  if (hex.length % 2 !== 0) throw new Error(`hex has an odd number of digits (${hex.length})`);
  const n = hex.length / 2;
  if (at < 0 || at + n > out.length) throw new Error(`${n} bytes do not fit at ${at} in ${out.length}`);
  for (let i = 0; i < n; i++) {
    const c1 = hex.charCodeAt(2 * i);
    const c2 = hex.charCodeAt(2 * i + 1);
    const hi = c1 < 128 ? DIGIT[c1] : -1;
    const lo = c2 < 128 ? DIGIT[c2] : -1;
    if (hi < 0 || lo < 0) {
      const bad = hi < 0 ? 2 * i : 2 * i + 1;
      throw new Error(`not a hex digit: ${JSON.stringify(hex[bad])} at position ${bad}`);
    }
    out[at + i] = (hi << 4) | lo;
  }
}
