// Fuzzing the wire-format parser: random bytes and mutations of real (and generated) transactions and
// blocks, fed to parseTransaction, readTransaction at an offset, parseBlockHeader and readBlock.
// Every case must either parse, with the result passing sanity invariants (views inside the input,
// counts the bytes can hold, consistent sizes, the same txid as bitcoinjs-lib for a sample), or throw
// ParseError with an offset inside the input. Anything else is a failure, saved for replay.
//
//   node bench/fuzz.ts [--cases 1000000] [--seed 1] [--quiet]
// prints progress and a summary, writes bench/results/fuzz.json, exits 1 on any failure.
// `runFuzz` is also called with a few thousand cases by test/bitcoin/fuzz.test.ts.

import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { Transaction as BitcoinJsTransaction } from 'bitcoinjs-lib';
import { parseBlockHeader, readBlock } from '../src/bitcoin/block.ts';
import { ParseError } from '../src/bitcoin/parse-error.ts';
import { MAX_MONEY_SATS, readTransaction, type Transaction } from '../src/bitcoin/transaction.ts';
import { REAL_DATA_DIR, realBlocks } from '../test/bitcoin/real-data.ts';
import { benchArgs, numberArg } from './bench-options.ts';

/** Blocks at most this big are also fuzzed whole (each case re-parses the block, so keep them small). */
const MAX_FUZZED_BLOCK_BYTES = 50_000;
/** Real transactions kept as mutation seeds: enough variety (legacy, segwit, taproot eras) to cover
 * every field, few enough to load in well under a second. */
const MAX_SEED_TRANSACTIONS = 4_000;
/** Generated transactions kept in a pool (renewed as the run goes). */
const GENERATED_POOL = 200;
/** A case slower than this is reported as a failure: nothing in a parse should take long on small input. */
const SLOW_CASE_MS = 250;
/** One success in this many is re-parsed by bitcoinjs-lib to compare txids (it is ~10x slower than us). */
const DIFFERENTIAL_EVERY = 8;

export interface FuzzOptions {
  cases: number;
  seed?: number;
  /** Called about every `progressEvery` cases. */
  onProgress?: (done: number, report: FuzzReport) => void;
  progressEvery?: number;
}

export interface FuzzFailure {
  kind: string;
  error: string;
  /** The input as hex (for blocks, only when under 20 kB), to replay the case. */
  inputHex: string;
  offset: number;
}

export interface FuzzReport {
  cases: number;
  seed: number;
  seeds: { transactions: number; generated: number; blocks: number; fromRealData: boolean };
  byKind: Record<string, { cases: number; parsed: number; rejected: number }>;
  /** Successful parses also parsed by bitcoinjs-lib with the same txid. */
  differentialChecked: number;
  failures: FuzzFailure[];
  slowestCaseMs: number;
  peakHeapMB: number;
  seconds: number;
}

/** xorshift32: a tiny deterministic generator, so a failing seed replays exactly. */
class Random {
  private state: number;
  constructor(seed: number) {
    this.state = seed >>> 0 || 0x9e3779b9;
  }
  u32(): number {
    let x = this.state;
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    this.state = x >>> 0;
    return this.state;
  }
  below(n: number): number {
    return n <= 0 ? 0 : this.u32() % n;
  }
  chance(p: number): boolean {
    return this.u32() / 2 ** 32 < p;
  }
  bytes(n: number): Uint8Array {
    const out = new Uint8Array(n);
    for (let i = 0; i < n; i++) out[i] = this.u32() & 0xff;
    return out;
  }
  pick<T>(items: readonly T[]): T {
    return items[this.below(items.length)];
  }
}

/** Byte values that steer a parser into its edge cases: CompactSize prefixes, sign bits, markers. */
const INTERESTING_BYTES = [0x00, 0x01, 0x02, 0x7f, 0x80, 0xfc, 0xfd, 0xfe, 0xff, 0x6a, 0x51, 0x14, 0x20];

