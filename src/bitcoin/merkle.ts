// The merkle root of a block's transactions: txids hashed in pairs with double SHA-256, level by level,
// an odd last node paired with itself. In: txids (display hex, block order). Out: the root, display hex.

import { hashToHex, hexToHash, sha256d } from './hash.ts';

/** Merkle root over 32-byte hashes in internal order; returns the root in internal order. */
export function merkleRootOfHashes(hashes: readonly Uint8Array[]): Uint8Array {
  if (hashes.length === 0) throw new Error('a merkle root needs at least one transaction');
  let level = hashes;
  const pair = new Uint8Array(64);
  while (level.length > 1) {
    const next: Uint8Array[] = [];
    for (let i = 0; i < level.length; i += 2) {
      pair.set(level[i], 0);
      pair.set(level[i + 1] ?? level[i], 32);
      next.push(sha256d(pair));
    }
    level = next;
  }
  return level[0];
}

/** Merkle root over txids in display hex; the root in display hex (as in the block header). */
export function merkleRoot(txids: readonly string[]): string {
  return hashToHex(merkleRootOfHashes(txids.map(hexToHash)));
}
