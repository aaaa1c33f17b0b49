// A bounds-checked cursor over a Uint8Array: little-endian integers, CompactSize counts and views.
// Every read checks the remaining length first and throws ParseError (never reads past the end);
// views are subarrays of the input, never copies.

import { ParseError } from './parse-error.ts';

export class ByteReader {
  readonly bytes: Uint8Array;
  /** Offset of the next unread byte. */
  pos: number;

  constructor(bytes: Uint8Array, pos = 0) {
    this.bytes = bytes;
    this.pos = pos;
  }

  get remaining(): number {
    return this.bytes.length - this.pos;
  }

  /** Throws unless `n` more bytes are available; `what` names the field for the error. */
  need(n: number, what: string): void {
    if (this.bytes.length - this.pos < n) {
      throw new ParseError(
        `truncated ${what}: needs ${n} bytes, ${this.bytes.length - this.pos} left`,
        this.pos,
      );
    }
  }

  u8(what: string): number {
    this.need(1, what);
    return this.bytes[this.pos++];
  }

  u16(what: string): number {
    this.need(2, what);
    const b = this.bytes;
    const p = this.pos;
    this.pos = p + 2;
    return b[p] | (b[p + 1] << 8);
  }

  u32(what: string): number {
    this.need(4, what);
    const b = this.bytes;
    const p = this.pos;
    this.pos = p + 4;
    return (b[p] | (b[p + 1] << 8) | (b[p + 2] << 16) | (b[p + 3] << 24)) >>> 0;
  }

  i32(what: string): number {
    this.need(4, what);
    const b = this.bytes;
    const p = this.pos;
    this.pos = p + 4;
    return b[p] | (b[p + 1] << 8) | (b[p + 2] << 16) | (b[p + 3] << 24);
  }

  /**
   * A CompactSize ("varint"): one byte below 0xfd, else 0xfd/0xfe/0xff followed by 2/4/8 bytes.
   * The shortest encoding is required (as Bitcoin Core requires): a longer one is a ParseError.
   * Values above 2^53 lose precision, which cannot matter: callers compare every count with the
   * bytes left, and no input is that long.
   */
  compactSize(what: string): number {
    const start = this.pos;
    const first = this.u8(what);
    if (first < 0xfd) return first;
    let value: number;
    let minimum: number;
    if (first === 0xfd) {
      value = this.u16(what);
      minimum = 0xfd;
    } else if (first === 0xfe) {
      value = this.u32(what);
      minimum = 0x10000;
    } else {
      const low = this.u32(what);
      value = this.u32(what) * 2 ** 32 + low;
      minimum = 2 ** 32;
    }
    if (value < minimum) {
      throw new ParseError(
        `non-canonical ${what}: ${value} encoded with prefix 0x${first.toString(16)}`,
        start,
      );
    }
    return value;
  }

  /**
   * A count of items that each take at least `minItemBytes` bytes: rejected before anything is
   * allocated or looped over when the remaining input cannot hold that many items.
   */
  count(what: string, minItemBytes: number): number {
    const start = this.pos;
    const n = this.compactSize(what);
    if (n * minItemBytes > this.bytes.length - this.pos) {
      throw new ParseError(
        `${what} ${n} cannot fit in the ${this.bytes.length - this.pos} bytes left (each takes at least ${minItemBytes})`,
        start,
      );
    }
    return n;
  }

  /** A view of the next `n` bytes (no copy). */
  view(n: number, what: string): Uint8Array {
    this.need(n, what);
    const p = this.pos;
    this.pos = p + n;
    return viewOf(this.bytes, p, n);
  }

  skip(n: number, what: string): void {
    this.need(n, what);
    this.pos += n;
  }
}

/** bytes[at, at + length) as a new view on the same memory. Cheaper than subarray(), which looks up
 * a species constructor (bench/parse.ts); views are the parser's main allocation. */
export function viewOf(bytes: Uint8Array, at: number, length: number): Uint8Array {
  return new Uint8Array(bytes.buffer, bytes.byteOffset + at, length);
}
