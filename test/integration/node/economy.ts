// A small bitcoin economy on a regtest node, for the integration tests and the bootstrap benchmark:
// the node's wallet pays round US-dollar amounts at a price the test chooses (each with change),
// plus the traffic the filter must drop or must not mistake for dollars — noise amounts, round
// bitcoin amounts, RBF fee bumps, chained spends, OP_RETURN, more than five inputs, three outputs,
// and inputs with a large witness (a P2WSH spend carrying ~600 bytes of witness data).
//
// Payments spend UTXOs that were created in blocks mined with the node's clock set hours back
// (`setmocktime`), so the funding transactions are older than the live window and a payment is
// not a "spend of another transaction in the window". Transactions are built with
// createrawtransaction, signed by the wallet and sent in JSON-RPC batches.

import { parseTransaction } from '../../../src/bitcoin/transaction.ts';
import { random } from '../../oracle/synthetic.ts';
import type { RegtestNode } from './regtest-node.ts';

export interface Utxo {
  txid: string;
  vout: number;
  sats: number;
}

type Output = { address: string; sats: number } | { data: string };

interface TxSpec {
  inputs: Utxo[];
  outputs: Output[];
}

/**
 * Round amounts people pay, weighted about as often as today's chain pays them: the 2024 era of the
 * measured comb (src/oracle/comb-model.json), up to $1,000 (the funding outputs' size). Payment
 * habits in dollars drift with the years, and the estimator judges a window by its year's.
 */
const ROUND_USD: readonly [number, number][] = [
  [5, 1],
  [10, 5],
  [20, 5],
  [25, 2],
  [50, 10],
  [100, 11],
  [200, 5],
  [500, 5],
  [1000, 6],
];
/** 1 000 sats: ~7 sat/vB for a one-input, two-output transaction; plenty on regtest. */
const FEE_SATS = 1_000;
/** The least change a payment leaves: far above the dust limit (294 sats for a P2WPKH output). */
const MIN_CHANGE_SATS = 10_000;
/** Draws of a round amount before settling for the largest one that fits a small coin. */
const FIT_DRAWS = 20;
/** A replacement pays this much more: above the node's incremental relay fee for these sizes. */
const RBF_EXTRA_FEE_SATS = 2_000;
/** Funding UTXO values: large enough for any payment here plus change. */
const FUNDING_MIN_SATS = 3_000_000;
const FUNDING_MAX_SATS = 12_000_000;
/** Outputs per funding sendmany transaction: well under the standard size limit. */
const FUNDING_OUTPUTS_PER_TX = 500;
/** Witness data items of the large-witness spends: 8 × 70 bytes, each within the standard 80-byte item limit. */
const BIG_WITNESS_ITEMS = 8;
const BIG_WITNESS_ITEM_BYTES = 70;

function btc(sats: number): string {
  return (sats / 1e8).toFixed(8);
}

export class Economy {
  readonly node: RegtestNode;
  readonly random: () => number;
  private readonly utxos: Utxo[] = [];
  /** Coins taken from `utxos`: given back when a transaction spending them could not even be built. */
  private readonly fromPool = new WeakSet<Utxo>();
  /** UTXOs of exactly round-dollar value + fee, for OP_RETURN spends without change, by USD amount. */
  private readonly exactUtxos: { usd: number; price: number; utxo: Utxo }[] = [];
  private readonly bigWitnessUtxos: { utxo: Utxo; script: Buffer }[] = [];
  private addresses: string[] = [];
  /** What each transaction sent here spent and paid, by txid. */
  private readonly sent = new Map<string, TxSpec>();

  constructor(node: RegtestNode, seed = 1) {
    this.node = node;
    this.random = random(seed);
  }

  get spareUtxos(): number {
    return this.utxos.length;
  }

