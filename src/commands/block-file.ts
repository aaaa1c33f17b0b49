// `chainprice block FILE [--txs]`: a JSON summary of one block read from a file (raw wire bytes, or
// the same as hex, e.g. `bitcoin-cli getblock HASH 0 > block.hex`). In: the file. Out: hash, height,
// time, transaction and output counts, output script type counts (and one line per transaction).
// The seam for blocks from a node: `blockFileSummary(bytes)` summarizes any block's bytes, and
// `isBlockFileArgument` tells a file path from a height or a hash.

import { existsSync, readFileSync, statSync } from 'node:fs';
import { merkleRoot, readBlock } from '../bitcoin/block.ts';
import { hexToBytes } from '../bitcoin/hex.ts';
import { ParseError } from '../bitcoin/parse-error.ts';
import { SCRIPT_TYPES, type ScriptType, scriptType } from '../bitcoin/script.ts';
import { UserError } from '../errors.ts';

/** BIP141 caps a block at 4,000,000 weight units, so its serialization is at most 4,000,000 bytes. */
const MAX_BLOCK_BYTES = 4_000_000;
/** As hex a block takes two characters a byte; allow some whitespace (line breaks) on top. */
const MAX_BLOCK_FILE_BYTES = 2 * MAX_BLOCK_BYTES + 4096;
/** Bitcoin Core's mainnet message start: the first bytes of each record in its blk*.dat files. */
const BLK_FILE_MAGIC = [0xf9, 0xbe, 0xb4, 0xd9];

export interface BlockSummary {
  hash: string;
  /** BIP34 height from the coinbase; null for version 1 blocks. */
  height: number | null;
  /** Header time, seconds since 1970 UTC, and the same as an ISO date. */
  time: number;
  timeUtc: string;
  prevHash: string;
  size: number;
  weight: number;
  txCount: number;
  outputCount: number;
  /** Sum of all output values, coinbase included. */
  outputValueSats: number;
  /** Outputs per script type, every type listed (zeros included). */
  outputTypes: Record<ScriptType, number>;
  /** The header's hash meets the target encoded in its own bits. */
  meetsTarget: boolean;
  /** The merkle root rebuilt from the transactions equals the header's. */
  merkleRootMatches: boolean;
}

export interface TransactionLine {
  index: number;
  txid: string;
  coinbase: boolean;
  segwit: boolean;
  size: number;
  vsize: number;
  weight: number;
  inputs: number;
  outputs: { value: number; type: ScriptType }[];
}

export interface BlockReport {
  summary: BlockSummary;
  /** Present when asked for ({ txs: true }). */
  transactions?: TransactionLine[];
}

/** Summarizes one serialized block; a malformed block is a UserError naming the byte offset. */
export function blockFileSummary(
  bytes: Uint8Array,
  options: { txs?: boolean; source?: string } = {},
): BlockReport {
  const source = options.source ?? 'the block';
  try {
    const block = readBlock(bytes);
    const outputTypes = Object.fromEntries(SCRIPT_TYPES.map((t) => [t, 0])) as Record<ScriptType, number>;
    const txids: string[] = [];
    const lines: TransactionLine[] = [];
    let outputCount = 0;
    let outputValueSats = 0;
    let weight = 0;
    for (const tx of block.transactions()) {
      txids.push(tx.txid);
      weight += tx.weight;
      outputCount += tx.outputs.length;
      const outputs: TransactionLine['outputs'] = [];
      for (const output of tx.outputs) {
        const type = scriptType(output.script);
        outputTypes[type]++;
        outputValueSats += output.value;
        if (options.txs) outputs.push({ value: output.value, type });
      }
      if (options.txs) {
        lines.push({
          index: lines.length,
          txid: tx.txid,
          coinbase: tx.isCoinbase,
          segwit: tx.segwit,
          size: tx.size,
          vsize: tx.vsize,
          weight: tx.weight,
          inputs: tx.inputs.length,
          outputs,
        });
      }
    }
    const { header } = block;
    // Header and transaction count count as non-witness bytes: four weight units each.
    const countBytes = block.firstTxOffset - 80;
    const summary: BlockSummary = {
      hash: header.hash,
      height: block.height,
      time: header.time,
      timeUtc: new Date(header.time * 1000).toISOString(),
      prevHash: header.prevHash,
      size: block.size,
      weight: weight + (80 + countBytes) * 4,
      txCount: block.txCount,
      outputCount,
      outputValueSats,
      outputTypes,
      meetsTarget: header.meetsTarget,
      merkleRootMatches: merkleRoot(txids) === header.merkleRoot,
    };
    return options.txs ? { summary, transactions: lines } : { summary };
  } catch (error) {
    if (error instanceof ParseError) throw new UserError(`${source} is not a valid block: ${error.message}`);
    throw error;
  }
}

