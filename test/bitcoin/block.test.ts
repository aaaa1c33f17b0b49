// Crafted blocks and headers: header fields and hash (the genesis header), proof of work from bits,
// BIP34 heights, the merkle root, lazy iteration, and malformed blocks.

import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { merkleRoot, parseBlockHeader, readBlock } from '../../src/bitcoin/block.ts';
import { coinbaseHeight } from '../../src/bitcoin/coinbase-height.ts';
import { hexToHash } from '../../src/bitcoin/hash.ts';
import { ParseError } from '../../src/bitcoin/parse-error.ts';
import { hashMeetsTarget, targetFromBits } from '../../src/bitcoin/proof-of-work.ts';
import type { Transaction } from '../../src/bitcoin/transaction.ts';
import {
  bytes,
  coinbaseInput,
  compactSize,
  concat,
  expectedTxid,
  filled,
  type HeaderSpec,
  serializeHeader,
  serializeTx,
  type TxSpec,
} from './tx-builder.ts';

const P2WPKH = concat([0x00, 0x14], filled(20, 0xab));

describe('block header', () => {
  // Bitcoin's genesis block header, from its published fields.
  const genesis = serializeHeader({
    version: 1,
    merkleRoot: hexToHash('4a5e1e4baab89f3a32518a88c31bc87f618f76673e2cc77ab2127b7afdeda33b'),
    time: 1231006505,
    bits: 0x1d00ffff,
    nonce: 2083236893,
  });

  test('fields and hash of the genesis header', () => {
    const header = parseBlockHeader(genesis);
    assert.equal(header.hash, '000000000019d6689c085ae165831e934ff763ae46a2a6c172b3f1b60a8ce26f');
    assert.equal(header.version, 1);
    assert.equal(header.prevHash, '0'.repeat(64));
    assert.equal(header.merkleRoot, '4a5e1e4baab89f3a32518a88c31bc87f618f76673e2cc77ab2127b7afdeda33b');
    assert.equal(header.time, 1231006505);
    assert.equal(header.bits, 0x1d00ffff);
    assert.equal(header.nonce, 2083236893);
    assert.equal(header.meetsTarget, true);
  });

  test('a changed nonce no longer meets the target; an offset header parses the same', () => {
    const changed = genesis.slice();
    changed[76] ^= 1;
    assert.equal(parseBlockHeader(changed).meetsTarget, false);
    assert.equal(parseBlockHeader(concat(filled(7, 0), genesis), 7).hash, parseBlockHeader(genesis).hash);
  });

  test('a short header is a ParseError', () => {
    assert.throws(
      () => parseBlockHeader(genesis.subarray(0, 79)),
      (e: unknown) =>
        e instanceof ParseError && /truncated block header: needs 80 bytes, 79 left/.test(e.reason),
    );
  });

  test('targets from compact bits', () => {
    assert.equal(targetFromBits(0x1d00ffff), 0xffffn << 208n);
    assert.equal(targetFromBits(0x207fffff), 0x7fffffn << 232n);
    assert.equal(targetFromBits(0x03123456), 0x123456n);
    assert.equal(targetFromBits(0x02123456), 0x1234n);
    assert.equal(targetFromBits(0x01123456), 0x12n);
    assert.equal(targetFromBits(0x04923456), null, 'negative');
    assert.equal(targetFromBits(0x00000000), null, 'zero');
    assert.equal(targetFromBits(0x21010000), null, 'overflow');
    assert.equal(targetFromBits(0xff123456), null, 'overflow');
  });

  test('hash versus target at the boundary', () => {
    const hash = new Uint8Array(32);
    hash[29] = 0x12;
    hash[28] = 0x34; // 0x1234 << 224 as a little-endian number
    assert.equal(hashMeetsTarget(hash, 0x1f001234), true, 'equal to the target');
    hash[0] = 1;
    assert.equal(hashMeetsTarget(hash, 0x1f001234), false, 'one above');
    assert.equal(hashMeetsTarget(new Uint8Array(32), 0), false, 'nothing meets a zero target');
  });
});

describe('BIP34 height', () => {
  const cases: [string, Uint8Array, number | null][] = [
    ['3-byte push (block 200000)', bytes(0x03, 0x40, 0x0d, 0x03, 0xff), 200_000],
    ['1-byte push', bytes(0x01, 0x11), 17],
    ['OP_1 (regtest height 1)', bytes(0x51, 0x00), 1],
    ['OP_16', bytes(0x60), 16],
    ['4-byte push', bytes(0x04, 0x00, 0x00, 0x00, 0x01), 2 ** 24],
    ['push with the sign bit', bytes(0x01, 0x81), null],
    ['push longer than the script', bytes(0x03, 0x01), null],
    ['OP_0', bytes(0x00), null],
    ['a 6-byte push is not a height', bytes(0x06, 1, 2, 3, 4, 5, 6), null],
    ['empty', new Uint8Array(0), null],
  ];
  for (const [name, script, height] of cases) {
    test(name, () => assert.equal(coinbaseHeight(script), height));
  }
});

