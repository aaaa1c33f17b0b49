// What the demo network's transactions look like: the kinds of transaction and how often each
// occurs, the round USD amounts people pay and how popular each is, and the script types in use.
// In: nothing (constants). Out: weighted tables the generator draws from. The numbers are our own
// rough picture of mainnet traffic, chosen so the demo looks like a busy node's mempool; they are
// not measured and the estimator never sees them.

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

/** Round USD amounts and how often people pay each (tens and hundreds dominate, like at a till). */
export const USD_AMOUNTS: readonly { value: number; weight: number }[] = [
  { value: 1, weight: 1.5 },
  { value: 2, weight: 0.8 },
  { value: 5, weight: 3 },
  { value: 10, weight: 7 },
  { value: 15, weight: 1.5 },
  { value: 20, weight: 6 },
  { value: 25, weight: 3.5 },
  { value: 30, weight: 2.5 },
  { value: 40, weight: 1.5 },
  { value: 50, weight: 6.5 },
  { value: 75, weight: 1.5 },
  { value: 100, weight: 8 },
  { value: 150, weight: 2 },
  { value: 200, weight: 4.5 },
  { value: 250, weight: 2.5 },
  { value: 300, weight: 2 },
  { value: 500, weight: 4 },
  { value: 1000, weight: 3 },
  { value: 2000, weight: 1.2 },
  { value: 5000, weight: 0.8 },
  { value: 10000, weight: 0.4 },
];

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

/** Arbitrary payment amounts: log10(sats) is normal around 10^5.8 sats with a spread of one decade. */
export const PAYMENT_LOG10_MEAN = 5.8;
export const PAYMENT_LOG10_SD = 1.0;

/** No standard output pays less than this (the p2pkh dust limit, the highest of the types used). */
export const DUST_SATS = 546;
