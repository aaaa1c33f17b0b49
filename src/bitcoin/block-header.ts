// The 80-byte block header: version, previous block hash, merkle root, time, bits, nonce; plus the
// block hash (double SHA-256 of the header) and whether it meets the header's own target.
// In: bytes and an offset. Out: BlockHeader with hashes as display hex.

import { ByteReader } from './byte-reader.ts';
import { hashToHex, sha256d } from './hash.ts';
import { bytesToReversedHex } from './hex.ts';
import { hashMeetsTarget } from './proof-of-work.ts';

/** A serialized block header is always 80 bytes. */
export const HEADER_BYTES = 80;

export interface BlockHeader {
  /** Signed 32-bit, as Bitcoin Core stores it (BIP9 version bits included). */
  version: number;
  /** Previous block's hash, display hex. */
  prevHash: string;
  /** Merkle root of the block's txids, display hex. */
  merkleRoot: string;
  /** Seconds since 1970-01-01 UTC, as the miner wrote it. */
  time: number;
  /** The proof-of-work target in compact form. */
  bits: number;
  nonce: number;
  /** This block's hash, display hex. */
  hash: string;
  /** The hash is at most the target encoded by `bits` (the header's own claim, not the chain's rule). */
  meetsTarget: boolean;
}

export function parseBlockHeader(bytes: Uint8Array, offset = 0): BlockHeader {
  if (!Number.isSafeInteger(offset) || offset < 0 || offset > bytes.length) {
    throw new RangeError(`offset ${offset} is outside the ${bytes.length}-byte input`);
  }
  const r = new ByteReader(bytes, offset);
  r.need(HEADER_BYTES, 'block header');
  const version = r.i32('block version');
  const prevHash = bytesToReversedHex(bytes, offset + 4, offset + 36);
  const merkleRoot = bytesToReversedHex(bytes, offset + 36, offset + 68);
  r.pos = offset + 68;
  const time = r.u32('block time');
  const bits = r.u32('block bits');
  const nonce = r.u32('block nonce');
  const hash = sha256d(bytes, offset, offset + HEADER_BYTES);
  return {
    version,
    prevHash,
    merkleRoot,
    time,
    bits,
    nonce,
    hash: hashToHex(hash),
    meetsTarget: hashMeetsTarget(hash, bits),
  };
}
