// The demo network: a deterministic stream of mempool transactions and blocks in simulated time.
// In: a seed, a start time and price, a rate. Out: `advanceTo(t)` returns every event up to time t,
// in time order, as raw wire bytes: new transactions (some replacing an earlier one by RBF), mempool
// evictions, and blocks that mine what is waiting. The same seed and start time give the same bytes,
// however the time is cut into steps. The generator also tells the truth it built in (the market
// price, each round-USD payment's quoted price) so tests can check the estimator against it.

import { writeBlock } from './block-writer.ts';
import {
  CHANGE_USD_MEDIAN,
  CHANGE_USD_SD_DECADES,
  DEFAULT_MIX,
  DUST_SATS,
  PAYMENT_USD_SD_DECADES,
  QUOTE_NOISE,
  RBF_SIGNAL_SHARE,
  REPLACE_DELAY_MEAN_SECONDS,
  REPLACE_SHARE,
  ROUND_BTC_SATS,
  SPEND_TYPES,
  SPEND_USD_MEDIAN,
  TX_KINDS,
  type TxKind,
  USD_AMOUNTS,
} from './mix.ts';
import { DEFAULT_DAILY_VOLATILITY, PriceWalk } from './price-walk.ts';
import { Random } from './random.ts';
import {
  inscriptionUnlocking,
  opReturnScript,
  outputScript,
  type SpendType,
  type Unlocking,
  unlocking,
} from './scripts.ts';
import {
  type DraftInput,
  type DraftOutput,
  type DraftTransaction,
  type WrittenTransaction,
  writeTransaction,
} from './tx-writer.ts';

/** Mainnet carries roughly 4 to 7 transactions a second; the demo defaults to the quiet end. */
export const DEFAULT_TX_PER_SECOND = 4;
/** Bitcoin's target block interval. */
export const DEFAULT_BLOCK_INTERVAL_SECONDS = 600;
/** About where the market stood in early 2026, and away from 1, 2 or 5 × 10^k dollars, where round-dollar
 * amounts coincide with round-bitcoin amounts (a hard case for the estimator, not a friendly first run). */
export const DEFAULT_START_PRICE = 68_000;
export const DEFAULT_SEED = 21_000_000;
/** A height of the 3.125 BTC subsidy era, so demo blocks look current. */
export const DEFAULT_START_HEIGHT = 900_000;
/** The consensus block weight limit, less room for the coinbase and header. */
const BLOCK_WEIGHT_BUDGET = 4_000_000 - 4_000;
/** Above this many waiting transactions the oldest is dropped, bounding memory in burst mode. */
export const MEMPOOL_MAX_TXS = 50_000;
/** Recent outputs that later transactions may spend (chained spends); older ones are forgotten. */
const SPENDABLE_POOL_SIZE = 1_000;
/** Chained spends pick among this many most recent outputs: children follow parents within minutes. */
const SPENDABLE_RECENT = 200;
/** Fee rates in sat/vB are log-uniform between these: from a quiet weekend to a busy morning. */
const FEE_RATE_MIN = 1;
const FEE_RATE_MAX = 60;
/** A fee bump pays this much more than the original fee (BIP125 needs more, wallets use 1.5×-2×). */
const REPLACEMENT_FEE_FACTOR = 1.6;
/** Inscription bodies are log-uniform between these sizes in bytes: a short text up to a small picture. */
const INSCRIPTION_MIN_BYTES = 100;
const INSCRIPTION_MAX_BYTES = 10_000;
// Sizes of the heavy kinds. With these the network's transactions fill about 90 % of the block
// weight budget on average, so the waiting backlog rises and clears, like the real mempool's on an
// ordinary day, instead of growing without end (at 4 tx/s, batches of up to 200 outputs and
// consolidations of up to 60 inputs asked for 106 % of the budget: the backlog grew by about
// 1,700 transactions a simulated hour until the eviction cap, and the demo's memory with it).
/** Consolidations gather a log-uniform number of inputs between these (most sweep tens of coins). */
const CONSOLIDATION_MIN_INPUTS = 10;
const CONSOLIDATION_MAX_INPUTS = 40;
/** Batch payouts (exchanges, pools) pay a log-uniform number of outputs between these. */
const BATCH_MIN_OUTPUTS = 10;
const BATCH_MAX_OUTPUTS = 60;
/** The output an inscription reveal creates: taproot dust. */
const INSCRIPTION_OUTPUT_SATS = 330;