function compactSize(n: number): number[] {
  if (n < 0xfd) return [n];
  if (n <= 0xffff) return [0xfd, n & 0xff, n >>> 8];
  if (n <= 0xffffffff) return [0xfe, n & 0xff, (n >>> 8) & 0xff, (n >>> 16) & 0xff, n >>> 24];
  const low = n >>> 0;
  const high = Math.floor(n / 2 ** 32);
  return [0xff, ...[low, high].flatMap((w) => [w & 0xff, (w >>> 8) & 0xff, (w >>> 16) & 0xff, w >>> 24])];
}

/** CompactSize encodings worth planting: widths, non-canonical forms, lies of every size. */
function interestingCompactSize(random: Random): number[] {
  switch (random.below(6)) {
    case 0:
      return compactSize(random.below(0xfd));
    case 1:
      return compactSize(0xfd + random.below(0x10000 - 0xfd));
    case 2:
      return [0xfd, random.below(0xfd), 0]; // non-canonical
    case 3:
      return [0xfe, ...random.bytes(4)];
    case 4:
      return [0xff, ...random.bytes(8)];
    default:
      return compactSize(2 ** random.below(53));
  }
}

/** A random well-formed transaction (legacy or segwit), so fuzzing works without the real data too. */
function generateTransaction(random: Random): Uint8Array {
  const out: number[] = [...random.bytes(4)];
  const inputs = 1 + random.below(random.chance(0.1) ? 300 : 4);
  const outputs = random.below(random.chance(0.1) ? 300 : 4);
  const segwit = random.chance(0.6);
  if (segwit) out.push(0, 1);
  out.push(...compactSize(inputs));
  const scriptLength = () => (random.chance(0.05) ? 0xfd + random.below(400) : random.below(120));
  for (let i = 0; i < inputs; i++) {
    out.push(...random.bytes(36));
    const n = scriptLength();
    out.push(...compactSize(n), ...random.bytes(n), ...random.bytes(4));
  }
  out.push(...compactSize(outputs));
  for (let i = 0; i < outputs; i++) {
    const value = random.below(2 ** 31) * random.below(1_000_000);
    out.push(...compactSize(value).slice(1).concat(new Array(8).fill(0)).slice(0, 8));
    const n = scriptLength();
    out.push(...compactSize(n), ...random.bytes(n));
  }
  if (segwit) {
    for (let i = 0; i < inputs; i++) {
      const items = i === 0 ? 1 + random.below(4) : random.below(4);
      out.push(...compactSize(items));
      for (let k = 0; k < items; k++) {
        const n = scriptLength();
        out.push(...compactSize(n), ...random.bytes(n));
      }
    }
  }
  out.push(...random.bytes(4));
  return Uint8Array.from(out);
}

/** One to four random edits of a copy of `seed`. */
function mutate(random: Random, seed: Uint8Array, other: Uint8Array): Uint8Array {
  let bytes: Uint8Array = seed.slice();
  const edits = 1 + random.below(4);
  for (let e = 0; e < edits; e++) {
    const at = random.below(bytes.length + 1);
    switch (random.below(9)) {
      case 0: // flip one bit
        if (bytes.length > 0) bytes[random.below(bytes.length)] ^= 1 << random.below(8);
        break;
      case 1: // an interesting byte value
        if (bytes.length > 0) bytes[random.below(bytes.length)] = random.pick(INTERESTING_BYTES);
        break;
      case 2: // a random byte value
        if (bytes.length > 0) bytes[random.below(bytes.length)] = random.u32() & 0xff;
        break;
      case 3: // overwrite with a CompactSize (counts and lengths that lie, or are non-canonical)
        bytes = splice(
          bytes,
          at,
          random.below(2) === 0 ? 1 : 0,
          Uint8Array.from(interestingCompactSize(random)),
        );
        break;
      case 4: // insert random bytes
        bytes = splice(bytes, at, 0, random.bytes(1 + random.below(8)));
        break;
      case 5: // delete a range
        bytes = splice(bytes, at, 1 + random.below(16), new Uint8Array(0));
        break;
      case 6: // truncate
        bytes = bytes.slice(0, at);
        break;
      case 7: // duplicate a range
        if (bytes.length > 0) {
          const from = random.below(bytes.length);
          const piece = bytes.slice(from, from + 1 + random.below(64));
          bytes = splice(bytes, at, 0, piece);
        }
        break;
      default: // this transaction's head, another's tail
        bytes = splice(bytes, at, bytes.length, other.subarray(random.below(other.length + 1)));
    }
  }
  return bytes;
}