  /**
   * Creates the wallet, mines spendable coins and `fundingOutputs` funding UTXOs (plus the special
   * ones) in blocks dated `hoursBack` hours ago, then sets the node's clock back to now.
   */
  async setup(options: {
    fundingOutputs: number;
    exactUsd?: { usd: number; price: number }[];
    bigWitness?: number;
    hoursBack?: number;
    buryBlocks?: number;
    /** Fresh addresses for later payments, two each (default: two per funding output, and 1,000 more). */
    addresses?: number;
    /**
     * Every funding UTXO of exactly this value (a one-wallet economy: every change output then lands
     * just under it). Default: random values from 0.03 to 0.12 BTC.
     */
    fundingSats?: number;
  }): Promise<void> {
    const node = this.node;
    const past = Math.floor(Date.now() / 1000) - (options.hoursBack ?? 5) * 3600;
    // The clock goes back first: a wallet ignores blocks older than its own creation time.
    await node.call('setmocktime', past);
    await node.call('createwallet', 'w', false, false, '', false, true, true);
    const mineTo = await node.call<string>('getnewaddress');
    const fundingSats = options.fundingSats;
    const needBtc = (options.fundingOutputs * (fundingSats ?? FUNDING_MAX_SATS)) / 1e8;
    const matureNeeded = Math.ceil(needBtc / 25) + 2;
    await node.call('generatetoaddress', 100 + matureNeeded, mineTo);

    // Every later payment takes two fresh addresses: fetch them all now, in one batch.
    await this.refillAddresses(
      options.fundingOutputs +
        (options.exactUsd?.length ?? 0) +
        (options.addresses ?? 2 * options.fundingOutputs + 1_000),
    );
    const planned: {
      address: string;
      sats: number;
      exact?: { usd: number; price: number };
      script?: Buffer;
    }[] = [];
    for (let i = 0; i < options.fundingOutputs; i++) {
      const sats =
        fundingSats ?? FUNDING_MIN_SATS + Math.floor(this.random() * (FUNDING_MAX_SATS - FUNDING_MIN_SATS));
      planned.push({ address: this.address(), sats });
    }
    for (const exact of options.exactUsd ?? []) {
      planned.push({
        address: this.address(),
        sats: Math.round((exact.usd / exact.price) * 1e8) + FEE_SATS,
        exact,
      });
    }
    for (let i = 0; i < (options.bigWitness ?? 0); i++) {
      const script = bigWitnessScript(i);
      const info = await node.call<{ segwit: { address: string } }>('decodescript', script.toString('hex'));
      planned.push({ address: info.segwit.address, sats: FUNDING_MIN_SATS + i * 1_001, script });
    }
    // Every funding output goes out in a few sendmany transactions, so none spends another.
    for (let start = 0; start < planned.length; start += FUNDING_OUTPUTS_PER_TX) {
      const chunk = planned.slice(start, start + FUNDING_OUTPUTS_PER_TX);
      const amounts: Record<string, string> = {};
      for (const p of chunk) amounts[p.address] = btc(p.sats);
      const txid = await node.call<string>('sendmany', '', amounts);
      // The wallet's own record (decoded), not the mempool's: it does not depend on the
      // transaction still being in the mempool when the call arrives.
      const { decoded: tx } = await node.call<{
        decoded: { vout: { n: number; value: number; scriptPubKey: { address?: string } }[] };
      }>('gettransaction', txid, true, true);
      // In the order planned, not the wallet's (it shuffles the outputs of sendmany): with the
      // seed, a run's coins and amounts are the same every time, and so is a failure.
      const voutOf = new Map(tx.vout.map((out) => [out.scriptPubKey.address, out.n]));
      for (const p of chunk) {
        const vout = voutOf.get(p.address);
        if (vout === undefined) throw new Error(`sendmany ${txid} has no output to ${p.address}`);
        const utxo = { txid, vout, sats: p.sats };
        if (p.exact) this.exactUtxos.push({ ...p.exact, utxo });
        else if (p.script) this.bigWitnessUtxos.push({ utxo, script: p.script });
        else this.utxos.push(utxo);
      }
    }
    // Bury the funding under `buryBlocks` more old blocks, so a window of the last N blocks
    // (e.g. the 144-block price) does not see payments as spends of its own transactions.
    await node.call('generatetoaddress', 1 + (options.buryBlocks ?? 0), mineTo);
    await node.call('setmocktime', 0);
    this.shuffle(this.utxos);
  }

  // ---- payment kinds ----------------------------------------------------------------------------

  /** A round USD amount (weighted draw). */
  roundUsd(): number {
    const total = ROUND_USD.reduce((s, [, w]) => s + w, 0);
    let r = this.random() * total;
    for (const [usd, w] of ROUND_USD) {
      r -= w;
      if (r < 0) return usd;
    }
    return 100;
  }

