// Output script (scriptPubKey) templates: which standard form a script has, from its bytes alone.
// In: a script. Out: 'p2pkh' | 'p2sh' | 'p2wpkh' | 'p2wsh' | 'p2tr' | 'op_return' | 'multisig' | 'other'.
// Pay-to-pubkey, witness versions 2..16 and anything non-standard are 'other'.

export type ScriptType = 'p2pkh' | 'p2sh' | 'p2wpkh' | 'p2wsh' | 'p2tr' | 'op_return' | 'multisig' | 'other';

/** Every ScriptType, in a fixed order (for tables and counts). */
export const SCRIPT_TYPES: readonly ScriptType[] = [
  'p2pkh',
  'p2sh',
  'p2wpkh',
  'p2wsh',
  'p2tr',
  'op_return',
  'multisig',
  'other',
];

const OP_0 = 0x00;
const OP_1 = 0x51;
const OP_16 = 0x60;
const OP_RETURN = 0x6a;
const OP_DUP = 0x76;
const OP_EQUAL = 0x87;
const OP_EQUALVERIFY = 0x88;
const OP_HASH160 = 0xa9;
const OP_CHECKSIG = 0xac;
const OP_CHECKMULTISIG = 0xae;
/** Public key sizes a bare multisig may push: compressed and uncompressed. */
const COMPRESSED_PUBKEY = 33;
const UNCOMPRESSED_PUBKEY = 65;

/** True when the script starts with OP_RETURN (a provably unspendable data carrier). */
export function isOpReturn(script: Uint8Array): boolean {
  return script.length > 0 && script[0] === OP_RETURN;
}

export function scriptType(script: Uint8Array): ScriptType {
  const n = script.length;
  const first = n > 0 ? script[0] : -1;
  if (n === 25 && first === OP_DUP && script[1] === OP_HASH160 && script[2] === 20) {
    if (script[23] === OP_EQUALVERIFY && script[24] === OP_CHECKSIG) return 'p2pkh';
  }
  if (n === 23 && first === OP_HASH160 && script[1] === 20 && script[22] === OP_EQUAL) return 'p2sh';
  if (n === 22 && first === OP_0 && script[1] === 20) return 'p2wpkh';
  if (n === 34 && first === OP_0 && script[1] === 32) return 'p2wsh';
  if (n === 34 && first === OP_1 && script[1] === 32) return 'p2tr';
  if (first === OP_RETURN) return 'op_return';
  if (isBareMultisig(script)) return 'multisig';
  return 'other';
}

/** OP_m <pubkey>... OP_n OP_CHECKMULTISIG with 1 <= m <= n <= 16 and n 33- or 65-byte pushes. */
function isBareMultisig(script: Uint8Array): boolean {
  const n = script.length;
  if (n < 3 || script[n - 1] !== OP_CHECKMULTISIG) return false;
  const m = script[0] - OP_1 + 1;
  const keys = script[n - 2] - OP_1 + 1;
  if (script[0] < OP_1 || script[0] > OP_16 || script[n - 2] < OP_1 || script[n - 2] > OP_16) return false;
  if (m > keys) return false;
  let at = 1;
  for (let k = 0; k < keys; k++) {
    const push = script[at];
    if (push !== COMPRESSED_PUBKEY && push !== UNCOMPRESSED_PUBKEY) return false;
    at += 1 + push;
    if (at > n - 2) return false;
  }
  return at === n - 2;
}
