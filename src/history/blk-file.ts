// One block file of a node (blocks/blkNNNNN.dat) scanned for its blocks: a path, the network's
// magic and the XOR key in; where each block sits (offset, length) with its header's hash, previous
// hash and time out, plus how the file ends. Only each block's 88 leading bytes are read (frame and
// header), so scanning a 128 MB file costs a few hundred small reads. A file may end in zeros (the
// node preallocates space in chunks), in a block still being written (truncated), or in bytes that
// are not a frame (damage): the scan stops or resyncs on the next magic and says which.

import { closeSync, fstatSync, openSync, readSync } from 'node:fs';
import { HEADER_BYTES, parseBlockHeader } from '../bitcoin/block-header.ts';
import { FRAME_BYTES, xorAt } from './blk-format.ts';

/** No serialized block is larger than the 4,000,000 weight units allow. */
export const MAX_BLOCK_BYTES = 4_000_000;
/** A block is a header, a transaction count and at least one transaction. */
const MIN_BLOCK_BYTES = HEADER_BYTES + 1 + 60;
/** Read size while searching for the next magic after damage. */
const RESYNC_CHUNK = 1 << 20;

export interface BlockLocation {
  /** The blk file's path. */
  path: string;
  /** Offset of the block's first byte (after its 8-byte frame) in the file. */
  offset: number;
  /** The block's serialized size. */
  length: number;
}

export interface ScannedBlock extends BlockLocation {
  hash: string;
  prevHash: string;
  /** Header time, Unix seconds. */
  time: number;
}

/** How a file's blocks end: at the file's end, in zeros, in a block cut short, or at a point past which no magic was found. */
export type FileEnd = 'end' | 'zeros' | 'truncated';

export interface FileScan {
  path: string;
  blocks: ScannedBlock[];
  end: FileEnd;
  /** Where the last whole block ends (the next scan of a growing file can start here). */
  endOffset: number;
  /** The file's size when scanned. */
  size: number;
  /** Bytes skipped between frames that were not blocks (damage), 0 normally. */
  skippedBytes: number;
}

/** Scans `path` from `startOffset` (a frame boundary, 0 for a new file). */
export function scanBlockFile(
  path: string,
  magic: number,
  key: Uint8Array | null,
  startOffset = 0,
): FileScan {
  const fd = openSync(path, 'r');
  try {
    return scanOpenFile(fd, path, magic, key, startOffset);
  } finally {
    closeSync(fd);
  }
}

function scanOpenFile(
  fd: number,
  path: string,
  magic: number,
  key: Uint8Array | null,
  startOffset: number,
): FileScan {
  const size = fstatSync(fd).size;
  const head = Buffer.alloc(FRAME_BYTES + HEADER_BYTES);
  const blocks: ScannedBlock[] = [];
  let pos = startOffset;
  let endOffset = startOffset;
  let skippedBytes = 0;
  let end: FileEnd = 'end';
  while (pos < size) {
    const want = Math.min(head.length, size - pos);
    const got = readFull(fd, head, want, pos);
    const frame = head.subarray(0, got);
    if (isZero(frame.subarray(0, Math.min(got, FRAME_BYTES)))) {
      // Raw zeros: preallocated space, never written (zeros are not XORed on disk).
      end = restIsZero(fd, pos, size) ? 'zeros' : end;
      if (end === 'zeros') break;
    }
    xorAt(frame, key, pos);
    if (got < FRAME_BYTES) {
      end = 'truncated';
      break;
    }
    const length = frame.readUInt32LE(4);
    if (frame.readUInt32LE(0) !== magic || length < MIN_BLOCK_BYTES || length > MAX_BLOCK_BYTES) {
      const next = findMagic(fd, pos + 1, size, magic, key);
      if (next < 0) {
        // Nothing more that looks like a block: the rest is zeros or damage.
        skippedBytes += size - pos;
        end = restIsZero(fd, pos, size) ? 'zeros' : 'end';
        break;
      }
      skippedBytes += next - pos;
      pos = next;
      continue;
    }
    if (pos + FRAME_BYTES + length > size || got < FRAME_BYTES + HEADER_BYTES) {
      end = 'truncated';
      break;
    }
    const header = parseBlockHeader(frame, FRAME_BYTES);
    blocks.push({
      path,
      offset: pos + FRAME_BYTES,
      length,
      hash: header.hash,
      prevHash: header.prevHash,
      time: header.time,
    });
    pos += FRAME_BYTES + length;
    endOffset = pos;
  }
  return { path, blocks, end, endOffset, size, skippedBytes };
}

/**
 * Reads a block's bytes (XOR undone). Throws when the file is shorter than the location says.
 * With `into` (a buffer of at least location.length bytes) the bytes land there and the result is
 * a view of it: valid until the caller reuses `into`.
 */
export function readBlockAt(
  location: BlockLocation,
  key: Uint8Array | null,
  fd?: number,
  into?: Buffer,
): Uint8Array {
  const own = fd === undefined ? openSync(location.path, 'r') : fd;
  try {
    const bytes =
      into !== undefined && into.length >= location.length
        ? into.subarray(0, location.length)
        : Buffer.allocUnsafe(location.length);
    const got = readFull(own, bytes, location.length, location.offset);
    if (got !== location.length)
      throw new Error(`${location.path} ends inside the block at offset ${location.offset}`);
    xorAt(bytes, key, location.offset);
    return bytes;
  } finally {
    if (fd === undefined) closeSync(own);
  }
}

function readFull(fd: number, into: Buffer, length: number, position: number): number {
  let done = 0;
  while (done < length) {
    const n = readSync(fd, into, done, length - done, position + done);
    if (n === 0) break;
    done += n;
  }
  return done;
}

function isZero(bytes: Uint8Array): boolean {
  for (let i = 0; i < bytes.length; i++) if (bytes[i] !== 0) return false;
  return true;
}

function restIsZero(fd: number, from: number, size: number): boolean {
  const chunk = Buffer.allocUnsafe(RESYNC_CHUNK);
  for (let pos = from; pos < size; pos += RESYNC_CHUNK) {
    const got = readFull(fd, chunk, Math.min(RESYNC_CHUNK, size - pos), pos);
    if (!isZero(chunk.subarray(0, got))) return false;
  }
  return true;
}

/** The offset of the next frame magic at or after `from` (XOR undone), or -1. */
function findMagic(fd: number, from: number, size: number, magic: number, key: Uint8Array | null): number {
  const chunk = Buffer.allocUnsafe(RESYNC_CHUNK + 3);
  for (let pos = from; pos + 4 <= size; pos += RESYNC_CHUNK) {
    const got = readFull(fd, chunk, Math.min(RESYNC_CHUNK + 3, size - pos), pos);
    const view = chunk.subarray(0, got);
    xorAt(view, key, pos);
    for (let i = 0; i + 4 <= got; i++) if (view.readUInt32LE(i) === magic) return pos + i;
  }
  return -1;
}