  /**
   * A round USD amount at `price` in sats, no more than `maxSats` (a coin that must also pay
   * another output, a fee and change): drawn as `roundUsd` draws, redrawn when it does not fit.
   */
  roundUsdSatsWithin(price: number, maxSats: number): number {
    const sats = (usd: number) => Math.round((usd / price) * 1e8);
    for (let i = 0; i < FIT_DRAWS; i++) {
      const drawn = sats(this.roundUsd());
      if (drawn <= maxSats) return drawn;
    }
    const fits = ROUND_USD.map(([usd]) => sats(usd)).filter((s) => s <= maxSats);
    if (fits.length === 0) throw new Error(`no round USD amount at $${price} fits in ${maxSats} sats`);
    return Math.max(...fits);
  }

  /** `n` payments of round USD amounts at `price`, each with change. */
  async roundUsdPayments(n: number, price: number, options: { rbf?: boolean } = {}): Promise<string[]> {
    return this.sendAll(
      Array.from({ length: n }, () => this.payment(Math.round((this.roundUsd() / price) * 1e8))),
      options,
    );
  }

  /** `n` payments of log-uniform random amounts (10^4 to 10^6.3 sats), each with change. */
  async noisePayments(n: number): Promise<string[]> {
    return this.sendAll(
      Array.from({ length: n }, () => this.payment(Math.round(10 ** (4 + 2.3 * this.random())))),
    );
  }

  /** `n` payments of round bitcoin amounts (0.001 to 0.02 BTC), each with change. */
  async roundBtcPayments(n: number): Promise<{ txids: string[]; sats: number[] }> {
    const choices = [100_000, 200_000, 500_000, 1_000_000, 2_000_000];
    const sats = Array.from({ length: n }, () => choices[Math.floor(this.random() * choices.length)]);
    return { txids: await this.sendAll(sats.map((s) => this.payment(s))), sats };
  }

  /**
   * RBF: `n` round-USD payments, then each replaced by one paying the same amount with a higher
   * fee (the change shrinks). Returns the replaced and the replacing txids.
   */
  async rbfPayments(n: number, price: number): Promise<{ replaced: string[]; replacements: string[] }> {
    const specs = Array.from({ length: n }, () => this.payment(Math.round((this.roundUsd() / price) * 1e8)));
    const replaced = await this.sendAll(specs, { rbf: true });
    const bumped = specs.map((spec) => {
      const outputs = spec.outputs.map((o, i) =>
        i === 1 && 'sats' in o ? { ...o, sats: o.sats - RBF_EXTRA_FEE_SATS } : o,
      );
      return { inputs: spec.inputs, outputs };
    });
    const replacements = await this.sendAll(bumped, { rbf: true });
    return { replaced, replacements };
  }

  /** Spends the change (vout 1) of each parent (sent by this economy) — a chained spend — paying round USD at `price`. */
  async chainedPayments(parents: string[], price: number): Promise<string[]> {
    const specs = parents.map((txid) => {
      const change = this.sent.get(txid)?.outputs[1];
      if (!change || !('sats' in change)) throw new Error(`no change output known for ${txid}`);
      // The change already paid one round amount: it may be too small for the largest ones.
      const pay = this.roundUsdSatsWithin(price, change.sats - FEE_SATS - MIN_CHANGE_SATS);
      return {
        inputs: [{ txid, vout: 1, sats: change.sats }],
        outputs: [
          { address: this.address(), sats: pay },
          { address: this.address(), sats: change.sats - pay - FEE_SATS },
        ],
      };
    });
    return this.sendAll(specs);
  }

  /** Round-USD payments spending six inputs (the filter allows at most five). */
  async manyInputPayments(n: number, price: number): Promise<string[]> {
    const specs = Array.from({ length: n }, () => {
      const inputs = Array.from({ length: 6 }, () => this.takeUtxo());
      const total = inputs.reduce((s, u) => s + u.sats, 0);
      const pay = Math.round((this.roundUsd() / price) * 1e8);
      return {
        inputs,
        outputs: [
          { address: this.address(), sats: pay },
          { address: this.address(), sats: total - pay - 3 * FEE_SATS },
        ],
      };
    });
    return this.sendAll(specs);
  }

  /** Two round-USD payments plus change: three outputs (the filter wants exactly two). */
  async threeOutputPayments(n: number, price: number): Promise<string[]> {
    const specs = Array.from({ length: n }, () => {
      const input = this.takeUtxo();
      // Two round amounts from one coin: each may have half of what is left after fee and change.
      const room = input.sats - FEE_SATS - MIN_CHANGE_SATS;
      const a = this.roundUsdSatsWithin(price, Math.floor(room / 2));
      const b = this.roundUsdSatsWithin(price, room - a);
      return {
        inputs: [input],
        outputs: [
          { address: this.address(), sats: a },
          { address: this.address(), sats: b },
          { address: this.address(), sats: input.sats - a - b - FEE_SATS },
        ],
      };
    });
    return this.sendAll(specs);
  }

