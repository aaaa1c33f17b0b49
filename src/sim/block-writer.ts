// Assembles a demo block the way a miner does: a BIP34 coinbase with a segwit witness commitment,
// the merkle root, an 80-byte header whose hash meets its (regtest-easy) target, and the serialized
// block. In: height, previous hash, time, the chosen transactions. Out: the raw block and its hash.

import { ByteWriter } from './byte-writer.ts';
import type { Random } from './random.ts';
import { concat, OP_RETURN, outputScript, push } from './scripts.ts';
import { displayHex, sha256d, type WrittenTransaction, writeTransaction } from './tx-writer.ts';

/** Regtest's proof-of-work limit: about every second nonce meets it, so mining costs nothing. */
export const DEMO_BITS = 0x207fffff;
/** Version with the BIP9 top bits set, as miners signal today. */
const BLOCK_VERSION = 0x20000000;
/** The subsidy since the 2024 halving, in satoshis. */
const SUBSIDY_SATS = 312_500_000;
/** BIP141's witness commitment header: OP_RETURN, push 36, then 0xaa21a9ed. */
const WITNESS_COMMITMENT_TAG = [0xaa, 0x21, 0xa9, 0xed];

export interface BlockInput {
  height: number;
  /** Previous block hash, internal byte order. */
  prevHash: Uint8Array;
  time: number;
  transactions: WrittenTransaction[];
  /** Total fees of `transactions`, paid to the miner with the subsidy. */
  fees: number;
}

export interface WrittenBlock {
  bytes: Uint8Array;
  hash: string;
  hashBytes: Uint8Array;
  height: number;
  time: number;
  /** Every txid in block order, the coinbase first. */
  txids: string[];
}

/** The minimal little-endian script number encoding of a non-negative integer (BIP34 height). */
export function scriptNumber(n: number): Uint8Array {
  const out: number[] = [];
  while (n > 0) {
    out.push(n & 0xff);
    n = Math.floor(n / 256);
  }
  if (out.length > 0 && out[out.length - 1] & 0x80) out.push(0);
  return new Uint8Array(out);
}

export function merkleRoot(hashes: Uint8Array[]): Uint8Array {
  if (hashes.length === 0) throw new RangeError('a block has at least one transaction');
  let level = hashes;
  while (level.length > 1) {
    const next: Uint8Array[] = [];
    for (let i = 0; i < level.length; i += 2) {
      const right = i + 1 < level.length ? level[i + 1] : level[i];
      next.push(sha256d(concat([level[i], right])));
    }
    level = next;
  }
  return level[0];
}

/** The 256-bit target of a compact `bits` value, big-endian. */
function target(bits: number): Uint8Array {
  const out = new Uint8Array(32);
  const exponent = bits >>> 24;
  const mantissa = [(bits >>> 16) & 0xff, (bits >>> 8) & 0xff, bits & 0xff];
  for (let i = 0; i < 3; i++) {
    const at = 32 - exponent + i;
    if (at >= 0 && at < 32) out[at] = mantissa[i];
  }
  return out;
}

/** Whether a hash in internal byte order is at most the target, both read as 256-bit numbers. */
function meetsTarget(hash: Uint8Array, big: Uint8Array): boolean {
  for (let i = 0; i < 32; i++) {
    const h = hash[31 - i];
    if (h !== big[i]) return h < big[i];
  }
  return true;
}

function coinbase(block: BlockInput, witnessRoot: Uint8Array | null, rng: Random): WrittenTransaction {
  const outputs = [{ value: SUBSIDY_SATS + block.fees, scriptPubKey: outputScript('p2wpkh', rng) }];
  const reserved = new Uint8Array(32);
  if (witnessRoot !== null) {
    const commitment = sha256d(concat([witnessRoot, reserved]));
    outputs.push({ value: 0, scriptPubKey: concat([[OP_RETURN, 36], WITNESS_COMMITMENT_TAG, commitment]) });
  }
  return writeTransaction({
    version: 2,
    inputs: [
      {
        prevTxid: new Uint8Array(32),
        prevVout: 0xffffffff,
        scriptSig: concat([push(scriptNumber(block.height)), push(rng.bytes(8))]),
        sequence: 0xffffffff,
        witness: witnessRoot !== null ? [reserved] : [],
      },
    ],
    outputs,
    locktime: 0,
  });
}

export function writeBlock(block: BlockInput, rng: Random): WrittenBlock {
  const segwit = block.transactions.some((tx) => tx.totalSize !== tx.baseSize);
  // The coinbase's wtxid counts as zero in the witness merkle tree.
  const witnessRoot = segwit
    ? merkleRoot([new Uint8Array(32), ...block.transactions.map((tx) => sha256d(tx.bytes))])
    : null;
  const base = coinbase(block, witnessRoot, rng);
  const all = [base, ...block.transactions];
  const root = merkleRoot(all.map((tx) => tx.txidBytes));

  const header = new ByteWriter(80);
  header.u32(BLOCK_VERSION);
  header.bytes(block.prevHash);
  header.bytes(root);
  header.u32(block.time);
  header.u32(DEMO_BITS);
  header.u32(0);
  const headerBytes = header.finish();
  const view = new DataView(headerBytes.buffer);
  const goal = target(DEMO_BITS);
  let hashBytes = sha256d(headerBytes);
  for (let nonce = 1; !meetsTarget(hashBytes, goal); nonce++) {
    view.setUint32(76, nonce, true);
    hashBytes = sha256d(headerBytes);
  }

  const out = new ByteWriter(80 + all.reduce((n, tx) => n + tx.bytes.length, 9));
  out.bytes(headerBytes);
  out.varint(all.length);
  for (const tx of all) out.bytes(tx.bytes);
  return {
    bytes: out.finish(),
    hash: displayHex(hashBytes),
    hashBytes,
    height: block.height,
    time: block.time,
    txids: all.map((tx) => tx.txid),
  };
}
