// Bitcoin transactions from wire bytes: legacy and segwit (BIP144, any witness version), read at an
// offset without copying. In: a Uint8Array and an offset. Out: the transaction (inputs, outputs,
// per-input witness sizes, txid, size, weight, vsize) and the offset just past it.
// Scripts and outpoint txids are views into the input: keep the input alive while you hold them.
// Bad bytes throw ParseError with the offset; nothing is allocated for a count the bytes cannot hold.

import { ByteReader, viewOf } from './byte-reader.ts';
import { sha256dDisplayHex, sha256dInto } from './hash.ts';
import { ParseError } from './parse-error.ts';

export interface TxInput {
  /** The spent output's txid: a 32-byte view into the source, internal (wire) byte order. */
  prevTxid: Uint8Array;
  /** The spent output's index in its transaction. */
  prevVout: number;
  /** View into the source. */
  scriptSig: Uint8Array;
  sequence: number;
  /** Number of witness stack items; 0 when the input has no witness. */
  witnessItems: number;
  /** Serialized size of this input's witness (item count, each item's length and bytes); 0 when none. */
  witnessBytes: number;
  /** Size in bytes of the largest witness item; 0 when none. */
  witnessLargestItem: number;
}

export interface TxOutput {
  /** Satoshis, exact (never above the 21 million BTC supply, see MAX_MONEY_SATS). */
  value: number;
  /** The scriptPubKey: a view into the source. */
  script: Uint8Array;
}

export interface Transaction {
  version: number;
  inputs: TxInput[];
  outputs: TxOutput[];
  locktime: number;
  /** Serialized with the BIP144 marker and flag (and so with witnesses). */
  segwit: boolean;
  /** One input spending the null outpoint (all-zero txid, index 0xffffffff). */
  isCoinbase: boolean;
  /** Double SHA-256 of the serialization without witnesses, as display hex; '' with { txid: false }. */
  txid: string;
  /** Serialized size in bytes, witnesses included. */
  size: number;
  /** BIP141 weight: 3 x size without witnesses + size with them. */
  weight: number;
  /** Virtual size: weight / 4, rounded up. */
  vsize: number;
}

export interface TransactionOptions {
  /** Compute the txid (two SHA-256 passes, most of the parse time). Default true. */
  txid?: boolean;
  /**
   * With the txid on: write its 32 bytes (internal order) here and leave `txid` '' (no hex string;
   * for callers that key transactions by bytes and want hex for a few of them only).
   */
  digest?: Uint8Array;
  /**
   * Views of the scripts (scriptSig, scriptPubKey). Default true. With false, each script is a shared
   * stand-in holding only its first byte (empty for an empty script), not a view: for callers that
   * look at no more than a script's first byte (the filter rules' OP_RETURN test) and want no
   * allocation per script. Never write into the stand-ins.
   */
  scripts?: boolean;
}

/** 32-byte txid + 4-byte index + 1-byte empty scriptSig length + 4-byte sequence: the smallest input. */
const MIN_INPUT_BYTES = 41;
/** 8-byte value + 1-byte empty script length: the smallest output. */
const MIN_OUTPUT_BYTES = 9;
/** An empty witness item is its 1-byte length. */
const MIN_WITNESS_ITEM_BYTES = 1;
/** 21 million BTC in satoshis: no valid output holds more, and every value up to it is an exact double. */
export const MAX_MONEY_SATS = 21_000_000 * 100_000_000;
/** BIP141: non-witness bytes count four times, witness bytes once. */
const WITNESS_SCALE_FACTOR = 4;
/** The smallest possible transaction (legacy, one input with an empty scriptSig, no outputs):
 * version 4 + input count 1 + input 41 + output count 1 + locktime 4. Used to cap transaction counts. */
export const MIN_TRANSACTION_BYTES = 4 + 1 + MIN_INPUT_BYTES + 1 + 4;

/** { scripts: false }: the empty script, and a one-byte stand-in per first byte value. */
const NO_SCRIPT = new Uint8Array(0);
const SCRIPT_HEADS = Array.from({ length: 256 }, (_, b) => Uint8Array.of(b));

/** A script of `length` bytes at r.pos: a view, or with `views` false its shared stand-in. */
function scriptAt(r: ByteReader, length: number, views: boolean, what: string): Uint8Array {
  if (views) return r.view(length, what);
  r.need(length, what);
  const head = length === 0 ? NO_SCRIPT : SCRIPT_HEADS[r.bytes[r.pos]];
  r.pos += length;
  return head;
}

/** Reused buffer for a segwit transaction's non-witness serialization (the txid preimage). */
let preimage = new Uint8Array(1 << 16);

/** Reads one transaction starting at `offset`; `end` is the offset just past it. */
export function readTransaction(
  bytes: Uint8Array,
  offset: number,
  options?: TransactionOptions,
): { tx: Transaction; end: number } {
  const tx = readTransactionAt(bytes, offset, options);
  return { tx, end: offset + tx.size };
}

/** Reads one transaction starting at `offset`; it ends at `offset + tx.size`. Allocates nothing
 * beyond the transaction itself (the block iterator's path). */
