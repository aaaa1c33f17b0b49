// Crafted transactions: legacy and segwit layouts, empty witnesses among others, CompactSize edges,
// coinbase, zero outputs, huge scripts, and every malformed shape the parser must reject.

import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { ParseError } from '../../src/bitcoin/parse-error.ts';
import { MAX_MONEY_SATS, parseTransaction, readTransaction } from '../../src/bitcoin/transaction.ts';
import {
  bytes,
  coinbaseInput,
  concat,
  expectedTxid,
  filled,
  le,
  serializeTx,
  type TxSpec,
} from './tx-builder.ts';

const P2WPKH = concat([0x00, 0x14], filled(20, 0xab));
const P2PKH = concat([0x76, 0xa9, 0x14], filled(20, 0xcd), [0x88, 0xac]);

function throwsParseError(fn: () => unknown, reason: RegExp, offset?: number): void {
  assert.throws(fn, (error: unknown) => {
    assert.ok(error instanceof ParseError, `expected ParseError, got ${String(error)}`);
    assert.match(error.reason, reason);
    if (offset !== undefined) assert.equal(error.offset, offset, `offset of "${error.message}"`);
    assert.equal(error.message, `${error.reason} at byte ${error.offset}`);
    return true;
  });
}

describe('legacy transactions', () => {
  const spec: TxSpec = {
    version: 1,
    inputs: [
      { prevTxid: filled(32, 0x11), prevVout: 3, scriptSig: filled(107, 0x22), sequence: 0xfffffffe },
      { prevTxid: filled(32, 0x33), prevVout: 0, scriptSig: filled(5, 0x44), sequence: 7 },
    ],
    outputs: [
      { value: 123_456_789n, script: P2PKH },
      { value: 0n, script: bytes(0x6a, 0x04, 1, 2, 3, 4) },
    ],
    locktime: 500_000,
  };
  const raw = serializeTx(spec);

  test('every field', () => {
    const tx = parseTransaction(raw);
    assert.equal(tx.version, 1);
    assert.equal(tx.locktime, 500_000);
    assert.equal(tx.segwit, false);
    assert.equal(tx.isCoinbase, false);
    assert.equal(tx.inputs.length, 2);
    assert.deepEqual(tx.inputs[0].prevTxid, filled(32, 0x11));
    assert.equal(tx.inputs[0].prevVout, 3);
    assert.deepEqual(tx.inputs[0].scriptSig, filled(107, 0x22));
    assert.equal(tx.inputs[0].sequence, 0xfffffffe);
    assert.equal(tx.inputs[1].sequence, 7);
    for (const input of tx.inputs) {
      assert.equal(input.witnessItems, 0);
      assert.equal(input.witnessBytes, 0);
      assert.equal(input.witnessLargestItem, 0);
    }
    assert.equal(tx.outputs[0].value, 123_456_789);
    assert.deepEqual(tx.outputs[0].script, P2PKH);
    assert.equal(tx.outputs[1].value, 0);
    assert.equal(tx.size, raw.length);
    assert.equal(tx.weight, raw.length * 4);
    assert.equal(tx.vsize, raw.length);
    assert.equal(tx.txid, expectedTxid(spec));
  });

  test('scripts and outpoint txids are views into the input, not copies', () => {
    const copy = raw.slice();
    const tx = parseTransaction(copy);
    assert.equal(tx.inputs[0].prevTxid.buffer, copy.buffer);
    assert.equal(tx.outputs[0].script.buffer, copy.buffer);
    copy[5] ^= 0xff; // first byte of the first outpoint's txid
    assert.equal(tx.inputs[0].prevTxid[0], 0x11 ^ 0xff);
  });

  test('reads at an offset inside a larger buffer (and a subarray with its own byteOffset)', () => {
    const padded = concat(filled(13, 0xee), raw, filled(9, 0xee));
    const { tx, end } = readTransaction(padded, 13);
    assert.equal(end, 13 + raw.length);
    assert.equal(tx.txid, expectedTxid(spec));
    const window = padded.subarray(13, 13 + raw.length);
    const again = parseTransaction(window);
    assert.deepEqual(again.outputs[0].script, P2PKH);
    assert.deepEqual(again.inputs[1].prevTxid, filled(32, 0x33));
  });

  test('{ txid: false } skips hashing and nothing else', () => {
    const tx = parseTransaction(raw, { txid: false });
    assert.equal(tx.txid, '');
    assert.equal(tx.weight, raw.length * 4);
  });
});

