// Double SHA-256 (Bitcoin's hash for txids, block hashes and merkle nodes) and hash <-> display hex.
// Hashes are kept in internal (wire) byte order; Bitcoin shows them reversed, as hex.
// Uses the platform's native SHA-256 (node:crypto's one-shot `hash`) when there is one, found
// without a static import so this file still loads in a browser, where the portable code runs.
// Two one-shot native calls with latin1 output are the fastest path per txid (createHash() makes a
// Buffer per digest; the portable code and mixed paths are slower): bench/parse.ts compares the
// paths on real transactions, and docs/performance.md has the figures.

import { viewOf } from './byte-reader.ts';
import { bytesToReversedHex, hexToBytesInto } from './hex.ts';
import { sha256OfDigestWords, sha256Words, wordsToBytes } from './sha256.ts';

type OneShotHash = (algorithm: string, data: Uint8Array, outputEncoding: 'latin1') => string;

function findNativeHash(): OneShotHash | undefined {
  const host = globalThis as { process?: { getBuiltinModule?: (id: string) => unknown } };
  const crypto = host.process?.getBuiltinModule?.('node:crypto') as { hash?: unknown } | undefined;
  return typeof crypto?.hash === 'function' ? (crypto.hash as OneShotHash) : undefined;
}

const nativeHash = findNativeHash();

/** A 32-byte Node Buffer for the reversed digest: its native hex encoder (toString('hex')) costs about
 * a third of decoding 64 ASCII bytes with a latin1 TextDecoder. Absent in a browser. */
type HexBuffer = Uint8Array & { toString(encoding: 'hex'): string };
function findHexBuffer(): HexBuffer | undefined {
  const host = globalThis as { Buffer?: { alloc?: (size: number) => unknown } };
  const alloc = host.Buffer?.alloc;
  return typeof alloc === 'function' ? (alloc(32) as HexBuffer) : undefined;
}
const reversedDigest = findHexBuffer();

/** Which SHA-256 runs here: 'native' (node:crypto) or 'portable' (src/bitcoin/sha256.ts). */
export const sha256Engine: 'native' | 'portable' = nativeHash ? 'native' : 'portable';

/** The first round's digest, fed to the second round without allocating. */
const middle = new Uint8Array(32);
const state = new Int32Array(8);

/** Native double SHA-256 of bytes[start, end), as a 32-char latin1 string (one char per byte). */
function nativeSha256d(hash: OneShotHash, bytes: Uint8Array, start: number, end: number): string {
  // A view built by the constructor costs less than subarray(); subarray() keeps its clamping for odd ranges.
  const whole = start === 0 && end === bytes.length;
  const inside = start >= 0 && start <= end && end <= bytes.length;
  const data = whole ? bytes : inside ? viewOf(bytes, start, end - start) : bytes.subarray(start, end);
  const first = hash('sha256', data, 'latin1');
  for (let i = 0; i < 32; i++) middle[i] = first.charCodeAt(i);
  return hash('sha256', middle, 'latin1');
}

/** Portable double SHA-256 of bytes[start, end) into `state` (eight big-endian words). */
function portableSha256dWords(bytes: Uint8Array, start: number, end: number): void {
  sha256Words(bytes, start, end, state);
  sha256OfDigestWords(state);
}

/** Double SHA-256 of bytes[start, end) with the portable code only (tests compare it with native). */
export function portableSha256d(bytes: Uint8Array, start = 0, end = bytes.length): Uint8Array {
  portableSha256dWords(bytes, start, end);
  return wordsToBytes(state);
}

/** Double SHA-256 of bytes[start, end): a new 32-byte hash in internal byte order. */
export function sha256d(bytes: Uint8Array, start = 0, end = bytes.length): Uint8Array {
  if (!nativeHash) return portableSha256d(bytes, start, end);
  const digest = nativeSha256d(nativeHash, bytes, start, end);
  const out = new Uint8Array(32);
  for (let i = 0; i < 32; i++) out[i] = digest.charCodeAt(i);
  return out;
}

/** Double SHA-256 of bytes[start, end) written into out[0..31] (internal byte order): no string and
 * no allocation beyond the native call's own (the history build keys txids by these bytes). */