export interface GeneratorOptions {
  /** Unix seconds (simulated) at which the stream begins. */
  startTime: number;
  seed?: number;
  startPrice?: number;
  txPerSecond?: number;
  blockIntervalSeconds?: number;
  dailyVolatility?: number;
  startHeight?: number;
  /** Waiting transactions kept at most (default MEMPOOL_MAX_TXS); the oldest beyond it are evicted. */
  mempoolMaxTxs?: number;
  /** Relative weights per kind; kinds left out keep their default weight (0 switches one off). */
  mix?: Partial<Record<TxKind, number>>;
}

/** What the generator knows about a round-USD payment it built. */
export interface PaymentTruth {
  usd: number;
  /** The price the payer's wallet used (the market price with a little noise). */
  quotedPrice: number;
  /** The walk's price at that moment. */
  marketPrice: number;
  /** Index of the payment output. */
  vout: number;
}

export interface TxEvent {
  type: 'tx';
  time: number;
  txid: string;
  bytes: Uint8Array;
  kind: TxKind;
  /** The txid this transaction replaces (RBF), or null. */
  replaces: string | null;
  truth: PaymentTruth | null;
}

export interface RemoveEvent {
  type: 'remove';
  time: number;
  txid: string;
  reason: 'evicted';
}

export interface BlockEvent {
  type: 'block';
  time: number;
  height: number;
  hash: string;
  bytes: Uint8Array;
  /** Txids in block order, the coinbase first. */
  txids: string[];
}

export type SimEvent = TxEvent | RemoveEvent | BlockEvent;

interface Pending {
  written: WrittenTransaction;
  /**
   * What a replacement is rebuilt from: kept only for a transaction scheduled to be replaced (the
   * draft's objects weigh several times its bytes, and a backlog holds up to MEMPOOL_MAX_TXS).
   */
  draft: DraftTransaction | null;
  inputTypes: SpendType[] | null;
  kind: TxKind;
  truth: PaymentTruth | null;
  fee: number;
  feeRate: number;
  /** Arrival order, to lay out blocks parents-first. */
  seq: number;
  /** Txids of unconfirmed transactions this one spends. */
  parents: string[];
  changeVout: number | null;
}

interface Spendable {
  txid: string;
  txidBytes: Uint8Array;
  vout: number;
  type: SpendType;
}

interface Built {
  draft: DraftTransaction;
  inputTypes: SpendType[];
  kind: TxKind;
  truth: PaymentTruth | null;
  changeVout: number | null;
  changeType: SpendType | null;
  parents: string[];
  replaceable: boolean;
}

function positive(name: string, value: number): number {
  if (!Number.isFinite(value) || value <= 0)
    throw new RangeError(`${name} must be a positive number, got ${value}`);
  return value;
}

export class DemoGenerator {
  private readonly timing: Random;
  private readonly content: Random;
  private readonly walk: PriceWalk;
  private readonly mix: { weight: number; value: TxKind }[];
  private readonly blockInterval: number;
  private readonly mempoolMax: number;
  private rate: number;
  private clock: number;
  private nextTx: number;
  private nextBlock: number;
  private replacements: { time: number; txid: string }[] = [];
  private readonly mempool = new Map<string, Pending>();
  private spendable: Spendable[] = [];
  private seq = 0;
  private tipHeight: number;
  private tipHash: Uint8Array;