describe('segwit transactions', () => {
  const spec: TxSpec = {
    version: 2,
    inputs: [
      { prevTxid: filled(32, 1), witness: [filled(72, 0x30), filled(33, 0x02)] },
      { prevTxid: filled(32, 2), scriptSig: filled(23, 0x16), witness: [] },
      { prevTxid: filled(32, 3), witness: [new Uint8Array(0), filled(300, 0x51), filled(1, 0)] },
      { prevTxid: filled(32, 4) },
    ],
    outputs: [
      { value: 5_000n, script: P2WPKH },
      { value: 2_099_999_997_690_000n, script: P2PKH },
    ],
    locktime: 0xffffffff,
  };
  const raw = serializeTx(spec);
  const stripped = serializeTx(spec, false);

  test('some inputs with empty witnesses: per-input counts, sizes and the largest item', () => {
    const tx = parseTransaction(raw);
    assert.equal(tx.segwit, true);
    assert.deepEqual(
      tx.inputs.map((i) => [i.witnessItems, i.witnessBytes, i.witnessLargestItem]),
      [
        [2, 1 + 1 + 72 + 1 + 33, 72],
        [0, 0, 0],
        [3, 1 + 1 + 0 + 3 + 300 + 1 + 1, 300],
        [0, 0, 0],
      ],
    );
    assert.deepEqual(tx.inputs[1].scriptSig, filled(23, 0x16));
    assert.equal(tx.locktime, 0xffffffff);
  });

  test('txid hashes the serialization without witnesses; weight and vsize per BIP141', () => {
    const tx = parseTransaction(raw);
    assert.equal(tx.txid, expectedTxid(spec));
    assert.equal(tx.size, raw.length);
    assert.equal(tx.weight, stripped.length * 3 + raw.length);
    assert.equal(tx.vsize, Math.ceil((stripped.length * 3 + raw.length) / 4));
  });

  test('values near the supply cap are exact', () => {
    assert.equal(parseTransaction(raw).outputs[1].value, 2_099_999_997_690_000);
  });

  test('a large segwit transaction after a small one reuses and grows the preimage buffer', () => {
    const big: TxSpec = {
      inputs: [{ witness: [filled(10, 1)] }],
      outputs: Array.from({ length: 3000 }, (_, i) => ({ value: BigInt(i), script: P2WPKH })),
    };
    assert.equal(parseTransaction(serializeTx(big)).txid, expectedTxid(big));
    assert.equal(parseTransaction(raw).txid, expectedTxid(spec));
  });

  test('a witness whose marker promises witnesses but all are empty is rejected (as Bitcoin Core does)', () => {
    const allEmpty = serializeTx({
      inputs: [{}, {}],
      outputs: [{ value: 1n, script: P2WPKH }],
      segwit: true,
    });
    throwsParseError(() => parseTransaction(allEmpty), /every witness is empty/, 4);
  });

  test('unknown segwit flag', () => {
    const bad = raw.slice();
    bad[5] = 0x02;
    throwsParseError(() => parseTransaction(bad), /unknown segwit flag 0x02/, 5);
  });
});

