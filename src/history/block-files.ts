// A node's block directory, read-only: the directory, the network and the XOR key in; an index of
// every block stored in its blk*.dat files (hash → file, offset, length, header time) out, built by
// scanning the files' frames and headers. Files that grew since the last scan are scanned again
// from where their last whole block ended, so keeping the index current as blocks arrive costs one
// short scan. Nothing here writes to the node's files or keeps one open between calls.

import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { UserError } from '../errors.ts';
import type { Network } from '../node/network.ts';
import { type FileScan, type ScannedBlock, scanBlockFile } from './blk-file.ts';
import { isNullKey, magicOf, XOR_KEY_BYTES } from './blk-format.ts';

const BLK_FILE = /^blk(\d{5,})\.dat$/;

export interface IndexSummary {
  files: number;
  blocks: number;
  /** Bytes of block data indexed. */
  bytes: number;
  /** Files whose last block is cut short (the node writing it), by name. */
  truncated: string[];
  /** Bytes skipped because they were not frames (damage), summed over files. */
  skippedBytes: number;
}

/** Why the files cannot be used, as one sentence, from a file-system error. */
export function accessProblem(error: unknown): string {
  const code = (error as NodeJS.ErrnoException).code;
  if (code === 'EACCES' || code === 'EPERM') return 'permission denied';
  if (code === 'ENOENT') return 'no such directory';
  if (code === 'ENOTDIR') return 'not a directory';
  return error instanceof Error ? error.message : String(error);
}

/**
 * The XOR key of a blocks directory: 8 bytes in xor.dat (Bitcoin Core 28+, Knots); none for older
 * nodes. Some versions wrote the key as a length-prefixed vector (9 bytes, the first 0x08).
 */
export function readXorKey(blocksDir: string): Uint8Array | null {
  let bytes: Buffer;
  try {
    bytes = readFileSync(join(blocksDir, 'xor.dat'));
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return null;
    throw new UserError(`cannot read ${join(blocksDir, 'xor.dat')}: ${accessProblem(error)}.`, {
      hint: "let chainprice read the node's blocks directory, or use --block-files=off to read blocks over RPC",
    });
  }
  if (bytes.length === XOR_KEY_BYTES) return new Uint8Array(bytes);
  if (bytes.length === XOR_KEY_BYTES + 1 && bytes[0] === XOR_KEY_BYTES)
    return new Uint8Array(bytes.subarray(1));
  throw new UserError(`${join(blocksDir, 'xor.dat')} holds ${bytes.length} bytes, not an 8-byte key.`, {
    hint: 'use --block-files=off to read blocks over RPC instead',
  });
}

interface FileState {
  number: number;
  size: number;
  /** Modification time: the node writes new blocks into preallocated space without growing the file. */
  mtimeMs: number;
  scan: FileScan;
}

export class BlockFiles {
  readonly dir: string;
  readonly network: Network;
  readonly key: Uint8Array | null;
  private readonly magic: number;
  private readonly files = new Map<string, FileState>();
  private readonly index = new Map<string, ScannedBlock>();

  /** Opens the directory; a UserError with a one-line reason when it cannot be read. */
  static open(dir: string, network: Network): BlockFiles {
    try {
      if (!statSync(dir).isDirectory())
        throw Object.assign(new Error('not a directory'), { code: 'ENOTDIR' });
      readdirSync(dir);
    } catch (error) {
      throw new UserError(`cannot read the node's block files in ${dir}: ${accessProblem(error)}.`, {
        hint: "run chainprice as a user who can read them (e.g. in the node's group), give --blocks-dir DIR, or use --block-files=off to read blocks over RPC",
      });
    }
    return new BlockFiles(dir, network, readXorKey(dir));
  }

  private constructor(dir: string, network: Network, key: Uint8Array | null) {
    this.dir = dir;
    this.network = network;
    this.key = isNullKey(key) ? null : key;
    this.magic = magicOf(network);
  }

  /** Whether the files are XOR-obfuscated. */
  get obfuscated(): boolean {
    return this.key !== null;
  }

  /** The blk files in number order. */
  blockFiles(): { name: string; number: number }[] {
    let names: string[];
    try {
      names = readdirSync(this.dir);
    } catch (error) {
      throw new UserError(`cannot read the node's block files in ${this.dir}: ${accessProblem(error)}.`, {
        hint: 'use --block-files=off to read blocks over RPC',
      });
    }
    return names
      .map((name) => ({ name, match: BLK_FILE.exec(name) }))
      .filter((f): f is { name: string; match: RegExpExecArray } => f.match !== null)
      .map((f) => ({ name: f.name, number: Number(f.match[1]) }))
      .sort((a, b) => a.number - b.number);
  }

  /**
   * Scans new files, and files written since, from where their last whole block ended. A file that
   * cannot be read is a UserError (one line). Returns a summary of the whole index.
   */
  refresh(): IndexSummary {
    for (const { name, number } of this.blockFiles()) {
      const path = join(this.dir, name);
      let size: number;
      let mtimeMs: number;
      try {
        ({ size, mtimeMs } = statSync(path));
      } catch (error) {
        throw new UserError(`cannot read ${path}: ${accessProblem(error)}.`, {
          hint: 'use --block-files=off to read blocks over RPC',
        });
      }
      const known = this.files.get(name);
      if (known !== undefined && known.size === size && known.mtimeMs === mtimeMs) continue;
      let scan: FileScan;
      try {
        scan = scanBlockFile(path, this.magic, this.key, known?.scan.endOffset ?? 0);
      } catch (error) {
        throw new UserError(`cannot read ${path}: ${accessProblem(error)}.`, {
          hint: 'use --block-files=off to read blocks over RPC',
        });
      }
      for (const block of scan.blocks) this.index.set(block.hash, block);
      const blocks = known === undefined ? scan.blocks : [...known.scan.blocks, ...scan.blocks];
      this.files.set(name, {
        number,
        size,
        mtimeMs,
        scan: { ...scan, blocks, skippedBytes: scan.skippedBytes + (known?.scan.skippedBytes ?? 0) },
      });
    }
    return this.summary();
  }

  summary(): IndexSummary {
    let bytes = 0;
    let blocks = 0;
    let skippedBytes = 0;
    const truncated: string[] = [];
    for (const [name, { scan }] of this.files) {
      blocks += scan.blocks.length;
      for (const b of scan.blocks) bytes += b.length;
      skippedBytes += scan.skippedBytes;
      if (scan.end === 'truncated') truncated.push(name);
    }
    return { files: this.files.size, blocks, bytes, truncated, skippedBytes };
  }

  /** Where the block with this hash is stored, or undefined when no scanned file holds it. */
  locate(hash: string): ScannedBlock | undefined {
    return this.index.get(hash);
  }
}
