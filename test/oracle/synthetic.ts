// Synthetic payment traffic at a known price, for the estimator's tests and benchmark. In: a price,
// a count and a seed. Out: Transaction objects shaped like real ones: payments of round dollar
// amounts (the comb's amounts, as popular as the comb says) with exchange-rate jitter and a change
// output, round-bitcoin payments (exact and "plus a fee"), and noise payments of no round amount.
// Noise and change are drawn in dollars too, so the whole picture slides with the price.

import type { Transaction, TxInput } from '../../src/bitcoin/transaction.ts';
import { type CombModel, DEFAULT_COMB_MODEL } from '../../src/oracle/comb-model.ts';

/** A small deterministic PRNG (mulberry32): the same seed gives the same traffic. */
export function random(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function normal(rand: () => number): number {
  const u = Math.max(rand(), 1e-12);
  return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * rand());
}

export interface SyntheticOptions {
  seed?: number;
  /** Share of transactions paying a round dollar amount (default 0.3). */
  payments?: number;
  /** Share paying a round bitcoin amount (default 0.1). */
  roundBitcoin?: number;
  /** Relative spread of a payment around its exact amount (default 0.004: wallets' rates differ). */
  jitter?: number;
  model?: CombModel;
  /** Time of the first transaction and seconds between transactions. */
  startTime?: number;
  spacing?: number;
  /** Number prefix for txids, so two batches never share a txid. */
  batch?: number;
}

const SATS_PER_BTC = 100_000_000;

const HEX = '0123456789abcdef';
const txidChars: number[] = new Array(64).fill(48);

/** A flat 64-digit txid string (as the parser makes them), unique and random-looking per (batch, i). */
function txidOf(batch: number, i: number): string {
  const rand = random((batch * 1_000_003 + i) >>> 0);
  for (let k = 0; k < 56; k++) txidChars[k] = HEX.charCodeAt(Math.floor(rand() * 16));
  // The last eight digits (the txid's first internal bytes) hold i, so no two of a batch collide.
  let x = i;
  for (let k = 63; k >= 56; k--) {
    txidChars[k] = HEX.charCodeAt(x % 16);
    x = Math.floor(x / 16);
  }
  return String.fromCharCode.apply(null, txidChars);
}

/** Outpoint txids are views into one buffer per batch, as the parser's are views into a block. */
let pool = new Uint8Array(0);
let poolUsed = 0;

function input(rand: () => number): TxInput {
  if (poolUsed + 32 > pool.length) {
    pool = new Uint8Array(32 * 4096);
    poolUsed = 0;
  }
  const prevTxid = pool.subarray(poolUsed, poolUsed + 32);
  poolUsed += 32;
  for (let i = 0; i < 32; i++) prevTxid[i] = Math.floor(rand() * 256);
  return {
    prevTxid,
    prevVout: 0,
    scriptSig: new Uint8Array(0),
    sequence: 0xffffffff,
    witnessItems: 2,
    witnessBytes: 108,
    witnessLargestItem: 72,
  };
}

const P2WPKH = new Uint8Array(22);

/** A transaction with the given output values (sats) and 1–3 inputs from outside the window. */
export function transaction(txid: string, values: number[], rand: () => number): Transaction {
  const inputs = Array.from({ length: 1 + Math.floor(rand() * 3) }, () => input(rand));
  return {
    version: 2,
    inputs,
    outputs: values.map((value) => ({ value, script: P2WPKH })),
    locktime: 0,
    segwit: true,
    isCoinbase: false,
    txid,
    size: 222,
    weight: 561,
    vsize: 141,
  };
}

/** Dollar amounts people send when not paying a round amount: broad, around $20–$2,000. */
function noiseUsd(rand: () => number): number {
  return 10 ** (1.8 + 1.1 * normal(rand));
}

export interface TimedTransaction {
  tx: Transaction;
  time: number;
}

export function syntheticTransactions(
  price: number,
  count: number,
  options: SyntheticOptions = {},
): TimedTransaction[] {
  const rand = random(options.seed ?? 1);
  const model = options.model ?? DEFAULT_COMB_MODEL;
  const payments = options.payments ?? 0.3;
  const roundBitcoin = options.roundBitcoin ?? 0.1;
  const jitter = options.jitter ?? 0.004;
  const start = options.startTime ?? 1_700_000_000;
  const spacing = options.spacing ?? 1;
  const batch = options.batch ?? 0;
  const totalWeight = model.amounts.reduce((s, a) => s + a.weight, 0);
  const sats = (usd: number) => Math.max(1, Math.round((usd / price) * SATS_PER_BTC));
  const txs: TimedTransaction[] = [];
  for (let i = 0; i < count; i++) {
    const kind = rand();
    let pay: number;
    if (kind < payments) {
      let pick = rand() * totalWeight;
      let usd = model.amounts[model.amounts.length - 1].usd;
      for (const a of model.amounts) {
        pick -= a.weight;
        if (pick <= 0) {
          usd = a.usd;
          break;
        }
      }
      pay = sats(usd * (1 + jitter * normal(rand)));
    } else if (kind < payments + roundBitcoin) {
      const round = [1, 2, 5][Math.floor(rand() * 3)] * 10 ** (4 + Math.floor(rand() * 5));
      pay = rand() < 0.5 ? round : round + Math.floor(rand() * 0.01 * round); // exact, or plus a fee
    } else {
      pay = sats(noiseUsd(rand));
    }
    const change = sats(noiseUsd(rand) * 3);
    const values = rand() < 0.5 ? [pay, change] : [change, pay];
    txs.push({ tx: transaction(txidOf(batch, i), values, rand), time: start + i * spacing });
  }
  return txs;
}