/** A block around `txs` whose header commits to their merkle root and meets the regtest target. */
function craftBlock(txs: TxSpec[], header: HeaderSpec = {}, countOverride?: number[]): Uint8Array {
  const root = txs.length > 0 ? hexToHash(merkleRoot(txs.map(expectedTxid))) : new Uint8Array(32);
  for (let nonce = 0; ; nonce++) {
    const head = serializeHeader({ bits: 0x207fffff, ...header, merkleRoot: root, nonce });
    if (parseBlockHeader(head).meetsTarget) {
      return concat(head, countOverride ?? compactSize(txs.length), ...txs.map((t) => serializeTx(t)));
    }
  }
}

describe('blocks', () => {
  const coinbase: TxSpec = {
    inputs: [{ ...coinbaseInput(bytes(0x03, 0xa0, 0x86, 0x01)), witness: [filled(32, 0)] }],
    outputs: [
      { value: 312_500_000n, script: P2WPKH },
      { value: 0n, script: concat([0x6a, 0x24], filled(36, 1)) },
    ],
  };
  const spends: TxSpec[] = Array.from({ length: 4 }, (_, i) => ({
    inputs: [{ prevVout: i, witness: i % 2 === 0 ? [filled(64, i)] : [] }, { scriptSig: filled(10, i) }],
    outputs: [{ value: BigInt(1000 + i), script: P2WPKH }],
    segwit: i % 2 === 0,
  }));
  const txs = [coinbase, ...spends];
  const raw = craftBlock(txs);

  test('header, count, height, size and lazily parsed transactions', () => {
    const block = readBlock(raw);
    assert.equal(block.txCount, 5);
    assert.equal(block.height, 100_000);
    assert.equal(block.size, raw.length);
    assert.equal(block.header.meetsTarget, true);
    const parsed = [...block.transactions()];
    assert.deepEqual(
      parsed.map((t) => t.txid),
      txs.map(expectedTxid),
    );
    assert.equal(merkleRoot(parsed.map((t) => t.txid)), block.header.merkleRoot);
    assert.deepEqual(
      parsed.map((t) => t.isCoinbase),
      [true, false, false, false, false],
    );
    // Each call starts again; nothing is parsed before it is asked for.
    const iterator = block.transactions()[Symbol.iterator]();
    assert.equal((iterator.next().value as Transaction).isCoinbase, true);
    assert.equal([...block.transactions({ txid: false })].length, 5);
  });

  test('version 1 blocks have no BIP34 height', () => {
    assert.equal(readBlock(craftBlock(txs, { version: 1 })).height, null);
  });

  test('merkle root of one transaction is its txid; an odd level pairs the last node with itself', () => {
    const a = expectedTxid(coinbase);
    assert.equal(merkleRoot([a]), a);
    const three = txs.slice(0, 3).map(expectedTxid);
    const four = [...three, three[2]];
    assert.equal(merkleRoot(three), merkleRoot(four));
    assert.notEqual(merkleRoot(three), merkleRoot(txs.slice(0, 4).map(expectedTxid)));
    assert.throws(() => merkleRoot([]), /at least one transaction/);
  });

  const isParseError = (reason: RegExp, offset?: number) => (e: unknown) =>
    e instanceof ParseError && reason.test(e.reason) && (offset === undefined || e.offset === offset);

  test('trailing bytes are thrown by the iterator when it reaches the end', () => {
    const block = readBlock(concat(raw, [0, 0]));
    assert.throws(
      () => [...block.transactions()],
      isParseError(/2 trailing bytes after the last transaction/, raw.length),
    );
  });

  test('a count larger than the transactions present', () => {
    const block = readBlock(craftBlock(txs, {}, [6]));
    assert.throws(() => [...block.transactions()], isParseError(/truncated transaction version/));
  });

  test('a count that cannot fit, zero transactions, a first transaction that is not a coinbase', () => {
    assert.throws(
      () => readBlock(craftBlock(txs, {}, [0xfe, 0xff, 0xff, 0xff, 0x00])),
      isParseError(/cannot fit/, 80),
    );
    assert.throws(() => readBlock(craftBlock([], {}, [0])), isParseError(/block has no transactions/, 80));
    assert.throws(
      () => readBlock(craftBlock(spends)),
      isParseError(/first transaction is not a coinbase/, 81),
    );
  });

  test('every truncation of a block is a ParseError, from readBlock or from the iterator', () => {
    for (let cut = 0; cut < raw.length; cut++) {
      assert.throws(
        () => {
          for (const _ of readBlock(raw.subarray(0, cut)).transactions());
        },
        (e: unknown) => e instanceof ParseError,
        `cut at ${cut}`,
      );
    }
  });
});
