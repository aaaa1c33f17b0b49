// A block from wire bytes: the header, the transaction count, the BIP34 height from the coinbase, and
// the transactions as a lazy iterator (parsed one at a time, never all held at once by this code).
// In: exactly one serialized block. readBlock checks the header, the count and the coinbase at once;
// a bad later transaction, too few transactions or trailing bytes are thrown by the iterator as it
// reaches them (iterate to the end to validate the whole block).

import { type BlockHeader, HEADER_BYTES, parseBlockHeader } from './block-header.ts';
import { ByteReader } from './byte-reader.ts';
import { coinbaseHeight } from './coinbase-height.ts';
import { ParseError } from './parse-error.ts';
import {
  MIN_TRANSACTION_BYTES,
  readTransactionAt,
  type Transaction,
  type TransactionOptions,
} from './transaction.ts';

export { type BlockHeader, HEADER_BYTES, parseBlockHeader } from './block-header.ts';
export { merkleRoot, merkleRootOfHashes } from './merkle.ts';

export interface Block {
  header: BlockHeader;
  txCount: number;
  /** BIP34 height from the coinbase; null for version 1 blocks or a coinbase without one. */
  height: number | null;
  /** Parses the transactions in order as they are consumed; each call starts again at the first. */
  transactions(options?: TransactionOptions): Iterable<Transaction>;
  /** Serialized size in bytes. */
  size: number;
  /** Offset of the first (coinbase) transaction: readTransaction(bytes, firstTxOffset) walks them by hand. */
  firstTxOffset: number;
}

/** BIP34 applies to blocks of version 2 and up. */
const BIP34_MIN_VERSION = 2;

export function readBlock(bytes: Uint8Array): Block {
  const header = parseBlockHeader(bytes, 0);
  const r = new ByteReader(bytes, HEADER_BYTES);
  const countAt = r.pos;
  const txCount = r.count('transaction count', MIN_TRANSACTION_BYTES);
  if (txCount === 0) throw new ParseError('block has no transactions', countAt);
  const firstTxAt = r.pos;
  const coinbase = readTransactionAt(bytes, firstTxAt, { txid: false });
  if (!coinbase.isCoinbase) throw new ParseError('first transaction is not a coinbase', firstTxAt);
  const height = header.version >= BIP34_MIN_VERSION ? coinbaseHeight(coinbase.inputs[0].scriptSig) : null;

  const transactions = (options?: TransactionOptions): Iterable<Transaction> =>
    new TransactionIterator(bytes, firstTxAt, txCount, options);

  return { header, txCount, height, transactions, size: bytes.length, firstTxOffset: firstTxAt };
}

/** Walks a block's transactions one at a time. A class rather than a generator: cheaper per
 * transaction on real blocks (bench/parse.ts). Like a generator, it is finished after its last transaction, after
 * return() and after it throws. */
class TransactionIterator implements IterableIterator<Transaction> {
  readonly #bytes: Uint8Array;
  readonly #options: TransactionOptions | undefined;
  #at: number;
  #left: number;
  #done = false;

  constructor(
    bytes: Uint8Array,
    firstTxAt: number,
    txCount: number,
    options: TransactionOptions | undefined,
  ) {
    this.#bytes = bytes;
    this.#at = firstTxAt;
    this.#left = txCount;
    this.#options = options;
  }

  [Symbol.iterator](): this {
    return this;
  }

  next(): IteratorResult<Transaction> {
    if (this.#done) return { value: undefined, done: true };
    const bytes = this.#bytes;
    const at = this.#at;
    this.#done = true; // until this step succeeds: a throw finishes the iterator
    if (this.#left === 0) {
      if (at !== bytes.length)
        throw new ParseError(`${bytes.length - at} trailing bytes after the last transaction`, at);
      return { value: undefined, done: true };
    }
    const tx = readTransactionAt(bytes, at, this.#options);
    this.#at = at + tx.size;
    this.#left--;
    this.#done = false;
    return { value: tx, done: false };
  }

  return(): IteratorResult<Transaction> {
    this.#done = true;
    return { value: undefined, done: true };
  }
}
