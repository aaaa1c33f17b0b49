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
  readTransaction,
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
  const { tx: coinbase } = readTransaction(bytes, firstTxAt, { txid: false });
  if (!coinbase.isCoinbase) throw new ParseError('first transaction is not a coinbase', firstTxAt);
  const height = header.version >= BIP34_MIN_VERSION ? coinbaseHeight(coinbase.inputs[0].scriptSig) : null;

  function* transactions(options?: TransactionOptions): Generator<Transaction> {
    let at = firstTxAt;
    for (let i = 0; i < txCount; i++) {
      const { tx, end } = readTransaction(bytes, at, options);
      at = end;
      yield tx;
    }
    if (at !== bytes.length)
      throw new ParseError(`${bytes.length - at} trailing bytes after the last transaction`, at);
  }

  return { header, txCount, height, transactions, size: bytes.length, firstTxOffset: firstTxAt };
}