  constructor(options: GeneratorOptions) {
    const seed = options.seed ?? DEFAULT_SEED;
    if (!Number.isInteger(seed)) throw new RangeError(`seed must be an integer, got ${seed}`);
    if (!Number.isFinite(options.startTime)) throw new RangeError(`bad start time: ${options.startTime}`);
    const root = new Random(seed);
    this.timing = root.fork();
    this.content = root.fork();
    this.walk = new PriceWalk(
      root.fork(),
      positive('start price', options.startPrice ?? DEFAULT_START_PRICE),
      options.startTime,
      options.dailyVolatility ?? DEFAULT_DAILY_VOLATILITY,
    );
    this.rate = positive('transactions per second', options.txPerSecond ?? DEFAULT_TX_PER_SECOND);
    this.blockInterval = positive(
      'block interval',
      options.blockIntervalSeconds ?? DEFAULT_BLOCK_INTERVAL_SECONDS,
    );
    this.mempoolMax = Math.floor(positive('mempool size', options.mempoolMaxTxs ?? MEMPOOL_MAX_TXS));
    const weights = { ...DEFAULT_MIX, ...options.mix };
    this.mix = TX_KINDS.map((kind) => ({ value: kind, weight: Math.max(0, weights[kind] ?? 0) })).filter(
      (k) => k.weight > 0,
    );
    if (this.mix.length === 0) throw new RangeError('the transaction mix has no kind with a positive weight');
    this.tipHeight = (options.startHeight ?? DEFAULT_START_HEIGHT) - 1;
    this.tipHash = root.bytes(32);
    this.clock = options.startTime;
    this.nextTx = this.clock + this.timing.exponential(1 / this.rate);
    this.nextBlock = this.clock + this.blockGap();
  }

  /** The simulated time reached so far. */
  get time(): number {
    return this.clock;
  }

  /** The market price (the walk) at the time reached. */
  price(): number {
    return this.walk.at(this.clock);
  }

  /** The market price at any time from the start on. */
  priceAt(time: number): number {
    return this.walk.at(time);
  }

  get mempoolSize(): number {
    return this.mempool.size;
  }

  /** Height of the last block made (start height − 1 before the first). */
  get height(): number {
    return this.tipHeight;
  }

  get txPerSecond(): number {
    return this.rate;
  }

  /** Changes the arrival rate from now on (the next arrival is redrawn at the new rate). */
  setRate(txPerSecond: number): void {
    this.rate = positive('transactions per second', txPerSecond);
    this.nextTx = this.clock + this.timing.exponential(1 / this.rate);
  }

  /** Every event with a time after the last call and at most `time`, in time order. */
  advanceTo(time: number): SimEvent[] {
    const events: SimEvent[] = [];
    for (;;) {
      const replacement = this.replacements.length > 0 ? this.replacements[0].time : Infinity;
      const next = Math.min(this.nextTx, this.nextBlock, replacement);
      if (next > time) break;
      this.clock = next;
      if (next === this.nextTx) {
        this.arrive(next, events);
        this.nextTx = next + this.timing.exponential(1 / this.rate);
      } else if (next === replacement) {
        const due = this.replacements.shift()!;
        this.replace(due.txid, next, events);
      } else {
        events.push(this.mine(next));
        this.nextBlock = next + this.blockGap();
      }
    }
    if (time > this.clock) this.clock = time;
    return events;
  }

  private blockGap(): number {
    // Blocks arrive as a Poisson process; at least a second apart so header times stay ordered.
    return Math.max(1, this.timing.exponential(this.blockInterval));
  }

  // ---- transactions -----------------------------------------------------------------------------

  private arrive(time: number, events: SimEvent[]): void {
    const rng = this.content;
    const built = this.build(rng.weighted(this.mix), time);
    const written = writeTransaction(built.draft);
    const feeRate = rng.logUniform(FEE_RATE_MIN, FEE_RATE_MAX);
    const pending: Pending = {
      written,
      draft: built.draft,
      inputTypes: built.inputTypes,
      kind: built.kind,
      truth: built.truth,
      fee: Math.ceil(feeRate * written.vsize),
      feeRate,
      seq: this.seq++,
      parents: built.parents,
      changeVout: built.changeVout,
    };
    this.admit(pending, events, null, time);
    const replaced = built.replaceable && rng.chance(REPLACE_SHARE);
    if (replaced) {
      this.schedule(time + rng.exponential(REPLACE_DELAY_MEAN_SECONDS), written.txid);
      return;
    }
    pending.draft = null;
    pending.inputTypes = null;
    if (built.changeVout !== null && built.changeType !== null) {
      this.spendable.push({
        txid: written.txid,
        txidBytes: written.txidBytes,
        vout: built.changeVout,
        type: built.changeType,
      });
      if (this.spendable.length > SPENDABLE_POOL_SIZE) this.spendable.shift();
    }
  }

