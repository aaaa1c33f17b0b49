// What the demo network's transactions look like: the kinds of transaction and how often each
// occurs, the round USD amounts people pay and how popular each is, and the script types in use.
// In: nothing (constants). Out: weighted tables the generator draws from. The numbers are our own
// rough picture of mainnet traffic, chosen so the demo looks like a busy node's mempool; they are
// not measured, and the estimator's own (measured) comb is never read here.

import type { SpendType } from './scripts.ts';

export type TxKind =
  /** A payment of a round USD amount at the (noisy) market price, plus change. */
  | 'round-usd'
  /** A payment of an arbitrary amount, plus change: the background the signal sits on. */
  | 'payment'
  /** A payment of a round number of bitcoin (0.01, 0.05, 0.1 …), plus change. */
  | 'round-btc'
  /** Many inputs, one output: a wallet gathering its coins. */
  | 'consolidation'
  /** Few inputs, many outputs: an exchange or pool paying out. */
  | 'batch'
  /** A data-carrying OP_RETURN output plus change. */
  | 'op-return'
  /** A taproot script-path spend revealing a large witness, with one dust-sized output. */
  | 'inscription'
  /** Spends an unconfirmed output of an earlier demo transaction (wallet shuffling, CPFP). */
  | 'chained'
  /** One to a few inputs swept to a single output. */
  | 'sweep'
  /** A payment to several recipients at once (3 to 5 outputs). */
  | 'multi-output';

export const TX_KINDS: readonly TxKind[] = [
  'round-usd',
  'payment',
  'round-btc',
  'consolidation',
  'batch',
  'op-return',
  'inscription',
  'chained',
  'sweep',
  'multi-output',
];

/** Relative frequency of each kind; roughly a fifth of transactions pay a round USD amount. */
export const DEFAULT_MIX: Record<TxKind, number> = {
  'round-usd': 0.2,
  payment: 0.25,
  'round-btc': 0.06,
  consolidation: 0.04,
  batch: 0.04,
  'op-return': 0.05,
  inscription: 0.06,
  chained: 0.12,
  sweep: 0.08,
  'multi-output': 0.1,
};

/**
 * What people spend, in dollars: log10(USD) of a payment is normal around $60 with a spread of
 * 0.8 decades (a coffee to a phone, a few rent payments). Spending is decided in dollars, so the
 * whole pattern slides with the price on a log scale of satoshis, as it does on the real network.
 */
export const SPEND_USD_MEDIAN = 60;
export const SPEND_USD_SD_DECADES = 0.8;

/** How much more often a person picks an amount for its roundness: 10^k beats 2×10^k and 5×10^k, which beat 2.5, 1.5 or 7.5, which beat the rest. */
function roundness(usd: number): number {
  const leading = usd / 10 ** Math.floor(Math.log10(usd) + 1e-9);
  if (leading === 1) return 3;
  if (leading === 2 || leading === 5) return 2;
  if (leading === 2.5 || leading === 1.5 || leading === 7.5) return 0.8;
  return 0.5;
}

/** Normal density of log10(usd) around the spending bump (unnormalised). */
export function spendDensity(usd: number): number {
  const z = (Math.log10(usd) - Math.log10(SPEND_USD_MEDIAN)) / SPEND_USD_SD_DECADES;
  return Math.exp(-0.5 * z * z);
}

/** The round amounts people pay: every "nice" number from $1 to $10,000. */
const ROUND_USD = [
  1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 12, 15, 20, 25, 30, 40, 50, 60, 70, 75, 80, 100, 120, 150, 200, 250, 300,
  400, 500, 600, 700, 750, 800, 1000, 1500, 2000, 2500, 3000, 5000, 10000,
];

/** Round USD amounts and how often each is paid: the spending bump times roundness. */
export const USD_AMOUNTS: readonly { value: number; weight: number }[] = ROUND_USD.map((usd) => ({
  value: usd,
  weight: spendDensity(usd) * roundness(usd),
}));

/** Round bitcoin amounts in satoshis: 1, 2 and 5 times a power of ten from 0.0001 to 1 BTC. */
export const ROUND_BTC_SATS: readonly number[] = [1, 2, 5].flatMap((d) =>
  [1e4, 1e5, 1e6, 1e7, 1e8].map((p) => d * p),
);

/** Which script types wallets spend from and pay to (segwit v0 leads, taproot growing, legacy tail). */
export const SPEND_TYPES: readonly { value: SpendType; weight: number }[] = [
  { value: 'p2wpkh', weight: 0.45 },
  { value: 'p2tr', weight: 0.2 },
  { value: 'p2sh-p2wpkh', weight: 0.12 },
  { value: 'p2pkh', weight: 0.13 },
  { value: 'p2wsh-multisig', weight: 0.1 },
];

/**
 * Each payer's wallet quotes the price a little differently from the market (exchange, rounding,
 * delay): a 0.2 % standard deviation keeps round amounts recognisable but not razor-sharp.
 */
export const QUOTE_NOISE = 0.002;

/** Share of transactions that signal replace-by-fee (most modern wallets do). */
export const RBF_SIGNAL_SHARE = 0.6;
/** Share of RBF-signalling payments later replaced by a fee bump. */
export const REPLACE_SHARE = 0.05;
/** Mean wait before a fee bump, in seconds: users bump after a minute or two of waiting. */
export const REPLACE_DELAY_MEAN_SECONDS = 90;

/** Arbitrary (not round) payments follow the same spending bump, a little wider: bills, invoices, fees. */
export const PAYMENT_USD_SD_DECADES = 1.0;
/** Change is what is left of the coins spent: log10(USD) normal around $300, spread 1.2 decades. */
export const CHANGE_USD_MEDIAN = 300;
export const CHANGE_USD_SD_DECADES = 1.2;

/** No standard output pays less than this (the p2pkh dust limit, the highest of the types used). */
export const DUST_SATS = 546;
