// Test helper: serializes transactions and blocks from plain fields, independently of the parser
// (its own CompactSize writer and byte layout), so crafted vectors check the parser, not themselves.

import { createHash } from 'node:crypto';

export interface InputSpec {
  prevTxid?: Uint8Array;
  prevVout?: number;
  scriptSig?: Uint8Array;
  sequence?: number;
  /** Witness stack items; absent or [] means an empty witness. */
  witness?: Uint8Array[];
}

export interface OutputSpec {
  value: bigint | number;
  script: Uint8Array;
}

export interface TxSpec {
  version?: number;
  inputs: InputSpec[];
  outputs: OutputSpec[];
  locktime?: number;
  /** Serialize with marker, flag and witnesses (BIP144). Defaults to true when any input has a witness. */
  segwit?: boolean;
}

export function compactSize(n: number | bigint): number[] {
  const v = BigInt(n);
  if (v < 0xfdn) return [Number(v)];
  if (v <= 0xffffn) return [0xfd, ...le(v, 2)];
  if (v <= 0xffffffffn) return [0xfe, ...le(v, 4)];
  return [0xff, ...le(v, 8)];
}

export function le(value: number | bigint, bytes: number): number[] {
  let v = BigInt.asUintN(bytes * 8, BigInt(value));
  const out: number[] = [];
  for (let i = 0; i < bytes; i++) {
    out.push(Number(v & 0xffn));
    v >>= 8n;
  }
  return out;
}

export function serializeTx(spec: TxSpec, withWitness = true): Uint8Array {
  const segwit = (spec.segwit ?? spec.inputs.some((i) => (i.witness?.length ?? 0) > 0)) && withWitness;
  const out: number[] = [...le(spec.version ?? 2, 4)];
  if (segwit) out.push(0x00, 0x01);
  out.push(...compactSize(spec.inputs.length));
  for (const input of spec.inputs) {
    out.push(...(input.prevTxid ?? new Uint8Array(32).fill(7)));
    out.push(...le(input.prevVout ?? 0, 4));
    const script = input.scriptSig ?? new Uint8Array(0);
    out.push(...compactSize(script.length));
    append(out, script);
    out.push(...le(input.sequence ?? 0xffffffff, 4));
  }
  out.push(...compactSize(spec.outputs.length));
  for (const output of spec.outputs) {
    out.push(...le(output.value, 8));
    out.push(...compactSize(output.script.length));
    append(out, output.script);
  }
  if (segwit) {
    for (const input of spec.inputs) {
      const items = input.witness ?? [];
      out.push(...compactSize(items.length));
      for (const item of items) {
        out.push(...compactSize(item.length));
        append(out, item);
      }
    }
  }
  out.push(...le(spec.locktime ?? 0, 4));
  return Uint8Array.from(out);
}

/** Display-hex txid computed with node:crypto over the builder's own non-witness serialization. */
export function expectedTxid(spec: TxSpec): string {
  const once = createHash('sha256').update(serializeTx(spec, false)).digest();
  return Buffer.from(createHash('sha256').update(once).digest()).reverse().toString('hex');
}

export interface HeaderSpec {
  version?: number;
  prevHash?: Uint8Array;
  merkleRoot?: Uint8Array;
  time?: number;
  bits?: number;
  nonce?: number;
}

export function serializeHeader(spec: HeaderSpec = {}): Uint8Array {
  return Uint8Array.from([
    ...le(spec.version ?? 4, 4),
    ...(spec.prevHash ?? new Uint8Array(32)),
    ...(spec.merkleRoot ?? new Uint8Array(32)),
    ...le(spec.time ?? 1_700_000_000, 4),
    ...le(spec.bits ?? 0x207fffff, 4),
    ...le(spec.nonce ?? 0, 4),
  ]);
}

export function concat(...parts: (Uint8Array | number[])[]): Uint8Array {
  const out: number[] = [];
  for (const part of parts) append(out, part);
  return Uint8Array.from(out);
}

/** push(...bytes) without the argument-count limit of a spread. */
function append(out: number[], bytes: ArrayLike<number>): void {
  for (let i = 0; i < bytes.length; i++) out.push(bytes[i]);
}

/** A coinbase input: null outpoint and the given scriptSig (e.g. a BIP34 height push). */
export function coinbaseInput(scriptSig: Uint8Array): InputSpec {
  return { prevTxid: new Uint8Array(32), prevVout: 0xffffffff, scriptSig };
}

export function bytes(...values: number[]): Uint8Array {
  return Uint8Array.from(values);
}

export function filled(length: number, value: number): Uint8Array {
  return new Uint8Array(length).fill(value);
}