export function sha256dInto(bytes: Uint8Array, start: number, end: number, out: Uint8Array): void {
  if (!nativeHash) {
    portableSha256dWords(bytes, start, end);
    wordsToBytes(state, out);
    return;
  }
  const digest = nativeSha256d(nativeHash, bytes, start, end);
  for (let i = 0; i < 32; i++) out[i] = digest.charCodeAt(i);
}

/** The two ASCII hex digits of each byte value as one 16-bit unit, so that writing it through a
 * Uint16Array puts the first digit first in memory (whatever the platform's byte order). */
const HEX_DIGIT_PAIRS = new Uint16Array(256);
{
  const littleEndian = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;
  for (let i = 0; i < 256; i++) {
    const pair = i.toString(16).padStart(2, '0');
    const [first, second] = [pair.charCodeAt(0), pair.charCodeAt(1)];
    HEX_DIGIT_PAIRS[i] = littleEndian ? first | (second << 8) : (first << 8) | second;
  }
}
/** 64 ASCII hex digits, written two at a time, then decoded to one flat string. */
const displayChars = new Uint8Array(64);
const displayPairs = new Uint16Array(displayChars.buffer);
/** Filling 64 ASCII bytes and decoding once beats 32 string concatenations (bench/parse.ts) and
 * leaves a flat string rather than a rope that is flattened later. */
const ascii = new TextDecoder('latin1');

/** Double SHA-256 of bytes[start, end) as display hex (reversed): a txid or block hash. */
export function sha256dDisplayHex(bytes: Uint8Array, start = 0, end = bytes.length): string {
  if (!nativeHash) {
    portableSha256dWords(bytes, start, end);
    for (let i = 7, j = 0; i >= 0; i--, j += 4) {
      const w = state[i];
      displayPairs[j] = HEX_DIGIT_PAIRS[w & 0xff];
      displayPairs[j + 1] = HEX_DIGIT_PAIRS[(w >>> 8) & 0xff];
      displayPairs[j + 2] = HEX_DIGIT_PAIRS[(w >>> 16) & 0xff];
      displayPairs[j + 3] = HEX_DIGIT_PAIRS[w >>> 24];
    }
    return ascii.decode(displayChars);
  }
  const digest = nativeSha256d(nativeHash, bytes, start, end);
  if (reversedDigest) {
    for (let i = 0; i < 32; i++) reversedDigest[i] = digest.charCodeAt(31 - i);
    return reversedDigest.toString('hex');
  }
  for (let i = 0; i < 32; i++) displayPairs[i] = HEX_DIGIT_PAIRS[digest.charCodeAt(31 - i)];
  return ascii.decode(displayChars);
}

/** A 32-byte hash in internal order at bytes[at …] -> display hex (reversed), as one flat string (cheap
 * to compare, unlike the concatenated string hashToHex builds); no length check. */
export function displayHexOfHash(bytes: Uint8Array, at = 0): string {
  if (reversedDigest) {
    for (let i = 0; i < 32; i++) reversedDigest[i] = bytes[at + 31 - i];
    return reversedDigest.toString('hex');
  }
  for (let i = 0; i < 32; i++) displayPairs[i] = HEX_DIGIT_PAIRS[bytes[at + 31 - i]];
  return ascii.decode(displayChars);
}

/** A 32-byte hash in internal order -> display hex (reversed). */
export function hashToHex(hash: Uint8Array): string {
  if (hash.length !== 32) throw new Error(`a hash is 32 bytes, got ${hash.length}`);
  return bytesToReversedHex(hash);
}

/** Display hex (64 hex digits) -> the 32-byte hash in internal order. Throws on anything else. */
export function hexToHash(hex: string): Uint8Array {
  const out = new Uint8Array(32);
  hexToHashInto(hex, out, 0);
  return out;
}

/** hexToHash written into out[at … at + 32) instead of a new array (no allocation); the same errors. */
export function hexToHashInto(hex: string, out: Uint8Array, at = 0): void {
  if (hex.length !== 64) throw new Error(`a hash is 64 hex digits, got ${hex.length} characters`);
  hexToBytesInto(hex, out, at);
  for (let i = at, j = at + 31; i < j; i++, j--) {
    const b = out[i];
    out[i] = out[j];
    out[j] = b;
  }
}