describe('edge cases', () => {
  test('coinbase: null outpoint, one input', () => {
    const spec: TxSpec = {
      inputs: [coinbaseInput(bytes(0x03, 0x40, 0x0d, 0x03, 0xaa))],
      outputs: [{ value: 625_000_000n, script: P2PKH }],
    };
    const tx = parseTransaction(serializeTx(spec));
    assert.equal(tx.isCoinbase, true);
    assert.equal(tx.txid, expectedTxid(spec));
    // The null outpoint with a second input, or a non-null txid, is not a coinbase.
    const two = parseTransaction(serializeTx({ ...spec, inputs: [...spec.inputs, {}] }));
    assert.equal(two.isCoinbase, false);
    const notNull = parseTransaction(
      serializeTx({ ...spec, inputs: [{ prevTxid: filled(32, 0).fill(1, 31), prevVout: 0xffffffff }] }),
    );
    assert.equal(notNull.isCoinbase, false);
  });

  test('zero outputs (legacy and segwit)', () => {
    const legacy: TxSpec = { inputs: [{}], outputs: [] };
    const raw = serializeTx(legacy);
    assert.equal(raw.length, 51, 'the smallest transaction');
    assert.deepEqual(parseTransaction(raw).outputs, []);
    assert.equal(parseTransaction(raw).txid, expectedTxid(legacy));
    const segwit: TxSpec = { inputs: [{ witness: [bytes(1)] }], outputs: [] };
    assert.deepEqual(parseTransaction(serializeTx(segwit)).outputs, []);
    assert.equal(parseTransaction(serializeTx(segwit)).txid, expectedTxid(segwit));
  });

  test('CompactSize boundaries: 0xfc, 0xfd (2 bytes), 0xfe (4 bytes) lengths', () => {
    for (const length of [0, 1, 0xfc, 0xfd, 0xfe, 0xff, 0x100, 0xffff, 0x10000, 70_000]) {
      const spec: TxSpec = {
        inputs: [{ scriptSig: filled(length, 0x5a), witness: [filled(length, 0x77)] }],
        outputs: [{ value: 1n, script: filled(length, 0x6a) }],
      };
      const raw = serializeTx(spec);
      const tx = parseTransaction(raw);
      assert.equal(tx.inputs[0].scriptSig.length, length);
      assert.equal(tx.outputs[0].script.length, length);
      assert.equal(tx.inputs[0].witnessLargestItem, length);
      const prefix = length < 0xfd ? 1 : length <= 0xffff ? 3 : 5;
      assert.equal(tx.inputs[0].witnessBytes, 1 + prefix + length);
      assert.equal(tx.txid, expectedTxid(spec));
    }
  });

  test('many inputs and outputs (counts above 0xfc)', () => {
    const spec: TxSpec = {
      inputs: Array.from({ length: 300 }, (_, i) => ({ prevVout: i })),
      outputs: Array.from({ length: 70_000 }, (_, i) => ({ value: BigInt(i), script: new Uint8Array(0) })),
    };
    const tx = parseTransaction(serializeTx(spec));
    assert.equal(tx.inputs.length, 300);
    assert.equal(tx.inputs[299].prevVout, 299);
    assert.equal(tx.outputs.length, 70_000);
    assert.equal(tx.outputs[69_999].value, 69_999);
    assert.equal(tx.txid, expectedTxid(spec));
  });

  test('a huge script (1 MB output script)', () => {
    const spec: TxSpec = { inputs: [{}], outputs: [{ value: 0n, script: filled(1_000_000, 0x6a) }] };
    const tx = parseTransaction(serializeTx(spec));
    assert.equal(tx.outputs[0].script.length, 1_000_000);
    assert.equal(tx.txid, expectedTxid(spec));
  });

  test('output values: exactly 21 million BTC is accepted, one satoshi more is rejected', () => {
    const at = (value: bigint) => serializeTx({ inputs: [{}], outputs: [{ value, script: P2PKH }] });
    assert.equal(parseTransaction(at(BigInt(MAX_MONEY_SATS))).outputs[0].value, MAX_MONEY_SATS);
    // value starts after version 4 + count 1 + input 41 + count 1 = byte 47
    throwsParseError(() => parseTransaction(at(BigInt(MAX_MONEY_SATS) + 1n)), /above the 21 million BTC/, 47);
    throwsParseError(() => parseTransaction(at(2n ** 64n - 1n)), /above the 21 million BTC/, 47);
  });

  test('version and sequence are unsigned 32-bit', () => {
    const tx = parseTransaction(
      serializeTx({ version: -1, inputs: [{ sequence: 0x80000000 }], outputs: [] }),
    );
    assert.equal(tx.version, 0xffffffff);
    assert.equal(tx.inputs[0].sequence, 0x80000000);
  });
});

