// Parser throughput on the real mainnet blocks, on one core: transactions/s and MB/s for
//   (a) readBlock + every transaction with txids, (b) the same without txids,
//   (c) bitcoinjs-lib Transaction.fromBuffer + getId on the same transactions (pre-split for it),
//   (d) our parseTransaction on those same pre-split transactions (like for like with (c)),
// plus the txid hashing alone through each SHA-256 path we considered. Each variant runs in short
// alternating rounds and keeps its best round, so the machine's noise hits all of them alike.
//
//   node bench/parse.ts [--seconds 6]     (total time budget; writes bench/results/parse.json)

import { createHash } from 'node:crypto';
import { mkdirSync, writeFileSync } from 'node:fs';
import { cpus } from 'node:os';
import { fileURLToPath } from 'node:url';
import { Transaction as BitcoinJsTransaction } from 'bitcoinjs-lib';
import { readBlock } from '../src/bitcoin/block.ts';
import { portableSha256d, sha256dDisplayHex, sha256Engine } from '../src/bitcoin/hash.ts';
import { parseTransaction, readTransaction } from '../src/bitcoin/transaction.ts';
import { REAL_DATA_MISSING, readRealBlock, realBlocks } from '../test/bitcoin/real-data.ts';
import { benchArgs, numberArg } from './bench-options.ts';

/** Targets from issue 2. */
const TARGET_TX_PER_SECOND = 500_000;
const TARGET_RATIO_TO_BITCOINJS = 5;
/** Rounds per variant: alternating several short rounds averages out bursts of load from others. */
const ROUNDS = 5;

const commandLine = { bench: 'parse bench', usage: 'node bench/parse.ts [--seconds 6]' };
const { values } = benchArgs(commandLine, { seconds: { type: 'string' } });
const budgetSeconds = numberArg(commandLine, 'seconds', values.seconds, 6, { above: true });

const results = fileURLToPath(new URL('./results/', import.meta.url));
mkdirSync(results, { recursive: true });

const manifest = realBlocks();
if (manifest === null) {
  console.log(`parse bench: skipped, ${REAL_DATA_MISSING}`);
  writeFileSync(`${results}parse.json`, `${JSON.stringify({ skipped: REAL_DATA_MISSING }, null, 2)}\n`);
  process.exit(0);
}

const blocks = manifest.map(readRealBlock);
const totalBytes = blocks.reduce((sum, b) => sum + b.length, 0);
/** Every transaction as its own subarray, for the per-transaction variants. */
const transactions: Uint8Array[] = [];
/** Every txid preimage (the non-witness serialization), for the hashing-only comparison. */
const preimages: Uint8Array[] = [];
for (const bytes of blocks) {
  const block = readBlock(bytes);
  let at = block.firstTxOffset;
  for (let i = 0; i < block.txCount; i++) {
    const { tx, end } = readTransaction(bytes, at, { txid: false });
    const raw = bytes.subarray(at, end);
    transactions.push(raw);
    preimages.push(tx.segwit ? withoutWitnesses(raw) : raw);
    at = end;
  }
}
/** The non-witness serialization of a segwit transaction, made by bitcoinjs-lib (not by us). */
function withoutWitnesses(raw: Uint8Array): Uint8Array {
  const tx = BitcoinJsTransaction.fromBuffer(raw);
  for (const input of tx.ins) input.witness = [];
  return new Uint8Array(tx.toBuffer());
}
const txBytes = transactions.reduce((sum, t) => sum + t.length, 0);
console.log(
  `parse bench: ${blocks.length} real blocks, ${transactions.length.toLocaleString('en-US')} transactions, ` +
    `${(totalBytes / 1e6).toFixed(1)} MB; SHA-256 engine: ${sha256Engine}; ${budgetSeconds} s budget`,
);

interface Variant {
  name: string;
  /** One pass over the data; returns a checksum so nothing is optimized away. */
  pass: () => number;
  txs: number;
  bytes: number;
}

const variants: Variant[] = [
  {
    name: 'a. chainprice readBlock, txids',
    txs: transactions.length,
    bytes: totalBytes,
    pass: () => {
      let check = 0;
      for (const bytes of blocks)
        for (const tx of readBlock(bytes).transactions()) check += tx.txid.charCodeAt(0);
      return check;
    },
  },
  {
    name: 'b. chainprice readBlock, no txids',
    txs: transactions.length,
    bytes: totalBytes,
    pass: () => {
      let check = 0;
      for (const bytes of blocks) {
        for (const tx of readBlock(bytes).transactions({ txid: false })) check += tx.outputs.length;
      }
      return check;
    },
  },
  {
    name: 'c. bitcoinjs-lib fromBuffer + getId',
    txs: transactions.length,
    bytes: txBytes,
    pass: () => {
      let check = 0;
      for (const raw of transactions) check += BitcoinJsTransaction.fromBuffer(raw).getId().charCodeAt(0);
      return check;
    },
  },
  {
    name: 'd. chainprice parseTransaction, txids',
    txs: transactions.length,
    bytes: txBytes,
    pass: () => {
      let check = 0;
      for (const raw of transactions) check += parseTransaction(raw).txid.charCodeAt(0);
      return check;
    },
  },
];