  private admit(pending: Pending, events: SimEvent[], replaces: string | null, time: number): void {
    const { written } = pending;
    this.mempool.set(written.txid, pending);
    events.push({
      type: 'tx',
      time,
      txid: written.txid,
      bytes: written.bytes,
      kind: pending.kind,
      replaces,
      truth: pending.truth,
    });
    if (this.mempool.size > this.mempoolMax) {
      const oldest = this.mempool.keys().next().value!;
      this.mempool.delete(oldest);
      events.push({ type: 'remove', time, txid: oldest, reason: 'evicted' });
    }
  }

  private schedule(time: number, txid: string): void {
    let at = this.replacements.length;
    while (at > 0 && this.replacements[at - 1].time > time) at--;
    this.replacements.splice(at, 0, { time, txid });
  }

  /** A fee bump: the same inputs and payment, fresh signatures, less change. */
  private replace(txid: string, time: number, events: SimEvent[]): void {
    const original = this.mempool.get(txid);
    // Mined or evicted meanwhile (or, never, a transaction not kept for replacing).
    if (original === undefined || original.changeVout === null) return;
    const { draft: before, inputTypes } = original;
    if (before === null || inputTypes === null) return;
    const rng = this.content;
    const change = before.outputs[original.changeVout];
    const extra = Math.ceil(original.fee * (REPLACEMENT_FEE_FACTOR - 1)) + original.written.vsize;
    if (change.value - extra < DUST_SATS) return;
    const draft: DraftTransaction = {
      ...before,
      inputs: before.inputs.map((input, i) => ({
        ...input,
        ...this.unlock(inputTypes[i], rng),
      })),
      outputs: before.outputs.map((output, i) =>
        i === original.changeVout ? { ...output, value: output.value - extra } : output,
      ),
    };
    const written = writeTransaction(draft);
    this.mempool.delete(txid);
    const fee = original.fee + extra;
    this.admit(
      { ...original, written, draft, fee, feeRate: fee / written.vsize, seq: this.seq++ },
      events,
      txid,
      time,
    );
  }

  private unlock(type: SpendType, rng: Random): Unlocking {
    return unlocking(type, rng);
  }

  private inputs(count: number, type: SpendType, sequence: number, rng: Random): DraftInput[] {
    const inputs: DraftInput[] = [];
    for (let i = 0; i < count; i++) {
      inputs.push({
        prevTxid: rng.bytes(32),
        prevVout: rng.chance(0.6) ? rng.int(0, 1) : rng.int(0, 20),
        sequence,
        ...unlocking(type, rng),
      });
    }
    return inputs;
  }

  private sequence(rbf: boolean, rng: Random): number {
    if (rbf) return 0xfffffffd;
    return rng.chance(0.5) ? 0xffffffff : 0xfffffffe;
  }

  /** Satoshis worth a log-normal number of dollars at the current market price. */
  private dollarsInSats(medianUsd: number, sdDecades: number, rng: Random): number {
    const usd = 10 ** (Math.log10(medianUsd) + sdDecades * rng.normal());
    const sats = Math.round((usd / this.walk.at(this.clock)) * 1e8);
    return Math.min(Math.max(sats, DUST_SATS), 2_000_000_000_000);
  }

  /** An arbitrary (not round) payment amount. */
  private paymentSats(rng: Random): number {
    return this.dollarsInSats(SPEND_USD_MEDIAN, PAYMENT_USD_SD_DECADES, rng);
  }

  private changeSats(rng: Random): number {
    return this.dollarsInSats(CHANGE_USD_MEDIAN, CHANGE_USD_SD_DECADES, rng);
  }

  private inputCount(rng: Random): number {
    return rng.weighted([
      { weight: 0.7, value: 1 },
      { weight: 0.2, value: 2 },
      { weight: 0.1, value: 3 },
    ]);
  }

  private tx(inputs: DraftInput[], outputs: DraftOutput[], rng: Random): DraftTransaction {
    return {
      version: rng.chance(0.85) ? 2 : 1,
      inputs,
      outputs,
      // Half the wallets set the locktime to the tip height (anti fee sniping).
      locktime: rng.chance(0.5) ? this.tipHeight : 0,
    };
  }

