// A JSON-RPC reply whose result is one long hex string (getblock at verbosity 0: a block is ~2 MB,
// its hex ~4 MB), read as it streams in: the hex is decoded chunk by chunk into the bytes it
// stands for, and only the rest of the reply ("error", "id") becomes text for JSON.parse. So a
// block costs its bytes and the socket's chunks, never a 4 MB body buffer, a 4 MB body string and
// a 4 MB result string (old-space garbage each, collected only by a full GC).
// A reply that has no string "result" (an error, or not JSON-RPC at all) is kept whole as text.

/** Nibble of each byte value: 0–15 for a hex digit, -1 otherwise. */
const NIBBLE = (() => {
  const table = new Int8Array(256).fill(-1);
  for (let i = 0; i < 10; i++) table[0x30 + i] = i;
  for (let i = 0; i < 6; i++) {
    table[0x41 + i] = 10 + i;
    table[0x61 + i] = 10 + i;
  }
  return table;
})();

const QUOTE = 0x22;
/** Where the result string starts: the "result" key, its colon and the opening quote. */
const RESULT_START = /"result"\s*:\s*"/;
/** A reply whose first this-many bytes hold no string "result" is read whole as text. */
const MAX_HEAD = 64 * 1024;

export interface HexReply {
  /** The reply as JSON text, with the result string replaced by null when it was decoded. */
  text: string;
  /** The decoded result, or null when the reply had no string result. */
  bytes: Uint8Array | null;
  /** The result string was not whole hex (a character that is no hex digit, an odd count, cut short). */
  notHex: boolean;
}

export class HexReplyReader {
  private mode: 'head' | 'hex' | 'tail' | 'text' = 'head';
  private head: Buffer[] = [];
  private headLength = 0;
  /** The reply's text before the "result" key. */
  private before = '';
  private tail: Buffer[] = [];
  private out: Uint8Array;
  private length = 0;
  /** A high nibble waiting for its low one (a chunk can end mid-byte), or -1. */
  private pending = -1;
  private invalid = false;

  /** `expected`: the reply's size when known (content-length), so the bytes are allocated once. */
  constructor(expected = 0) {
    this.out = new Uint8Array(Math.max(64, Math.ceil(expected / 2)));
  }

  push(chunk: Buffer): void {
    if (this.mode === 'head') {
      this.head.push(chunk);
      this.headLength += chunk.length;
      const all = this.head.length === 1 ? chunk : Buffer.concat(this.head);
      this.head = [all];
      const text = all.toString('latin1');
      const match = RESULT_START.exec(text);
      if (match === null) {
        if (this.headLength > MAX_HEAD) this.mode = 'text';
        return;
      }
      this.before = text.slice(0, match.index);
      this.head = [];
      this.mode = 'hex';
      chunk = all.subarray(match.index + match[0].length);
    } else if (this.mode === 'text') {
      this.head.push(chunk);
      return;
    }
    if (this.mode === 'hex') {
      const end = this.decode(chunk);
      if (end < 0) return;
      this.mode = 'tail';
      chunk = chunk.subarray(end + 1);
    }
    if (chunk.length > 0) this.tail.push(chunk);
  }

  end(): HexReply {
    if (this.mode === 'head' || this.mode === 'text') {
      return { text: Buffer.concat(this.head).toString('utf8'), bytes: null, notHex: false };
    }
    const rest = Buffer.concat(this.tail).toString('utf8');
    if (this.mode === 'hex' || this.invalid || this.pending >= 0) {
      return { text: `${this.before}"result":null}`, bytes: null, notHex: true };
    }
    const buffer = this.out.buffer as ArrayBuffer;
    // Its own exactly-sized buffer, so it can be transferred to a worker whole.
    const bytes = new Uint8Array(buffer.transfer(this.length));
    this.out = new Uint8Array(0);
    return { text: `${this.before}"result":null${rest}`, bytes, notHex: false };
  }

  /** Decodes hex digits until the closing quote; its index in `chunk`, or -1 when the chunk ran out. */
  private decode(chunk: Buffer): number {
    let out = this.out;
    let length = this.length;
    let pending = this.pending;
    if (out.length < length + Math.ceil(chunk.length / 2)) {
      const bigger = new Uint8Array(Math.max(out.length * 2, length + chunk.length));
      bigger.set(out.subarray(0, length));
      this.out = out = bigger;
    }
    let i = 0;
    for (; i < chunk.length; i++) {
      const c = chunk[i];
      const nibble = NIBBLE[c];
      if (nibble < 0) {
        if (c !== QUOTE) this.invalid = true;
        break;
      }
      if (pending < 0) pending = nibble;
      else {
        out[length++] = (pending << 4) | nibble;
        pending = -1;
      }
    }
    this.length = length;
    this.pending = pending;
    return i < chunk.length ? i : -1;
  }
}
