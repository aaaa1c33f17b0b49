// Serializes a transaction the way the network does (BIP144 segwit layout when any input has a
// witness, the legacy layout otherwise) and computes its txid. In: a DraftTransaction. Out: the
// raw bytes, the txid (display hex) and the sizes that decide its weight.

import { hash } from 'node:crypto';
import { ByteWriter, varintSize } from './byte-writer.ts';

export interface DraftInput {
  /** The spent transaction's id in internal (wire) byte order. */
  prevTxid: Uint8Array;
  prevVout: number;
  scriptSig: Uint8Array;
  sequence: number;
  /** Witness stack items; empty for a legacy input. */
  witness: Uint8Array[];
}

export interface DraftOutput {
  /** Satoshis. */
  value: number;
  scriptPubKey: Uint8Array;
}

export interface DraftTransaction {
  version: number;
  inputs: DraftInput[];
  outputs: DraftOutput[];
  locktime: number;
}

export interface WrittenTransaction {
  bytes: Uint8Array;
  /** Display order (reversed) hex, as block explorers and RPC show it. */
  txid: string;
  /** The txid in internal byte order, for outpoints that spend this transaction. */
  txidBytes: Uint8Array;
  /** Size without witness data. */
  baseSize: number;
  totalSize: number;
  weight: number;
  vsize: number;
}

export function sha256d(bytes: Uint8Array): Uint8Array {
  return new Uint8Array(hash('sha256', hash('sha256', bytes, 'buffer'), 'buffer'));
}

export function displayHex(internal: Uint8Array): string {
  return Buffer.from(internal).reverse().toString('hex');
}

function writeBody(w: ByteWriter, tx: DraftTransaction, withWitness: boolean): void {
  w.u32(tx.version);
  if (withWitness) {
    w.u8(0x00); // segwit marker
    w.u8(0x01); // segwit flag
  }
  w.varint(tx.inputs.length);
  for (const input of tx.inputs) {
    if (input.prevTxid.length !== 32) throw new RangeError('an outpoint txid is 32 bytes');
    w.bytes(input.prevTxid);
    w.u32(input.prevVout);
    w.varbytes(input.scriptSig);
    w.u32(input.sequence);
  }
  w.varint(tx.outputs.length);
  for (const output of tx.outputs) {
    w.u64(output.value);
    w.varbytes(output.scriptPubKey);
  }
  if (withWitness) {
    for (const input of tx.inputs) {
      w.varint(input.witness.length);
      for (const item of input.witness) w.varbytes(item);
    }
  }
  w.u32(tx.locktime);
}

/** The serialized size, so the writer allocates once. */
function serializedSize(tx: DraftTransaction, withWitness: boolean): number {
  let n = 8 + varintSize(tx.inputs.length) + varintSize(tx.outputs.length);
  for (const input of tx.inputs) n += 40 + varintSize(input.scriptSig.length) + input.scriptSig.length;
  for (const output of tx.outputs)
    n += 8 + varintSize(output.scriptPubKey.length) + output.scriptPubKey.length;
  if (withWitness) {
    n += 2;
    for (const input of tx.inputs) {
      n += varintSize(input.witness.length);
      for (const item of input.witness) n += varintSize(item.length) + item.length;
    }
  }
  return n;
}

export function hasWitness(tx: DraftTransaction): boolean {
  return tx.inputs.some((input) => input.witness.length > 0);
}

export function writeTransaction(tx: DraftTransaction): WrittenTransaction {
  const stripped = new ByteWriter(serializedSize(tx, false));
  writeBody(stripped, tx, false);
  const base = stripped.finish();
  const segwit = hasWitness(tx);
  let bytes = base;
  if (segwit) {
    const full = new ByteWriter(serializedSize(tx, true));
    writeBody(full, tx, true);
    bytes = full.finish();
  }
  const txidBytes = sha256d(base);
  const weight = base.length * 3 + bytes.length;
  return {
    bytes,
    txid: displayHex(txidBytes),
    txidBytes,
    baseSize: base.length,
    totalSize: bytes.length,
    weight,
    vsize: Math.ceil(weight / 4),
  };
}