/** True for what `chainprice block` treats as a file: an existing path, or one ending .raw or .hex. */
export function isBlockFileArgument(argument: string): boolean {
  return /\.(raw|hex)$/i.test(argument) || existsSync(argument);
}

/** Reads a block file: raw bytes, or hex (by extension, or when the whole file is hex digits). */
export function readBlockFile(path: string): Uint8Array {
  let size: number;
  try {
    const stat = statSync(path);
    if (stat.isDirectory()) throw new UserError(`${path} is a directory, not a block file`);
    size = stat.size;
  } catch (error) {
    if (error instanceof UserError) throw error;
    const code = (error as NodeJS.ErrnoException).code;
    throw new UserError(
      code === 'ENOENT' ? `no such file: ${path}` : `cannot read ${path}: ${(error as Error).message}`,
    );
  }
  if (size > MAX_BLOCK_FILE_BYTES) {
    throw new UserError(
      `${path} is ${size.toLocaleString('en-US')} bytes: too large for one block ` +
        `(at most ${MAX_BLOCK_BYTES.toLocaleString('en-US')} bytes raw, twice that as hex)`,
    );
  }
  let content: Uint8Array;
  try {
    content = new Uint8Array(readFileSync(path));
  } catch (error) {
    throw new UserError(`cannot read ${path}: ${(error as Error).message}`);
  }
  if (content.length === 0) throw new UserError(`${path} is empty`);
  if (BLK_FILE_MAGIC.every((b, i) => content[i] === b)) {
    throw new UserError(`${path} looks like a Bitcoin Core blk*.dat file, not one block`, {
      hint: 'save a single block, e.g. bitcoin-cli getblock HASH 0 > block.hex',
    });
  }
  return /\.hex$/i.test(path) || looksLikeHex(content) ? decodeHexFile(path, content) : content;
}

/** Every byte is a hex digit or whitespace (a raw block starts with its version: never all text). */
function looksLikeHex(content: Uint8Array): boolean {
  for (const byte of content) {
    const hexDigit =
      (byte >= 0x30 && byte <= 0x39) || (byte >= 0x41 && byte <= 0x46) || (byte >= 0x61 && byte <= 0x66);
    if (!hexDigit && byte !== 0x0a && byte !== 0x0d && byte !== 0x20 && byte !== 0x09) return false;
  }
  return true;
}

function decodeHexFile(path: string, content: Uint8Array): Uint8Array {
  const text = new TextDecoder('latin1').decode(content).replace(/\s+/g, '');
  try {
    return hexToBytes(text);
  } catch (error) {
    throw new UserError(`${path} is not a raw block nor valid hex: ${(error as Error).message}`);
  }
}

/** Prints the summary of the block in FILE as JSON, or with `txs` as JSON Lines: the summary, then one line per transaction. */
export function printBlockFile(path: string, txs: boolean): void {
  const report = blockFileSummary(readBlockFile(path), { txs, source: path });
  if (!txs) {
    console.log(JSON.stringify(report.summary, null, 2));
    return;
  }
  const lines = [JSON.stringify(report.summary)];
  for (const line of report.transactions ?? []) lines.push(JSON.stringify(line));
  process.stdout.write(`${lines.join('\n')}\n`);
}