function splice(bytes: Uint8Array, at: number, remove: number, insert: Uint8Array): Uint8Array {
  const start = Math.min(at, bytes.length);
  const end = Math.min(start + remove, bytes.length);
  const out = new Uint8Array(bytes.length - (end - start) + insert.length);
  out.set(bytes.subarray(0, start), 0);
  out.set(insert, start);
  out.set(bytes.subarray(end), start + insert.length);
  return out;
}

/** Throws a plain Error (a fuzz failure) when a parsed transaction breaks an invariant. */
function checkTransaction(tx: Transaction, bytes: Uint8Array, offset: number, end: number): void {
  const fail = (what: string) => {
    throw new Error(`invariant broken: ${what}`);
  };
  if (!(end > offset && end <= bytes.length)) fail(`end ${end} outside (${offset}, ${bytes.length}]`);
  if (tx.size !== end - offset) fail('size is not end - offset');
  if (tx.inputs.length * 41 + tx.outputs.length * 9 + 10 > tx.size) fail('more inputs/outputs than bytes');
  if (tx.weight < tx.size || tx.weight > tx.size * 4) fail('weight outside [size, 4 size]');
  if (tx.vsize !== Math.ceil(tx.weight / 4)) fail('vsize');
  if (tx.txid !== '' && !/^[0-9a-f]{64}$/.test(tx.txid)) fail(`txid ${tx.txid}`);
  const lo = bytes.byteOffset + offset;
  const hi = bytes.byteOffset + end;
  const inside = (view: Uint8Array, what: string) => {
    if (view.buffer !== bytes.buffer || view.byteOffset < lo || view.byteOffset + view.length > hi) {
      fail(`${what} is not a view inside the transaction`);
    }
  };
  let witness = 0;
  for (const input of tx.inputs) {
    if (input.prevTxid.length !== 32) fail('prevTxid length');
    inside(input.prevTxid, 'prevTxid');
    inside(input.scriptSig, 'scriptSig');
    if (input.witnessLargestItem > input.witnessBytes) fail('largest witness item above witness bytes');
    if ((input.witnessItems === 0) !== (input.witnessBytes === 0)) fail('witness items and bytes disagree');
    witness += input.witnessBytes;
  }
  if (tx.segwit ? witness === 0 || witness + 2 > tx.size : witness !== 0) fail('witness total');
  for (const output of tx.outputs) {
    if (!Number.isSafeInteger(output.value) || output.value < 0 || output.value > MAX_MONEY_SATS)
      fail('value');
    inside(output.script, 'script');
  }
}

function checkParseError(error: unknown, length: number): void {
  if (!(error instanceof ParseError)) throw error;
  if (!(error.offset >= 0 && error.offset <= length)) {
    throw new Error(`ParseError offset ${error.offset} outside the ${length}-byte input: ${error.message}`);
  }
}

interface Seeds {
  transactions: Uint8Array[];
  blocks: Uint8Array[];
  fromRealData: boolean;
}

function loadSeeds(): Seeds {
  const transactions: Uint8Array[] = [];
  const blocks: Uint8Array[] = [];
  const manifest = realBlocks();
  for (const entry of manifest ?? []) {
    const bytes = new Uint8Array(readFileSync(`${REAL_DATA_DIR}${entry.file}`));
    if (bytes.length <= MAX_FUZZED_BLOCK_BYTES) blocks.push(bytes);
    const block = readBlock(bytes);
    const every = Math.max(1, Math.floor(((manifest?.length ?? 1) * block.txCount) / MAX_SEED_TRANSACTIONS));
    let at = block.firstTxOffset;
    for (let i = 0; i < block.txCount; i++) {
      const { end } = readTransaction(bytes, at, { txid: false });
      if (i % every === 0) transactions.push(bytes.slice(at, end));
      at = end;
    }
  }
  return { transactions, blocks, fromRealData: manifest !== null };
}

