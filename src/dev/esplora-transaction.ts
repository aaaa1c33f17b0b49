// A transaction in the mempool/esplora JSON form (as some public test fixtures store blocks) turned
// into our Transaction, so it goes through the same filter and window as a parsed one.
// In: one parsed JSON object. Out: a Transaction (txid, inputs with witness sizes, outputs).
// Throws an Error saying which field is missing or malformed.

import { hexToHash } from '../bitcoin/hash.ts';
import { hexToBytes } from '../bitcoin/hex.ts';
import type { Transaction, TxInput } from '../bitcoin/transaction.ts';

function varintSize(n: number): number {
  return n < 0xfd ? 1 : n <= 0xffff ? 3 : n <= 0xffffffff ? 5 : 9;
}

interface EsploraInput {
  txid: string;
  vout: number;
  scriptsig?: string;
  witness?: string[];
  is_coinbase?: boolean;
  sequence?: number;
}

interface EsploraOutput {
  value: number;
  scriptpubkey: string;
}

export function transactionFromEsplora(json: unknown): Transaction {
  const t = json as {
    txid?: unknown;
    version?: number;
    locktime?: number;
    vin?: EsploraInput[];
    vout?: EsploraOutput[];
    size?: number;
    weight?: number;
  };
  if (typeof t?.txid !== 'string' || !/^[0-9a-f]{64}$/.test(t.txid))
    throw new Error('esplora transaction: bad "txid"');
  if (!Array.isArray(t.vin) || !Array.isArray(t.vout))
    throw new Error(`esplora transaction ${t.txid}: no "vin" or "vout"`);
  let segwit = false;
  const inputs: TxInput[] = t.vin.map((v) => {
    const witness = Array.isArray(v.witness) ? v.witness : [];
    let witnessBytes = 0;
    let witnessLargestItem = 0;
    if (witness.length > 0) {
      segwit = true;
      witnessBytes = varintSize(witness.length);
      for (const item of witness) {
        const n = item.length / 2;
        witnessBytes += varintSize(n) + n;
        if (n > witnessLargestItem) witnessLargestItem = n;
      }
    }
    return {
      prevTxid: v.is_coinbase ? new Uint8Array(32) : hexToHash(v.txid),
      prevVout: v.is_coinbase ? 0xffffffff : v.vout,
      scriptSig: hexToBytes(v.scriptsig ?? ''),
      sequence: v.sequence ?? 0xffffffff,
      witnessItems: witness.length,
      witnessBytes,
      witnessLargestItem,
    };
  });
  const outputs = t.vout.map((o) => {
    if (typeof o.value !== 'number' || typeof o.scriptpubkey !== 'string')
      throw new Error(`esplora transaction ${t.txid}: an output lacks "value" or "scriptpubkey"`);
    return { value: o.value, script: hexToBytes(o.scriptpubkey) };
  });
  const size = t.size ?? 0;
  const weight = t.weight ?? size * 4;
  return {
    version: t.version ?? 1,
    inputs,
    outputs,
    locktime: t.locktime ?? 0,
    segwit,
    isCoinbase: t.vin.length === 1 && t.vin[0].is_coinbase === true,
    txid: t.txid,
    size,
    weight,
    vsize: Math.ceil(weight / 4),
  };
}
