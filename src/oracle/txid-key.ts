// Keys for txids in the window's tables. In: a txid as display hex, or as the 32 bytes of an
// outpoint (internal order). Out: the txid's first 16 internal bytes as four 32-bit words.
// Sixteen bytes of a hash identify it as surely as all 32 in any window (two transactions sharing
// them would take about 2^64 hashing work to find on purpose), and four numbers cost no
// allocation: the window builds a key for every input of every transaction it sees.

/** Hex digit value by char code; 16 for anything that is not a hex digit. */
const DIGIT = new Uint8Array(128).fill(16);
for (let i = 0; i < 10; i++) DIGIT[48 + i] = i;
for (let i = 0; i < 6; i++) {
  DIGIT[65 + i] = 10 + i;
  DIGIT[97 + i] = 10 + i;
}

/**
 * Writes the key of a display-hex txid into out[0..3]; false (and out[] undefined) when it is not
 * 64 hex digits. Internal byte i is display byte 31 - i, at hex digits 62 - 2i and 63 - 2i; word
 * w holds internal bytes 4w…4w+3, little-endian.
 */
export function keyOfTxid(hex: string, out: Int32Array): boolean {
  if (typeof hex !== 'string' || hex.length !== 64) return false;
  let bad = 0;
  for (let w = 0; w < 4; w++) {
    let v = 0;
    for (let b = 3; b >= 0; b--) {
      const at = 62 - 2 * (4 * w + b);
      const hi = DIGIT[hex.charCodeAt(at) & 127];
      const lo = DIGIT[hex.charCodeAt(at + 1) & 127];
      bad |= hi | lo;
      v = (v << 8) | (hi << 4) | lo;
    }
    out[w] = v;
  }
  return (bad & 16) === 0;
}

/** Writes the key of a txid given as its 32 bytes in internal order into out[at … at + 3]. */
export function keyOfHash(h: Uint8Array, out: Int32Array, at = 0): void {
  for (let w = 0; w < 4; w++) {
    const i = 4 * w;
    out[at + w] = h[i] | (h[i + 1] << 8) | (h[i + 2] << 16) | (h[i + 3] << 24);
  }
}