  /** A payment output plus change, in random order (wallets shuffle outputs). */
  private twoOutputs(
    payment: number,
    payeeType: SpendType,
    changeType: SpendType,
    rng: Random,
  ): { outputs: DraftOutput[]; paymentVout: number; changeVout: number } {
    const pay = { value: payment, scriptPubKey: outputScript(payeeType, rng) };
    const change = { value: this.changeSats(rng), scriptPubKey: outputScript(changeType, rng) };
    return rng.chance(0.5)
      ? { outputs: [pay, change], paymentVout: 0, changeVout: 1 }
      : { outputs: [change, pay], paymentVout: 1, changeVout: 0 };
  }

  private build(kind: TxKind, time: number): Built {
    const rng = this.content;
    const walletType = rng.weighted(SPEND_TYPES);
    const payeeType = rng.weighted(SPEND_TYPES);
    const replaceable = rng.chance(RBF_SIGNAL_SHARE);
    const sequence = this.sequence(replaceable, rng);
    const simple = (
      payment: number,
      truthOf: ((vout: number) => PaymentTruth) | null,
      built: TxKind,
      inputs: DraftInput[],
      parents: string[],
    ): Built => {
      const { outputs, paymentVout, changeVout } = this.twoOutputs(payment, payeeType, walletType, rng);
      return {
        draft: this.tx(inputs, outputs, rng),
        inputTypes: inputs.map(() => walletType),
        kind: built,
        truth: truthOf ? truthOf(paymentVout) : null,
        changeVout,
        changeType: walletType,
        parents,
        replaceable: replaceable && parents.length === 0,
      };
    };

    switch (kind) {
      case 'round-usd': {
        const usd = rng.weighted(USD_AMOUNTS);
        const marketPrice = this.walk.at(time);
        const quotedPrice = marketPrice * (1 + QUOTE_NOISE * rng.normal());
        const sats = Math.round((usd / quotedPrice) * 1e8);
        const inputs = this.inputs(this.inputCount(rng), walletType, sequence, rng);
        if (sats < DUST_SATS) return simple(this.paymentSats(rng), null, 'payment', inputs, []);
        return simple(sats, (vout) => ({ usd, quotedPrice, marketPrice, vout }), 'round-usd', inputs, []);
      }
      case 'payment':
        return simple(
          this.paymentSats(rng),
          null,
          'payment',
          this.inputs(this.inputCount(rng), walletType, sequence, rng),
          [],
        );
      case 'round-btc':
        return simple(
          rng.pick(ROUND_BTC_SATS),
          null,
          'round-btc',
          this.inputs(this.inputCount(rng), walletType, sequence, rng),
          [],
        );
      case 'chained': {
        const recent = Math.min(SPENDABLE_RECENT, this.spendable.length);
        if (recent === 0) return this.build('payment', time);
        const index = this.spendable.length - 1 - rng.int(0, recent - 1);
        const parent = this.spendable[index];
        this.spendable.splice(index, 1);
        const inputs: DraftInput[] = [
          { prevTxid: parent.txidBytes, prevVout: parent.vout, sequence, ...unlocking(parent.type, rng) },
        ];
        if (rng.chance(0.3)) inputs.push(...this.inputs(1, parent.type, sequence, rng));
        const built = simple(
          this.paymentSats(rng),
          null,
          'chained',
          inputs,
          this.mempool.has(parent.txid) ? [parent.txid] : [],
        );
        return { ...built, inputTypes: inputs.map(() => parent.type), changeType: parent.type };
      }
      case 'multi-output': {
        const n = rng.int(3, 5);
        const outputs: DraftOutput[] = [];
        for (let i = 0; i < n - 1; i++) {
          outputs.push({
            value: this.paymentSats(rng),
            scriptPubKey: outputScript(rng.weighted(SPEND_TYPES), rng),
          });
        }
        const changeVout = rng.int(0, n - 1);
        outputs.splice(changeVout, 0, {
          value: this.changeSats(rng),
          scriptPubKey: outputScript(walletType, rng),
        });
        const inputs = this.inputs(this.inputCount(rng), walletType, sequence, rng);
        return {
          draft: this.tx(inputs, outputs, rng),
          inputTypes: inputs.map(() => walletType),
          kind,
          truth: null,
          changeVout,
          changeType: walletType,
          parents: [],
          replaceable,
        };
      }
      case 'batch': {
        const n = Math.round(rng.logUniform(BATCH_MIN_OUTPUTS, BATCH_MAX_OUTPUTS));
        const outputs: DraftOutput[] = [];
        for (let i = 0; i < n; i++) {
          const value = rng.chance(0.3) ? rng.pick(ROUND_BTC_SATS) : this.paymentSats(rng);
          outputs.push({ value, scriptPubKey: outputScript(rng.weighted(SPEND_TYPES), rng) });
        }
        outputs.push({ value: this.paymentSats(rng) * 20, scriptPubKey: outputScript(walletType, rng) });
        const inputs = this.inputs(rng.int(1, 3), walletType, sequence, rng);
        return {
          draft: this.tx(inputs, outputs, rng),
          inputTypes: inputs.map(() => walletType),
          kind,
          truth: null,
          changeVout: n,
          changeType: walletType,
          parents: [],
          replaceable: false,
        };
      }
      case 'consolidation':
      case 'sweep': {
        const count =
          kind === 'consolidation'
            ? Math.round(rng.logUniform(CONSOLIDATION_MIN_INPUTS, CONSOLIDATION_MAX_INPUTS))
            : rng.int(1, 5);
        const inputs = this.inputs(count, walletType, sequence, rng);
        const value = kind === 'consolidation' ? this.paymentSats(rng) * count : this.paymentSats(rng);
        const outputs = [{ value, scriptPubKey: outputScript(walletType, rng) }];
        return {
          draft: this.tx(inputs, outputs, rng),
          inputTypes: inputs.map(() => walletType),
          kind,
          truth: null,
          changeVout: 0,
          changeType: walletType,
          parents: [],
          replaceable: false,
        };
      }
      case 'op-return': {
        const inputs = this.inputs(1, walletType, sequence, rng);
        const data = { value: 0, scriptPubKey: opReturnScript(rng.bytes(rng.int(20, 80))) };
        const change = { value: this.changeSats(rng), scriptPubKey: outputScript(walletType, rng) };
        return {
          draft: this.tx(inputs, [data, change], rng),
          inputTypes: [walletType],
          kind,
          truth: null,
          changeVout: 1,
          changeType: walletType,
          parents: [],
          replaceable: false,
        };
      }
      case 'inscription': {
        const bytes = Math.round(rng.logUniform(INSCRIPTION_MIN_BYTES, INSCRIPTION_MAX_BYTES));
        const inputs: DraftInput[] = [
          { prevTxid: rng.bytes(32), prevVout: 0, sequence: 0xfffffffd, ...inscriptionUnlocking(bytes, rng) },
        ];
        const outputs = [{ value: INSCRIPTION_OUTPUT_SATS, scriptPubKey: outputScript('p2tr', rng) }];
        return {
          draft: this.tx(inputs, outputs, rng),
          inputTypes: ['p2tr'],
          kind,
          truth: null,
          changeVout: null,
          changeType: null,
          parents: [],
          replaceable: false,
        };
      }
    }
  }

