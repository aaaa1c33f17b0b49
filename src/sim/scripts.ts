// Output scripts and input unlocking data of realistic shape and size for the demo source.
// In: a script type and a random generator. Out: scriptPubKey bytes for outputs, scriptSig and
// witness stacks for inputs. Keys, hashes and signatures are random bytes of the real lengths
// (signatures DER-shaped), so sizes, weights and script classification match the real network.

import type { Random } from './random.ts';

export type SpendType = 'p2pkh' | 'p2sh-p2wpkh' | 'p2wpkh' | 'p2wsh-multisig' | 'p2tr';

export const OP_0 = 0x00;
export const OP_RETURN = 0x6a;
const OP_PUSHDATA1 = 0x4c;
const OP_PUSHDATA2 = 0x4d;
const OP_1 = 0x51;
const OP_2 = 0x52;
const OP_3 = 0x53;
const OP_IF = 0x63;
const OP_ENDIF = 0x68;
const OP_DUP = 0x76;
const OP_EQUAL = 0x87;
const OP_EQUALVERIFY = 0x88;
const OP_HASH160 = 0xa9;
const OP_CHECKSIG = 0xac;
const OP_CHECKMULTISIG = 0xae;
const SIGHASH_ALL = 0x01;

/** Consensus limit on one pushed element: inscription bodies are split into pushes of this size. */
export const MAX_SCRIPT_ELEMENT = 520;

export function concat(parts: (Uint8Array | number[])[]): Uint8Array {
  let n = 0;
  for (const p of parts) n += p.length;
  const out = new Uint8Array(n);
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}

/** The shortest push of `data` (minimal push rules for lengths 1..65535). */
export function push(data: Uint8Array): Uint8Array {
  const n = data.length;
  if (n < OP_PUSHDATA1) return concat([[n], data]);
  if (n <= 0xff) return concat([[OP_PUSHDATA1, n], data]);
  if (n <= 0xffff) return concat([[OP_PUSHDATA2, n & 0xff, n >>> 8], data]);
  throw new RangeError('push larger than 65535 bytes');
}

/** A DER-encoded ECDSA signature plus the sighash byte: 71 to 73 bytes, like real ones. */
export function ecdsaSignature(rng: Random): Uint8Array {
  const r = rng.bytes(32);
  const s = rng.bytes(32);
  if (r[0] === 0) r[0] = 1;
  s[0] = (s[0] & 0x7f) | 0x01; // low-S, no padding needed
  const rPart = r[0] >= 0x80 ? concat([[0x02, 33, 0x00], r]) : concat([[0x02, 32], r]);
  const sPart = concat([[0x02, 32], s]);
  return concat([[0x30, rPart.length + sPart.length], rPart, sPart, [SIGHASH_ALL]]);
}

/** A 64-byte Schnorr signature (default sighash, so no extra byte). */
export function schnorrSignature(rng: Random): Uint8Array {
  return rng.bytes(64);
}

export function compressedPubkey(rng: Random): Uint8Array {
  return concat([[rng.chance(0.5) ? 0x02 : 0x03], rng.bytes(32)]);
}

export function outputScript(type: SpendType, rng: Random): Uint8Array {
  switch (type) {
    case 'p2pkh':
      return concat([[OP_DUP, OP_HASH160, 20], rng.bytes(20), [OP_EQUALVERIFY, OP_CHECKSIG]]);
    case 'p2sh-p2wpkh':
      return concat([[OP_HASH160, 20], rng.bytes(20), [OP_EQUAL]]);
    case 'p2wpkh':
      return concat([[OP_0, 20], rng.bytes(20)]);
    case 'p2wsh-multisig':
      return concat([[OP_0, 32], rng.bytes(32)]);
    case 'p2tr':
      return concat([[OP_1, 32], rng.bytes(32)]);
  }
}

/** An OP_RETURN output script carrying `data` (at most 80 bytes by standardness). */
export function opReturnScript(data: Uint8Array): Uint8Array {
  return concat([[OP_RETURN], push(data)]);
}

export interface Unlocking {
  scriptSig: Uint8Array;
  witness: Uint8Array[];
}

const EMPTY = new Uint8Array(0);

function multisigWitnessScript(rng: Random): Uint8Array {
  return concat([
    [OP_2],
    push(compressedPubkey(rng)),
    push(compressedPubkey(rng)),
    push(compressedPubkey(rng)),
    [OP_3, OP_CHECKMULTISIG],
  ]);
}

/** The scriptSig and witness that spend an output of `type` (key path for taproot). */
export function unlocking(type: SpendType, rng: Random): Unlocking {
  switch (type) {
    case 'p2pkh':
      return { scriptSig: concat([push(ecdsaSignature(rng)), push(compressedPubkey(rng))]), witness: [] };
    case 'p2sh-p2wpkh':
      return {
        scriptSig: push(concat([[OP_0, 20], rng.bytes(20)])),
        witness: [ecdsaSignature(rng), compressedPubkey(rng)],
      };
    case 'p2wpkh':
      return { scriptSig: EMPTY, witness: [ecdsaSignature(rng), compressedPubkey(rng)] };
    case 'p2wsh-multisig':
      return {
        scriptSig: EMPTY,
        witness: [EMPTY, ecdsaSignature(rng), ecdsaSignature(rng), multisigWitnessScript(rng)],
      };
    case 'p2tr':
      return { scriptSig: EMPTY, witness: [schnorrSignature(rng)] };
  }
}

const INSCRIPTION_CONTENT_TYPES = ['text/plain;charset=utf-8', 'image/png', 'image/webp', 'application/json'];

/**
 * A taproot script-path spend that reveals an inscription-style envelope of `contentBytes` bytes:
 * witness = [signature, leaf script with the data pushed in 520-byte pieces, control block].
 */
export function inscriptionUnlocking(contentBytes: number, rng: Random): Unlocking {
  const parts: (Uint8Array | number[])[] = [
    push(rng.bytes(32)),
    [OP_CHECKSIG, OP_0, OP_IF],
    push(new TextEncoder().encode('ord')),
    [0x01, 0x01],
    push(new TextEncoder().encode(rng.pick(INSCRIPTION_CONTENT_TYPES))),
    [OP_0],
  ];
  // The body: a random 64-byte pattern repeated (what it says does not matter, only its size).
  const body = new Uint8Array(contentBytes);
  body.set(rng.bytes(Math.min(64, contentBytes)));
  for (let filled = 64; filled < contentBytes; filled *= 2) body.copyWithin(filled, 0, filled);
  for (let at = 0; at < contentBytes; at += MAX_SCRIPT_ELEMENT) {
    parts.push(push(body.subarray(at, Math.min(at + MAX_SCRIPT_ELEMENT, contentBytes))));
  }
  parts.push([OP_ENDIF]);
  const controlBlock = concat([[0xc0 | (rng.chance(0.5) ? 1 : 0)], rng.bytes(32)]);
  return { scriptSig: EMPTY, witness: [schnorrSignature(rng), concat(parts), controlBlock] };
}
