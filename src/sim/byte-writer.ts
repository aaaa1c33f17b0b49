// A growable little-endian byte buffer for writing Bitcoin's wire format: fixed-width integers,
// CompactSize varints and length-prefixed byte strings. In: values. Out: one Uint8Array.

/** Bytes a CompactSize takes for `x`. */
export function varintSize(x: number): number {
  return x < 0xfd ? 1 : x <= 0xffff ? 3 : x <= 0xffffffff ? 5 : 9;
}

export class ByteWriter {
  private buffer: Uint8Array;
  private view: DataView;
  private length = 0;

  constructor(initialCapacity = 256) {
    this.buffer = new Uint8Array(initialCapacity);
    this.view = new DataView(this.buffer.buffer);
  }

  private reserve(n: number): void {
    if (this.length + n <= this.buffer.length) return;
    let capacity = this.buffer.length * 2;
    while (capacity < this.length + n) capacity *= 2;
    const next = new Uint8Array(capacity);
    next.set(this.buffer.subarray(0, this.length));
    this.buffer = next;
    this.view = new DataView(next.buffer);
  }

  u8(x: number): void {
    this.reserve(1);
    this.buffer[this.length++] = x;
  }

  u32(x: number): void {
    this.reserve(4);
    this.view.setUint32(this.length, x >>> 0, true);
    this.length += 4;
  }

  /** An unsigned 64-bit integer given as a safe JavaScript integer (satoshi amounts always are). */
  u64(x: number): void {
    if (!Number.isSafeInteger(x) || x < 0) throw new RangeError(`not a satoshi amount: ${x}`);
    this.u32(x % 4294967296);
    this.u32(Math.floor(x / 4294967296));
  }

  /** Bitcoin's CompactSize: 1, 3, 5 or 9 bytes, always the shortest form. */
  varint(x: number): void {
    if (x < 0xfd) this.u8(x);
    else if (x <= 0xffff) {
      this.u8(0xfd);
      this.reserve(2);
      this.view.setUint16(this.length, x, true);
      this.length += 2;
    } else if (x <= 0xffffffff) {
      this.u8(0xfe);
      this.u32(x);
    } else {
      this.u8(0xff);
      this.u64(x);
    }
  }

  bytes(b: Uint8Array): void {
    this.reserve(b.length);
    this.buffer.set(b, this.length);
    this.length += b.length;
  }

  /** A varint length followed by the bytes. */
  varbytes(b: Uint8Array): void {
    this.varint(b.length);
    this.bytes(b);
  }

  get size(): number {
    return this.length;
  }

  /** What was written: the buffer itself when it was sized exactly, else a copy. */
  finish(): Uint8Array {
    return this.length === this.buffer.length ? this.buffer : this.buffer.slice(0, this.length);
  }
}
