// SHA-256 (FIPS 180-4) in plain TypeScript: bytes in, a 32-byte digest or eight state words out.
// Runs anywhere (Node or a browser) with no dependency. `hash.ts` decides when the platform's
// native SHA-256 is faster and uses this file for the rest (the second round of a double hash).

/** The round constants and initial state are defined by the standard as the first 32 bits of the
 * fractional parts of the cube roots (K) and square roots (IV) of the first primes; computing them
 * here keeps the table honest, and the NIST test vectors in test/bitcoin/sha256.test.ts check them. */
const K = new Int32Array(64);
const IV = new Int32Array(8);
{
  const fraction32 = (x: number): number => Math.floor((x - Math.floor(x)) * 2 ** 32) | 0;
  let found = 0;
  for (let n = 2; found < 64; n++) {
    let prime = true;
    for (let d = 2; d * d <= n; d++) {
      if (n % d === 0) {
        prime = false;
        break;
      }
    }
    if (!prime) continue;
    K[found] = fraction32(Math.cbrt(n));
    if (found < 8) IV[found] = fraction32(Math.sqrt(n));
    found++;
  }
}

/** The message schedule, reused by every compression (this module is not re-entrant, nor needs to be). */
const W = new Int32Array(64);
/** Holds the padded tail of a message (at most two blocks). */
const tail = new Uint8Array(128);

/** Runs the 64 rounds over W[0..15] (already loaded) and adds the result into `state`. */
function rounds(state: Int32Array): void {
  for (let i = 16; i < 64; i++) {
    const w15 = W[i - 15];
    const w2 = W[i - 2];
    const s0 = ((w15 >>> 7) | (w15 << 25)) ^ ((w15 >>> 18) | (w15 << 14)) ^ (w15 >>> 3);
    const s1 = ((w2 >>> 17) | (w2 << 15)) ^ ((w2 >>> 19) | (w2 << 13)) ^ (w2 >>> 10);
    W[i] = (W[i - 16] + s0 + W[i - 7] + s1) | 0;
  }
  let a = state[0];
  let b = state[1];
  let c = state[2];
  let d = state[3];
  let e = state[4];
  let f = state[5];
  let g = state[6];
  let h = state[7];
  for (let i = 0; i < 64; i++) {
    const s1 = ((e >>> 6) | (e << 26)) ^ ((e >>> 11) | (e << 21)) ^ ((e >>> 25) | (e << 7));
    const t1 = (h + s1 + ((e & f) ^ (~e & g)) + K[i] + W[i]) | 0;
    const s0 = ((a >>> 2) | (a << 30)) ^ ((a >>> 13) | (a << 19)) ^ ((a >>> 22) | (a << 10));
    const t2 = (s0 + ((a & b) ^ (a & c) ^ (b & c))) | 0;
    h = g;
    g = f;
    f = e;
    e = (d + t1) | 0;
    d = c;
    c = b;
    b = a;
    a = (t1 + t2) | 0;
  }
  state[0] = (state[0] + a) | 0;
  state[1] = (state[1] + b) | 0;
  state[2] = (state[2] + c) | 0;
  state[3] = (state[3] + d) | 0;
  state[4] = (state[4] + e) | 0;
  state[5] = (state[5] + f) | 0;
  state[6] = (state[6] + g) | 0;
  state[7] = (state[7] + h) | 0;
}

/** Compresses the 64-byte block at `at` into `state`. */
function compress(state: Int32Array, bytes: Uint8Array, at: number): void {
  for (let i = 0; i < 16; i++, at += 4) {
    W[i] = (bytes[at] << 24) | (bytes[at + 1] << 16) | (bytes[at + 2] << 8) | bytes[at + 3];
  }
  rounds(state);
}

/** SHA-256 of bytes[start, end) into `state` as eight big-endian words. */
export function sha256Words(bytes: Uint8Array, start: number, end: number, state: Int32Array): void {
  state.set(IV);
  const length = end - start;
  let at = start;
  for (; at + 64 <= end; at += 64) compress(state, bytes, at);
  const rest = end - at;
  tail.fill(0);
  for (let i = 0; i < rest; i++) tail[i] = bytes[at + i];
  tail[rest] = 0x80;
  const blocks = rest < 56 ? 1 : 2;
  const bitsAt = blocks * 64 - 8;
  // Bit length as a 64-bit big-endian number; lengths stay far below 2^53 bits.
  const bits = length * 8;
  const high = Math.floor(bits / 2 ** 32);
  const low = bits >>> 0;
  tail[bitsAt] = high >>> 24;
  tail[bitsAt + 1] = high >>> 16;
  tail[bitsAt + 2] = high >>> 8;
  tail[bitsAt + 3] = high;
  tail[bitsAt + 4] = low >>> 24;
  tail[bitsAt + 5] = low >>> 16;
  tail[bitsAt + 6] = low >>> 8;
  tail[bitsAt + 7] = low;
  compress(state, tail, 0);
  if (blocks === 2) compress(state, tail, 64);
}

/** Replaces `state` (a finished SHA-256 of anything) with the SHA-256 of its 32-byte digest:
 * the second half of a double SHA-256, one compression with the padding known in advance. */
export function sha256OfDigestWords(state: Int32Array): void {
  for (let i = 0; i < 8; i++) W[i] = state[i];
  W[8] = 0x80000000 | 0;
  for (let i = 9; i < 15; i++) W[i] = 0;
  W[15] = 256;
  state.set(IV);
  rounds(state);
}

/** Writes eight state words as the 32-byte big-endian digest. */
export function wordsToBytes(state: Int32Array, out: Uint8Array = new Uint8Array(32)): Uint8Array {
  for (let i = 0; i < 8; i++) {
    const w = state[i];
    out[i * 4] = w >>> 24;
    out[i * 4 + 1] = w >>> 16;
    out[i * 4 + 2] = w >>> 8;
    out[i * 4 + 3] = w;
  }
  return out;
}

/** SHA-256 of `bytes`: a new 32-byte digest. */
export function sha256(bytes: Uint8Array): Uint8Array {
  const state = new Int32Array(8);
  sha256Words(bytes, 0, bytes.length, state);
  return wordsToBytes(state);
}