describe('malformed input', () => {
  const good = serializeTx({
    inputs: [{ scriptSig: filled(300, 1), witness: [filled(20, 2), filled(300, 3)] }, { witness: [] }],
    outputs: [
      { value: 1000n, script: P2WPKH },
      { value: 2000n, script: filled(300, 0x51) },
    ],
  });

  test('every truncation is a ParseError at or before the cut', () => {
    for (let cut = 0; cut < good.length; cut++) {
      assert.throws(
        () => readTransaction(good.subarray(0, cut), 0),
        (e: unknown) => e instanceof ParseError && e.offset <= cut,
        `cut at ${cut}`,
      );
    }
  });

  test('trailing bytes', () => {
    throwsParseError(
      () => parseTransaction(concat(good, [0])),
      /1 trailing bytes after the transaction/,
      good.length,
    );
    assert.equal(readTransaction(concat(good, [0]), 0).end, good.length);
  });

  test('non-canonical CompactSize (0xfd for < 0xfd, 0xfe for < 2^16, 0xff for < 2^32)', () => {
    const prefix = [...le(1, 4)];
    throwsParseError(
      () => parseTransaction(concat(prefix, [0xfd, 0xfc, 0x00])),
      /non-canonical input count/,
      4,
    );
    throwsParseError(
      () => parseTransaction(concat(prefix, [0xfe, 0xff, 0xff, 0x00, 0x00])),
      /non-canonical input count/,
      4,
    );
    throwsParseError(
      () => parseTransaction(concat(prefix, [0xff, 0xff, 0xff, 0xff, 0xff, 0, 0, 0, 0])),
      /non-canonical input count/,
      4,
    );
    // A non-canonical script length inside an otherwise good transaction.
    const spec: TxSpec = { inputs: [{ scriptSig: bytes(1, 2) }], outputs: [] };
    const raw = serializeTx(spec);
    const scriptLengthAt = 4 + 1 + 36;
    const widened = concat(raw.subarray(0, scriptLengthAt), [0xfd, 2, 0], raw.subarray(scriptLengthAt + 1));
    throwsParseError(() => parseTransaction(widened), /non-canonical scriptSig length/, scriptLengthAt);
  });

  test('lying counts are refused before anything is allocated', () => {
    const version = le(1, 4);
    // 2^40 inputs in an 18-byte transaction.
    throwsParseError(
      () => parseTransaction(concat(version, [0xff, ...le(2n ** 40n, 8)], filled(5, 0))),
      /input count 1099511627776 cannot fit in the 5 bytes left/,
      4,
    );
    // 2^32 outputs; 2^62 witness items; a script length of 2^63.
    const one = serializeTx({ inputs: [{}], outputs: [] });
    const outputsAt = one.length - 5;
    const lyingOutputs = concat(one.subarray(0, outputsAt), [0xfe, ...le(0xffffffff, 4)], filled(8, 0));
    throwsParseError(() => parseTransaction(lyingOutputs), /output count 4294967295 cannot fit/, outputsAt);
    const segwit = serializeTx({ inputs: [{ witness: [bytes(1)] }], outputs: [] });
    const witnessAt = segwit.length - 4 - 3;
    const lyingWitness = concat(segwit.subarray(0, witnessAt), [0xff, ...le(2n ** 62n, 8)], filled(4, 0));
    throwsParseError(() => parseTransaction(lyingWitness), /witness item count .* cannot fit/, witnessAt);
    const scriptAt = 4 + 1 + 36;
    const lyingScript = concat(
      one.subarray(0, scriptAt),
      [0xff, ...le(2n ** 63n, 8)],
      one.subarray(scriptAt + 1),
    );
    throwsParseError(
      () => parseTransaction(lyingScript),
      /truncated scriptSig: needs 9223372036854776000 bytes/,
      50,
    );
  });

  test('empty input and out-of-range offsets', () => {
    throwsParseError(
      () => parseTransaction(new Uint8Array(0)),
      /truncated transaction version: needs 4 bytes, 0 left/,
      0,
    );
    assert.throws(() => readTransaction(good, -1), RangeError);
    assert.throws(() => readTransaction(good, good.length + 1), RangeError);
    throwsParseError(() => readTransaction(good, good.length), /truncated transaction version/, good.length);
  });
});