  /** A round-USD payment and an OP_RETURN output, no change: two outputs, one of them OP_RETURN. */
  async opReturnPayments(): Promise<string[]> {
    const specs = this.exactUtxos.splice(0).map(({ usd, price, utxo }) => ({
      inputs: [utxo],
      outputs: [
        { data: Buffer.from(`chainprice test $${usd}`).toString('hex') },
        { address: this.address(), sats: Math.round((usd / price) * 1e8) },
      ],
    }));
    return this.sendAll(specs);
  }

  /** Round-USD payments (with change) spending a P2WSH output whose witness is ~600 bytes. */
  async bigWitnessPayments(price: number): Promise<string[]> {
    const txids: string[] = [];
    const hexes: string[] = [];
    for (const { utxo, script } of this.bigWitnessUtxos.splice(0)) {
      const pay = Math.round((this.roundUsd() / price) * 1e8);
      const outputs = [
        { script: await this.scriptOf(this.address()), sats: pay },
        { script: await this.scriptOf(this.address()), sats: utxo.sats - pay - 2 * FEE_SATS },
      ];
      const items = Array.from({ length: BIG_WITNESS_ITEMS }, (_, i) =>
        Buffer.alloc(BIG_WITNESS_ITEM_BYTES, i + 1),
      );
      hexes.push(serializeWitnessSpend(utxo, outputs, [...items, script]).toString('hex'));
    }
    const results = await this.node.rpc.batch<string>(
      hexes.map((hex) => ({ method: 'sendrawtransaction', params: [hex] })),
    );
    for (const r of results) {
      if (!r.ok) throw r.error;
      txids.push(r.value);
    }
    return txids;
  }

  // ---- building blocks --------------------------------------------------------------------------

  /** One funding UTXO → [payment of `sats`, change]. */
  payment(sats: number): TxSpec {
    const input = this.takeUtxo();
    if (input.sats - sats - FEE_SATS < MIN_CHANGE_SATS) {
      throw new Error(`a coin of ${input.sats} sats cannot pay ${sats} sats, the fee and change`);
    }
    return {
      inputs: [input],
      outputs: [
        { address: this.address(), sats },
        { address: this.address(), sats: input.sats - sats - FEE_SATS },
      ],
    };
  }

  takeUtxo(): Utxo {
    const utxo = this.utxos.pop();
    if (!utxo) throw new Error('the economy ran out of funding UTXOs: set up more');
    this.fromPool.add(utxo);
    return utxo;
  }

  /**
   * Builds, signs and sends; throws on the first rejection (with the node's reason). When the node
   * cannot even build or sign them (it is down), nothing was sent: the coins and addresses go back,
   * so a driver that keeps trying, as a wallet would, does not use up the economy.
   */
  async sendAll(specs: TxSpec[], options: { rbf?: boolean } = {}): Promise<string[]> {
    let signed: string[];
    try {
      signed = await this.sign(specs, options);
    } catch (error) {
      for (const spec of specs.toReversed()) {
        for (const o of spec.outputs.toReversed()) if ('address' in o) this.addresses.push(o.address);
        for (const u of spec.inputs.toReversed()) if (this.fromPool.has(u)) this.utxos.push(u);
      }
      throw error;
    }
    const txids = await this.broadcast(signed);
    for (let i = 0; i < txids.length; i++) this.sent.set(txids[i], specs[i]);
    return txids;
  }

  /**
   * `n` round-USD payments at `price`, spending `inputs` funding UTXOs each (more inputs make
   * bigger transactions), built and signed but not sent (see `broadcast`).
   */
  async signRoundUsdPayments(n: number, price: number, inputs = 1): Promise<string[]> {
    const specs = Array.from({ length: n }, () => {
      const spent = Array.from({ length: inputs }, () => this.takeUtxo());
      const total = spent.reduce((s, u) => s + u.sats, 0);
      const pay = Math.round((this.roundUsd() / price) * 1e8);
      return {
        inputs: spent,
        outputs: [
          { address: this.address(), sats: pay },
          { address: this.address(), sats: total - pay - inputs * FEE_SATS },
        ],
      };
    });
    return this.sign(specs);
  }