  // ---- blocks -----------------------------------------------------------------------------------

  /** Mines the best-paying waiting transactions that fit, parents before children. */
  private mine(time: number): BlockEvent {
    const byFeeRate = [...this.mempool.values()].sort((a, b) => b.feeRate - a.feeRate);
    const chosen = new Set<string>();
    let room = BLOCK_WEIGHT_BUDGET;
    for (const entry of byFeeRate) {
      const { weight, txid } = entry.written;
      if (weight > room) continue;
      if (entry.parents.some((p) => this.mempool.has(p) && !chosen.has(p))) continue;
      chosen.add(txid);
      room -= weight;
    }
    const included = [...chosen].map((txid) => this.mempool.get(txid)!).sort((a, b) => a.seq - b.seq);
    let fees = 0;
    for (const entry of included) {
      fees += entry.fee;
      this.mempool.delete(entry.written.txid);
    }
    const block = writeBlock(
      {
        height: this.tipHeight + 1,
        prevHash: this.tipHash,
        time: Math.floor(time),
        transactions: included.map((e) => e.written),
        fees,
      },
      this.content,
    );
    this.tipHeight = block.height;
    this.tipHash = block.hashBytes;
    return {
      type: 'block',
      time,
      height: block.height,
      hash: block.hash,
      bytes: block.bytes,
      txids: block.txids,
    };
  }
}