const KINDS = [
  'random-bytes',
  'mutated-tx',
  'tx-at-offset',
  'generated-tx',
  'header',
  'mutated-block',
] as const;

export function runFuzz(options: FuzzOptions): FuzzReport {
  const seed = options.seed ?? 1;
  const random = new Random(seed);
  const seeds = loadSeeds();
  /** Generated transactions: the only seeds when the real data is absent, extra variety otherwise. */
  const generated = Array.from({ length: GENERATED_POOL }, () => generateTransaction(random));
  if (seeds.transactions.length === 0) seeds.transactions.push(...generated);
  const started = performance.now();
  const report: FuzzReport = {
    cases: 0,
    seed,
    seeds: {
      transactions: seeds.transactions.length,
      generated: GENERATED_POOL,
      blocks: seeds.blocks.length,
      fromRealData: seeds.fromRealData,
    },
    byKind: Object.fromEntries(KINDS.map((k) => [k, { cases: 0, parsed: 0, rejected: 0 }])),
    differentialChecked: 0,
    failures: [],
    slowestCaseMs: 0,
    peakHeapMB: 0,
    seconds: 0,
  };
  const progressEvery = options.progressEvery ?? 100_000;
  let successes = 0;

  for (let n = 0; n < options.cases; n++) {
    // Whole blocks cost ~100x a transaction: one case in 64.
    const kind = seeds.blocks.length > 0 && random.below(64) === 0 ? 'mutated-block' : KINDS[random.below(5)];
    let input: Uint8Array;
    let offset = 0;
    const txSeed = random.pick(seeds.transactions);
    switch (kind) {
      case 'random-bytes':
        input = random.bytes(random.below(random.chance(0.5) ? 64 : 600));
        break;
      case 'mutated-tx':
        input = mutate(random, txSeed, random.pick(seeds.transactions));
        break;
      case 'tx-at-offset': {
        // A (maybe mutated) transaction inside a larger buffer, read from a subarray with a byteOffset.
        const tx = random.chance(0.5) ? txSeed : mutate(random, txSeed, txSeed);
        offset = random.below(16);
        const buffer = new Uint8Array(offset + tx.length + random.below(16) + 3);
        buffer.set(random.bytes(buffer.length));
        buffer.set(tx, offset + 3);
        input = buffer.subarray(3);
        break;
      }
      case 'generated-tx': {
        // Generating costs ~10x a parse: mostly mutate the pool, sometimes renew one of its members.
        const slot = random.below(generated.length);
        if (random.chance(1 / 16)) generated[slot] = generateTransaction(random);
        input = random.chance(0.2) ? generated[slot] : mutate(random, generated[slot], txSeed);
        break;
      }
      case 'header':
        input = random.chance(0.5)
          ? random.bytes(70 + random.below(20))
          : mutate(random, random.bytes(80), txSeed);
        break;
      default:
        input = mutate(random, random.pick(seeds.blocks), txSeed);
    }

    const stats = report.byKind[kind];
    stats.cases++;
    const t0 = performance.now();
    try {
      if (kind === 'header') {
        parseBlockHeader(input);
      } else if (kind === 'mutated-block') {
        const block = readBlock(input);
        let count = 0;
        for (const _ of block.transactions({ txid: random.chance(0.5) })) count++;
        if (count !== block.txCount)
          throw new Error(`invariant broken: ${count} of ${block.txCount} transactions`);
      } else {
        const withTxid = random.chance(0.5);
        const { tx, end } = readTransaction(input, offset, { txid: withTxid });
        checkTransaction(tx, input, offset, end);
        if (withTxid && ++successes % DIFFERENTIAL_EVERY === 0) {
          const theirs = BitcoinJsTransaction.fromBuffer(input.subarray(offset, end)).getId();
          if (theirs !== tx.txid) throw new Error(`txid ${tx.txid} but bitcoinjs-lib says ${theirs}`);
          report.differentialChecked++;
        }
      }
      stats.parsed++;
    } catch (error) {
      try {
        checkParseError(error, input.length);
        stats.rejected++;
      } catch (failure) {
        report.failures.push({
          kind,
          error: failure instanceof Error ? `${failure.name}: ${failure.message}` : String(failure),
          inputHex: input.length <= 20_000 ? Buffer.from(input).toString('hex') : `(${input.length} bytes)`,
          offset,
        });
      }
    }
    const ms = performance.now() - t0;
    if (ms > report.slowestCaseMs) report.slowestCaseMs = ms;
    if (ms > SLOW_CASE_MS) {
      report.failures.push({ kind, error: `slow case: ${ms.toFixed(0)} ms`, inputHex: '', offset });
    }
    report.cases++;
    if ((n + 1) % 10_000 === 0) {
      report.peakHeapMB = Math.max(report.peakHeapMB, process.memoryUsage().heapUsed / 2 ** 20);
    }
    if ((n + 1) % progressEvery === 0) options.onProgress?.(n + 1, report);
  }
  report.peakHeapMB = Math.round(Math.max(report.peakHeapMB, process.memoryUsage().heapUsed / 2 ** 20));
  report.slowestCaseMs = Math.round(report.slowestCaseMs * 100) / 100;
  report.seconds = Math.round((performance.now() - started) / 10) / 100;
  return report;
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const commandLine = { bench: 'fuzz', usage: 'node bench/fuzz.ts [--cases N] [--seed N] [--quiet]' };
  const { values } = benchArgs(commandLine, {
    cases: { type: 'string' },
    seed: { type: 'string' },
    quiet: { type: 'boolean' },
  });
  const cases = numberArg(commandLine, 'cases', values.cases, 1_000_000, { whole: true });
  const seed = numberArg(commandLine, 'seed', values.seed, Date.now() % 2 ** 31, { whole: true });
  const quiet = values.quiet === true;
  console.log(`fuzz: ${cases.toLocaleString('en-US')} cases, seed ${seed}`);
  const report = runFuzz({
    cases,
    seed,
    onProgress: (done, r) => {
      if (!quiet) console.log(`  ${done.toLocaleString('en-US')} cases, ${r.failures.length} failures`);
    },
  });
  const results = fileURLToPath(new URL('./results/', import.meta.url));
  mkdirSync(results, { recursive: true });
  writeFileSync(`${results}fuzz.json`, `${JSON.stringify(report, null, 2)}\n`);
  for (const [kind, s] of Object.entries(report.byKind)) {
    console.log(
      `  ${kind.padEnd(14)} ${String(s.cases).padStart(9)} cases  ${s.parsed} parsed, ${s.rejected} ParseError`,
    );
  }
  console.log(
    `fuzz: ${report.cases.toLocaleString('en-US')} cases in ${report.seconds} s, ` +
      `${report.differentialChecked} txids cross-checked with bitcoinjs-lib, slowest case ${report.slowestCaseMs} ms, ` +
      `peak heap ${report.peakHeapMB} MB, seeds: ${report.seeds.transactions} transactions` +
      `${report.seeds.fromRealData ? ' (real data)' : ' (generated only: real data not found)'}, ${report.seeds.blocks} blocks`,
  );
  for (const failure of report.failures.slice(0, 10)) {
    console.log(
      `FAILURE (${failure.kind}, offset ${failure.offset}): ${failure.error}\n  input: ${failure.inputHex.slice(0, 400)}`,
    );
  }
  console.log(
    report.failures.length === 0
      ? 'fuzz: no failures'
      : `fuzz: ${report.failures.length} failures (all in bench/results/fuzz.json)`,
  );
  process.exit(report.failures.length === 0 ? 0 : 1);
}