/** Txid hashing alone over the same preimages: the paths we measured before choosing one. */
const hashVariants: Variant[] = [
  {
    name: 'node:crypto hash() one-shot x2 (used)',
    txs: preimages.length,
    bytes: 0,
    pass: () => {
      let check = 0;
      for (const p of preimages) check += sha256dDisplayHex(p).charCodeAt(0);
      return check;
    },
  },
  {
    name: 'node:crypto createHash() x2',
    txs: preimages.length,
    bytes: 0,
    pass: () => {
      let check = 0;
      for (const p of preimages) {
        const once = createHash('sha256').update(p).digest();
        check += createHash('sha256').update(once).digest().reverse().toString('hex').charCodeAt(0);
      }
      return check;
    },
  },
  {
    name: 'portable TypeScript SHA-256 x2',
    txs: preimages.length,
    bytes: 0,
    pass: () => {
      let check = 0;
      for (const p of preimages) check += portableSha256d(p)[31];
      return check;
    },
  },
];

const collect = (globalThis as { gc?: () => void }).gc;

/** Best rate per variant over ROUNDS alternating rounds of `seconds / (ROUNDS * variants)` each. */
function measure(list: Variant[], seconds: number): Map<Variant, number> {
  const best = new Map<Variant, number>();
  const slice = (seconds * 1000) / (ROUNDS * list.length);
  for (const v of list) v.pass(); // warm up (JIT) before any timing
  for (let round = 0; round < ROUNDS; round++) {
    for (const v of list) {
      collect?.();
      let passes = 0;
      let check = 0;
      const start = performance.now();
      let elapsed = 0;
      do {
        check += v.pass();
        passes++;
        elapsed = performance.now() - start;
      } while (elapsed < slice);
      if (check === -1) console.log('unreachable');
      best.set(v, Math.max(best.get(v) ?? 0, passes / (elapsed / 1000)));
    }
  }
  return best;
}

const passRates = measure(variants, budgetSeconds * 0.8);
const hashRates = measure(hashVariants, budgetSeconds * 0.2);

const figures = variants.map((v) => {
  const passes = passRates.get(v) ?? 0;
  return {
    variant: v.name,
    txPerSecond: Math.round(passes * v.txs),
    mbPerSecond: Math.round(((passes * v.bytes) / 1e6) * 10) / 10,
  };
});
const hashing = hashVariants.map((v) => ({
  path: v.name,
  nsPerTxid: Math.round(1e9 / ((hashRates.get(v) ?? 0) * v.txs)),
}));

for (const f of figures) {
  console.log(
    `  ${f.variant.padEnd(40)} ${f.txPerSecond.toLocaleString('en-US').padStart(11)} tx/s ${String(f.mbPerSecond).padStart(8)} MB/s`,
  );
}
console.log('  txid hashing alone (same preimages):');
for (const h of hashing) console.log(`    ${h.path.padEnd(38)} ${String(h.nsPerTxid).padStart(7)} ns/txid`);

const [withTxids, withoutTxids, bitcoinjs, perTransaction] = figures;
const ratio = Math.round((withTxids.txPerSecond / bitcoinjs.txPerSecond) * 100) / 100;
const ratioLikeForLike = Math.round((perTransaction.txPerSecond / bitcoinjs.txPerSecond) * 100) / 100;
const meets = {
  txPerSecond: withTxids.txPerSecond >= TARGET_TX_PER_SECOND,
  ratioToBitcoinjs: ratio >= TARGET_RATIO_TO_BITCOINJS,
};
console.log(
  `  with txids: ${withTxids.txPerSecond.toLocaleString('en-US')} tx/s (target ${TARGET_TX_PER_SECOND.toLocaleString('en-US')}: ` +
    `${meets.txPerSecond ? 'met' : 'NOT met'}); ${ratio}x bitcoinjs-lib (target ${TARGET_RATIO_TO_BITCOINJS}x: ` +
    `${meets.ratioToBitcoinjs ? 'met' : 'NOT met'}); like for like (d/c) ${ratioLikeForLike}x`,
);

writeFileSync(
  `${results}parse.json`,
  `${JSON.stringify(
    {
      date: new Date().toISOString(),
      node: process.version,
      cpu: cpus()[0]?.model ?? 'unknown',
      sha256Engine,
      blocks: blocks.length,
      transactions: transactions.length,
      megabytes: Math.round(totalBytes / 1e4) / 100,
      budgetSeconds,
      figures,
      withTxids: withTxids.txPerSecond,
      withoutTxids: withoutTxids.txPerSecond,
      bitcoinjs: bitcoinjs.txPerSecond,
      ratioToBitcoinjs: ratio,
      ratioLikeForLike,
      hashing,
      targets: { txPerSecond: TARGET_TX_PER_SECOND, ratioToBitcoinjs: TARGET_RATIO_TO_BITCOINJS },
      meets,
    },
    null,
    2,
  )}\n`,
);
console.log('  wrote bench/results/parse.json');
