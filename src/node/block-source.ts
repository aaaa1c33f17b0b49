// Confirmed blocks from the node over RPC: heights and hashes in, headers and parsed blocks out.
// Unknown blocks are null (not errors); a block the node has pruned is a BlockUnavailableError
// that says so. `fetchBlocks` streams many blocks in order with a few requests in flight, so a
// range of 144 mainnet blocks never sits in memory at once.

import { type Block, readBlock } from '../bitcoin/block.ts';
import { UserError } from '../errors.ts';
import { freeBuffer } from '../runtime/free-buffer.ts';
import type { RpcClient } from './rpc-client.ts';
import { RPC_CODE, RpcError } from './rpc-errors.ts';

export interface BlockInfo {
  hash: string;
  height: number;
  /** Header time, Unix seconds. */
  time: number;
  /** Median time past: never decreases with height, unlike `time`. */
  medianTime: number;
  previousHash: string | null;
  txCount: number;
}

interface HeaderReply {
  hash: string;
  height: number;
  time: number;
  mediantime: number;
  previousblockhash?: string;
  nTx: number;
}

/** A block the node no longer stores (pruned) or cannot read. `statusCode` is for the HTTP API. */
export class BlockUnavailableError extends UserError {
  readonly statusCode = 410;
  constructor(what: string, detail: string) {
    super(`the node no longer has ${what} (${detail}).`, {
      hint: 'a pruned node keeps only recent blocks: pick a more recent block or day, or run the node unpruned (prune=0).',
    });
  }
}

/** Blocks fetched at once by `fetchBlocks`: enough to hide the RPC latency, few enough to bound memory (a block is ~2 MB). */
const BLOCK_LOOKAHEAD = 3;

export class BlockSource {
  private readonly rpc: RpcClient;

  constructor(rpc: RpcClient) {
    this.rpc = rpc;
  }

  async tipHeight(): Promise<number> {
    return this.rpc.call<number>('getblockcount');
  }

  /** The hash at `height` on the best chain, or null above the tip. */
  async hashAt(height: number): Promise<string | null> {
    try {
      return await this.rpc.call<string>('getblockhash', [height]);
    } catch (error) {
      if (error instanceof RpcError && error.code === RPC_CODE.invalidParameter) return null;
      throw error;
    }
  }

  /** Hashes of many heights at once (null above the tip). */
  async hashesAt(heights: readonly number[]): Promise<(string | null)[]> {
    const results = await this.rpc.batch<string>(
      heights.map((h) => ({ method: 'getblockhash', params: [h] })),
    );
    return results.map((r) => {
      if (r.ok) return r.value;
      if (r.error.code === RPC_CODE.invalidParameter) return null;
      throw r.error;
    });
  }

  /** The header of `hash`, or null when the node does not know the block. */
  async info(hash: string): Promise<BlockInfo | null> {
    try {
      return toInfo(await this.rpc.call<HeaderReply>('getblockheader', [hash, true]));
    } catch (error) {
      if (error instanceof RpcError && error.code === RPC_CODE.invalidAddressOrKey) return null;
      throw error;
    }
  }

  /** The headers at many heights of the best chain (null above the tip). */
  async infoAt(heights: readonly number[]): Promise<(BlockInfo | null)[]> {
    const hashes = await this.hashesAt(heights);
    const known = hashes.filter((h): h is string => h !== null);
    const replies = await this.rpc.batch<HeaderReply>(
      known.map((h) => ({ method: 'getblockheader', params: [h, true] })),
    );
    const byHash = new Map<string, BlockInfo>();
    for (const r of replies) {
      if (!r.ok) throw r.error;
      byHash.set(r.value.hash, toInfo(r.value));
    }
    return hashes.map((h) => (h === null ? null : (byHash.get(h) ?? null)));
  }

  /** A decimal height or a 64-hex-digit hash → its header, or null when there is no such block. */
  async resolve(heightOrHash: string): Promise<BlockInfo | null> {
    const text = heightOrHash.trim().toLowerCase();
    if (/^[0-9a-f]{64}$/.test(text)) return this.info(text);
    if (/^\d{1,10}$/.test(text)) {
      const hash = await this.hashAt(Number(text));
      return hash === null ? null : this.info(hash);
    }
    throw new UserError(`"${heightOrHash}" is neither a block height nor a 64-hex-digit block hash.`, {
      hint: 'e.g. 840000 or 0000000000000000000320283a032748cef8227873ff4872689bf23f1cda83a5',
    });
  }

  /** The serialized block, parsed. */
  async block(hash: string): Promise<Block> {
    return readBlock(await this.rawBlock(hash));
  }

  /** A block's serialized bytes (getblock verbosity 0, decoded as the reply streams in). */
  async rawBlock(hash: string): Promise<Uint8Array> {
    try {
      return await this.rpc.callHex('getblock', [hash, 0]);
    } catch (error) {
      throw unavailable(error, hash);
    }
  }

  /**
   * The blocks of `hashes`, parsed, in the given order, with a few fetched ahead. With `free`,
   * each block's bytes are freed when the caller asks for the next (free-buffer.ts): for a caller
   * that keeps nothing of a block (no Transaction, no view) past its turn.
   */
  async *fetchBlocks(hashes: readonly string[], options: { free?: boolean } = {}): AsyncGenerator<Block> {
    const pending: Promise<Uint8Array>[] = [];
    let next = 0;
    const launch = () => {
      const promise = this.rawBlock(hashes[next++]);
      promise.catch(() => {}); // handled when awaited in order below
      pending.push(promise);
    };
    while (next < hashes.length && pending.length < BLOCK_LOOKAHEAD) launch();
    while (pending.length > 0) {
      const bytes = await (pending.shift() as Promise<Uint8Array>);
      if (next < hashes.length) launch();
      yield readBlock(bytes);
      if (options.free === true) freeBuffer(bytes);
    }
  }
}

/** A pruned (or not yet downloaded) block's getblock error, as a BlockUnavailableError. */
function unavailable(error: unknown, hash: string): unknown {
  if (
    error instanceof RpcError &&
    error.code === RPC_CODE.miscError &&
    /prun|not available|not found on disk/i.test(error.message)
  ) {
    return new BlockUnavailableError(
      `block ${hash}`,
      error.message.replace(/^getblock: /, '').replace(/ \(code -?\d+\)$/, ''),
    );
  }
  return error;
}

function toInfo(r: HeaderReply): BlockInfo {
  return {
    hash: r.hash,
    height: r.height,
    time: r.time,
    medianTime: r.mediantime,
    previousHash: r.previousblockhash ?? null,
    txCount: r.nTx,
  };
}