export function readTransactionAt(
  bytes: Uint8Array,
  offset: number,
  options?: TransactionOptions,
): Transaction {
  if (!Number.isSafeInteger(offset) || offset < 0 || offset > bytes.length) {
    throw new RangeError(`offset ${offset} is outside the ${bytes.length}-byte input`);
  }
  const r = new ByteReader(bytes, offset);
  const views = options?.scripts !== false;
  const version = r.u32('transaction version');

  let segwit = false;
  const markerAt = r.pos;
  if (markerAt < bytes.length && bytes[markerAt] === 0) {
    // BIP144: a zero where the input count would be is the marker; the flag byte must be 1. (So a
    // legacy transaction with no inputs cannot be expressed; none is valid anyway.)
    r.pos++;
    const flag = r.u8('segwit flag');
    if (flag !== 1) {
      throw new ParseError(`unknown segwit flag 0x${flag.toString(16).padStart(2, '0')}`, markerAt + 1);
    }
    segwit = true;
  }

  const inputsAt = r.pos;
  const inputCount = r.count('input count', MIN_INPUT_BYTES);
  const inputs: TxInput[] = [];
  for (let i = 0; i < inputCount; i++) {
    r.need(36, 'outpoint');
    const p = r.pos;
    const prevTxid = viewOf(bytes, p, 32);
    const prevVout =
      (bytes[p + 32] | (bytes[p + 33] << 8) | (bytes[p + 34] << 16) | (bytes[p + 35] << 24)) >>> 0;
    r.pos = p + 36;
    const scriptSig = scriptAt(r, r.compactSize('scriptSig length'), views, 'scriptSig');
    const sequence = r.u32('sequence');
    inputs.push({
      prevTxid,
      prevVout,
      scriptSig,
      sequence,
      witnessItems: 0,
      witnessBytes: 0,
      witnessLargestItem: 0,
    });
  }

  const outputCount = r.count('output count', MIN_OUTPUT_BYTES);
  const outputs: TxOutput[] = [];
  for (let i = 0; i < outputCount; i++) {
    const valueAt = r.pos;
    const low = r.u32('output value');
    const high = r.u32('output value');
    const value = high * 2 ** 32 + low;
    if (value > MAX_MONEY_SATS) throw new ParseError('output value above the 21 million BTC supply', valueAt);
    const script = scriptAt(r, r.compactSize('scriptPubKey length'), views, 'scriptPubKey');
    outputs.push({ value, script });
  }
  const outputsEnd = r.pos;

  if (segwit) {
    let anyWitness = false;
    for (let i = 0; i < inputCount; i++) {
      const witnessAt = r.pos;
      const items = r.count('witness item count', MIN_WITNESS_ITEM_BYTES);
      if (items === 0) continue;
      let largest = 0;
      for (let j = 0; j < items; j++) {
        const length = r.compactSize('witness item length');
        r.skip(length, 'witness item');
        if (length > largest) largest = length;
      }
      const input = inputs[i];
      input.witnessItems = items;
      input.witnessBytes = r.pos - witnessAt;
      input.witnessLargestItem = largest;
      anyWitness = true;
    }
    // Bitcoin Core refuses this too ("superfluous witness record"): the marker promised witnesses.
    if (!anyWitness) throw new ParseError('segwit marker but every witness is empty', markerAt);
  }

  const locktimeAt = r.pos;
  const locktime = r.u32('locktime');
  const end = r.pos;

  const size = end - offset;
  const witnessSize = segwit ? 2 + (locktimeAt - outputsEnd) : 0;
  const baseSize = size - witnessSize;
  const weight = baseSize * (WITNESS_SCALE_FACTOR - 1) + size;

  let txid = '';
  if (options?.txid !== false) {
    const digest = options?.digest;
    if (!segwit) {
      if (digest === undefined) txid = sha256dDisplayHex(bytes, offset, end);
      else sha256dInto(bytes, offset, end, digest);
    } else {
      // version | inputs and outputs | locktime, without marker, flag and witnesses.
      if (preimage.length < baseSize) preimage = new Uint8Array(Math.max(baseSize, preimage.length * 2));
      const middle = outputsEnd - inputsAt;
      for (let i = 0; i < 4; i++) {
        preimage[i] = bytes[offset + i];
        preimage[4 + middle + i] = bytes[locktimeAt + i];
      }
      preimage.set(viewOf(bytes, inputsAt, middle), 4);
      if (digest === undefined) txid = sha256dDisplayHex(preimage, 0, baseSize);
      else sha256dInto(preimage, 0, baseSize, digest);
    }
  }

  return {
    version,
    inputs,
    outputs,
    locktime,
    segwit,
    isCoinbase: inputCount === 1 && isNullOutpoint(inputs[0]),
    txid,
    size,
    weight,
    vsize: Math.ceil(weight / WITNESS_SCALE_FACTOR),
  };
}

/** Parses exactly one transaction: bytes after it are a ParseError. */
export function parseTransaction(bytes: Uint8Array, options?: TransactionOptions): Transaction {
  const { tx, end } = readTransaction(bytes, 0, options);
  if (end !== bytes.length) {
    throw new ParseError(`${bytes.length - end} trailing bytes after the transaction`, end);
  }
  return tx;
}

/** The coinbase's outpoint: an all-zero txid and index 0xffffffff. */
function isNullOutpoint(input: TxInput): boolean {
  if (input.prevVout !== 0xffffffff) return false;
  const id = input.prevTxid;
  for (let i = 0; i < 32; i++) if (id[i] !== 0) return false;
  return true;
}
