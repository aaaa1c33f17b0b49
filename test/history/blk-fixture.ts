// Block files for tests and the benchmark: raw blocks in, a blocks directory out, laid out the way
// a node writes it (blkNNNNN.dat files of [magic][length][block] frames, XORed by file offset with
// the key in xor.dat when one is given), optionally followed by zeros (preallocated space).

import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { FRAME_BYTES, magicBytes, xorAt } from '../../src/history/blk-format.ts';
import type { Network } from '../../src/node/network.ts';

export interface BlkDirOptions {
  network?: Network;
  /** The 8-byte XOR key written to xor.dat; omit for no xor.dat (a node before version 28). */
  key?: Uint8Array;
  /** A new file starts when the current one would pass this many bytes. */
  maxFileBytes?: number;
  /** Zeros appended to the last file (not XORed, as on disk). */
  trailingZeros?: number;
}

/** The frames of `blocks` as one file's bytes starting at file offset 0, XORed with `key`. */
export function frameBlocks(blocks: readonly Uint8Array[], network: Network, key?: Uint8Array): Buffer {
  const size = blocks.reduce((s, b) => s + FRAME_BYTES + b.length, 0);
  const out = Buffer.alloc(size);
  let at = 0;
  for (const block of blocks) {
    out.set(magicBytes(network), at);
    out.writeUInt32LE(block.length, at + 4);
    out.set(block, at + FRAME_BYTES);
    at += FRAME_BYTES + block.length;
  }
  if (key) xorAt(out, key, 0);
  return out;
}

/** Writes `blocks` as blk files into `dir` (created); returns the file paths. */
export function writeBlkDir(
  dir: string,
  blocks: readonly Uint8Array[],
  options: BlkDirOptions = {},
): string[] {
  const network = options.network ?? 'main';
  const max = options.maxFileBytes ?? 128 * 1024 * 1024;
  mkdirSync(dir, { recursive: true });
  if (options.key) writeFileSync(join(dir, 'xor.dat'), options.key);
  const groups: Uint8Array[][] = [[]];
  let current = 0;
  for (const block of blocks) {
    if (current + FRAME_BYTES + block.length > max && groups[groups.length - 1].length > 0) {
      groups.push([]);
      current = 0;
    }
    groups[groups.length - 1].push(block);
    current += FRAME_BYTES + block.length;
  }
  return groups.map((group, i) => {
    const path = join(dir, `blk${String(i).padStart(5, '0')}.dat`);
    let bytes = frameBlocks(group, network, options.key);
    if (i === groups.length - 1 && options.trailingZeros)
      bytes = Buffer.concat([bytes, Buffer.alloc(options.trailingZeros)]);
    writeFileSync(path, bytes);
    return path;
  });
}
