// Output script templates: each type, and near misses that must stay 'other'.

import assert from 'node:assert/strict';
import { test } from 'node:test';
import { isOpReturn, SCRIPT_TYPES, scriptType } from '../../src/bitcoin/script.ts';
import { bytes, concat, filled } from './tx-builder.ts';

const key33 = concat([33], filled(33, 2));
const key65 = concat([65], filled(65, 4));

const cases: [string, Uint8Array, string][] = [
  ['p2pkh', concat([0x76, 0xa9, 0x14], filled(20, 1), [0x88, 0xac]), 'p2pkh'],
  ['p2sh', concat([0xa9, 0x14], filled(20, 1), [0x87]), 'p2sh'],
  ['p2wpkh', concat([0x00, 0x14], filled(20, 1)), 'p2wpkh'],
  ['p2wsh', concat([0x00, 0x20], filled(32, 1)), 'p2wsh'],
  ['p2tr', concat([0x51, 0x20], filled(32, 1)), 'p2tr'],
  ['op_return alone', bytes(0x6a), 'op_return'],
  ['op_return with data', concat([0x6a, 0x04], filled(4, 9)), 'op_return'],
  ['1-of-1 multisig', concat([0x51], key33, [0x51, 0xae]), 'multisig'],
  ['1-of-2 multisig, mixed key sizes', concat([0x51], key33, key65, [0x52, 0xae]), 'multisig'],
  ['2-of-3 multisig', concat([0x52], key33, key33, key33, [0x53, 0xae]), 'multisig'],
  ['empty', new Uint8Array(0), 'other'],
  ['p2pk', concat(key33, [0xac]), 'other'],
  ['witness v2 program', concat([0x52, 0x20], filled(32, 1)), 'other'],
  ['p2pkh with a 19-byte hash', concat([0x76, 0xa9, 0x13], filled(19, 1), [0x88, 0xac]), 'other'],
  ['p2pkh with a trailing byte', concat([0x76, 0xa9, 0x14], filled(20, 1), [0x88, 0xac, 0x00]), 'other'],
  ['p2sh ending OP_EQUALVERIFY', concat([0xa9, 0x14], filled(20, 1), [0x88]), 'other'],
  ['p2wpkh with a 21-byte program', concat([0x00, 0x15], filled(21, 1)), 'other'],
  ['p2tr with a 31-byte push', concat([0x51, 0x1f], filled(31, 1)), 'other'],
  ['multisig with m > n', concat([0x53], key33, key33, [0x52, 0xae]), 'other'],
  ['multisig with n not matching the keys', concat([0x51], key33, key33, [0x51, 0xae]), 'other'],
  ['multisig with a 32-byte key', concat([0x51, 32], filled(32, 2), [0x51, 0xae]), 'other'],
  ['multisig with a key running past the end', concat([0x51], key33.subarray(0, 20), [0x51, 0xae]), 'other'],
  ['just OP_CHECKMULTISIG', bytes(0xae), 'other'],
  ['OP_1 OP_1 OP_CHECKMULTISIG without keys', bytes(0x51, 0x51, 0xae), 'other'],
];

for (const [name, script, expected] of cases) {
  test(`${name} -> ${expected}`, () => {
    assert.equal(scriptType(script), expected);
    assert.ok(SCRIPT_TYPES.includes(scriptType(script)));
  });
}

test('isOpReturn looks at the first byte only', () => {
  assert.equal(isOpReturn(bytes(0x6a)), true);
  assert.equal(isOpReturn(bytes(0x6a, 0xff, 0xff)), true);
  assert.equal(isOpReturn(bytes(0x00, 0x6a)), false);
  assert.equal(isOpReturn(new Uint8Array(0)), false);
});