  /** Builds and signs with the wallet; returns the signed transactions as hex. */
  async sign(specs: TxSpec[], options: { rbf?: boolean } = {}): Promise<string[]> {
    if (specs.length === 0) return [];
    const sequence = options.rbf ? 0xfffffffd : 0xfffffffe;
    const rpc = this.node.rpc;
    const created = await rpc.batch<string>(
      specs.map((spec) => ({
        method: 'createrawtransaction',
        params: [
          spec.inputs.map((u) => ({ txid: u.txid, vout: u.vout, sequence })),
          spec.outputs.map((o) => ('data' in o ? { data: o.data } : { [o.address]: btc(o.sats) })),
        ],
      })),
    );
    const signed = await rpc.batch<{ hex: string; complete: boolean; errors?: { error: string }[] }>(
      created.map((c) => {
        if (!c.ok) throw c.error;
        return { method: 'signrawtransactionwithwallet', params: [c.value] };
      }),
    );
    return signed.map((s) => {
      if (!s.ok) throw s.error;
      if (!s.value.complete) {
        throw new Error(
          `the wallet could not sign a transaction: ${(s.value.errors ?? []).map((e) => e.error).join('; ')}`,
        );
      }
      return s.value.hex;
    });
  }

  /**
   * Sends signed transactions; throws on the first rejection (with the node's reason). With the
   * wallet loaded each acceptance costs more as the wallet's unconfirmed set grows: for thousands
   * of transactions, unload the wallet first.
   */
  async broadcast(hexes: string[]): Promise<string[]> {
    const sent = await this.node.rpc.batch<string>(
      hexes.map((hex) => ({ method: 'sendrawtransaction', params: [hex] })),
    );
    return sent.map((s) => {
      if (!s.ok) throw s.error;
      return s.value;
    });
  }

  private address(): string {
    const a = this.addresses.pop();
    if (!a) throw new Error('the economy ran out of addresses: set up more funding outputs');
    return a;
  }

  private async refillAddresses(count: number): Promise<void> {
    const results = await this.node.rpc.batch<string>(
      Array.from({ length: count }, () => ({ method: 'getnewaddress', params: ['', 'bech32'] })),
    );
    for (const r of results) {
      if (!r.ok) throw r.error;
      this.addresses.push(r.value);
    }
  }

  private async scriptOf(address: string): Promise<Buffer> {
    const info = await this.node.call<{ scriptPubKey: string }>('getaddressinfo', address);
    return Buffer.from(info.scriptPubKey, 'hex');
  }

  private shuffle<T>(list: T[]): void {
    for (let i = list.length - 1; i > 0; i--) {
      const j = Math.floor(this.random() * (i + 1));
      [list[i], list[j]] = [list[j], list[i]];
    }
  }
}

/**
 * The P2WSH script of big-witness output `i`: push i, drop it (so each output has its own
 * address), drop the eight data items (OP_2DROP ×4), leave true.
 */
function bigWitnessScript(i: number): Buffer {
  return Buffer.from([0x02, i & 0xff, i >> 8, 0x75, ...Array(BIG_WITNESS_ITEMS / 2).fill(0x6d), 0x51]);
}

/** A version-2 segwit transaction with one input spent by `witness` (no signature needed). */
function serializeWitnessSpend(
  utxo: Utxo,
  outputs: { script: Buffer; sats: number }[],
  witness: Buffer[],
): Buffer {
  const parts: Buffer[] = [];
  const u32 = (n: number) => {
    const b = Buffer.alloc(4);
    b.writeUInt32LE(n >>> 0);
    return b;
  };
  const varint = (n: number) => (n < 0xfd ? Buffer.from([n]) : Buffer.from([0xfd, n & 0xff, n >> 8]));
  parts.push(u32(2), Buffer.from([0x00, 0x01]), varint(1));
  parts.push(Buffer.from(utxo.txid, 'hex').reverse(), u32(utxo.vout), varint(0), u32(0xfffffffd));
  parts.push(varint(outputs.length));
  for (const o of outputs) {
    const value = Buffer.alloc(8);
    value.writeBigUInt64LE(BigInt(o.sats));
    parts.push(value, varint(o.script.length), o.script);
  }
  parts.push(varint(witness.length));
  for (const item of witness) parts.push(varint(item.length), item);
  parts.push(u32(0));
  const bytes = Buffer.concat(parts);
  parseTransaction(bytes); // our own parser must read what we send
  return bytes;
}
