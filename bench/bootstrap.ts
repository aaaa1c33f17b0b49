// Bootstrap benchmark: how fast the live window fills from a node at start (and after every
// resync): `getrawmempool` (txids, then verbose for first-seen times), batched `getrawtransaction`,
// parse, tracker and price window — the service's own MempoolSync.start(), timed end to end.
// A regtest node gets a mempool of several thousand payments from the test economy
// (test/integration/node/economy.ts): half with one input (~220 B), half with five (~820 B), so the mean size
// is close to that of real mainnet transactions (~540 B).
//
// Extrapolation to a 100,000-transaction mainnet mempool: the start is timed at two mempool sizes
// (half and all of the payments, median of three runs each). The difference gives the cost per
// transaction (listing, fetching, parsing and windowing all grow with the count), the rest is the
// fixed cost (ZMQ connect, the chain walk). Projected = fixed + 100,000 × per transaction, then
// scaled by the ratio of the real mainnet mean transaction size to the regtest one (conservative:
// only part of the cost grows with bytes). It assumes the node answers RPC as fast with 100,000
// transactions in its mempool as with a few thousand (lookups are hash-map lookups; the verbose
// listing is linear either way) and a machine like this one.
// Prints the figures and writes bench/results/bootstrap.json.
// Usage: node bench/bootstrap.ts [--txs 3000]

import { existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { readBlock } from '../src/bitcoin/block.ts';
import { Orchestrator } from '../src/live/orchestrator.ts';
import { BlockSource } from '../src/node/block-source.ts';
import { MempoolSync } from '../src/node/mempool-sync.ts';
import { Economy } from '../test/integration/node/economy.ts';
import { bitcoindOrSkipReason, RegtestNode } from '../test/integration/node/regtest-node.ts';
import { benchArgs, numberArg } from './bench-options.ts';

const BLOCKS_DIR = fileURLToPath(new URL('../../shared/data/real/blocks/', import.meta.url));
const RESULTS = fileURLToPath(new URL('./results/', import.meta.url));
const MAINNET_MEMPOOL_TXS = 100_000;
/** Inputs of the larger half of the payments. */
const LARGE_INPUTS = 5;
/** The price the economy pays at: any price works, it only shapes the amounts. */
const PRICE = 61_234.57;
/** Runs per mempool size; the median is kept (the machine is shared). */
const RUNS = 3;

function seconds(ms: number): string {
  return `${(ms / 1000).toFixed(2)} s`;
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)];
}

/** Mean size of the real mainnet transactions (non-coinbase) in ../shared/data/real/blocks, or null. */
function mainnetMeanTxBytes(): number | null {
  if (!existsSync(BLOCKS_DIR)) return null;
  let bytes = 0;
  let count = 0;
  for (const file of readdirSync(BLOCKS_DIR)) {
    if (!file.endsWith('.raw')) continue;
    for (const tx of readBlock(readFileSync(BLOCKS_DIR + file)).transactions({ txid: false })) {
      if (tx.isCoinbase) continue;
      bytes += tx.size;
      count++;
    }
  }
  return count > 0 ? bytes / count : null;
}

/** The service's start against `node`, timed: subscribe, snapshot, fetch, parse, window. */
async function timeStart(node: RegtestNode): Promise<{ ms: number; windowed: number }> {
  const orchestrator = new Orchestrator({ source: 'node' });
  const sync = new MempoolSync({
    rpc: node.rpc,
    blocks: new BlockSource(node.rpc),
    endpoints: node.zmq,
    sink: orchestrator,
    now: () => Date.now() / 1000,
    windowSeconds: 3 * 3600,
  });
  const started = performance.now();
  await sync.start();
  const ms = performance.now() - started;
  const windowed = orchestrator.windowTxids().size;
  await sync.stop();
  return { ms, windowed };
}

async function main(): Promise<void> {
  const found = bitcoindOrSkipReason();
  if ('skip' in found) {
    console.log(`bootstrap: skipped (${found.skip})`);
    return;
  }
  const commandLine = { bench: 'bootstrap bench', usage: 'node bench/bootstrap.ts [--txs 3000]' };
  const { values } = benchArgs(commandLine, { txs: { type: 'string' } });
  const count = numberArg(commandLine, 'txs', values.txs, 3_000, { min: 1, whole: true });
  const node = await RegtestNode.start(found.bitcoind);
  try {
    const economy = new Economy(node, 3);
    const t = performance.now();
    const small = Math.ceil(count / 2);
    const large = count - small;
    await economy.setup({ fundingOutputs: small + LARGE_INPUTS * large + 10, addresses: 2 * count + 100 });
    const one = await economy.signRoundUsdPayments(small, PRICE, 1);
    const five = await economy.signRoundUsdPayments(large, PRICE, LARGE_INPUTS);
    const signed = one.flatMap((hex, i) => (i < five.length ? [hex, five[i]] : [hex]));
    // Signed with the wallet, sent without it: a loaded wallet makes each acceptance slower as its
    // unconfirmed set grows (quadratic over thousands of transactions).
    await node.call('unloadwallet', 'w');
    const half = Math.floor(signed.length / 2);
    await economy.broadcast(signed.slice(0, half));
    const meanRegtestBytes = signed.reduce((s, hex) => s + hex.length / 2, 0) / signed.length;
    console.log(
      `bootstrap: ${signed.length.toLocaleString('en-US')} regtest payments (mean ${Math.round(meanRegtestBytes)} B) built in ${seconds(performance.now() - t)}`,
    );

    const runs = async () => {
      const times: number[] = [];
      let windowed = 0;
      for (let i = 0; i < RUNS; i++) {
        const r = await timeStart(node);
        times.push(r.ms);
        windowed = r.windowed;
      }
      return { ms: median(times), windowed };
    };
    const atHalf = await runs();
    await economy.broadcast(signed.slice(half));
    const atAll = await runs();
    if (atHalf.windowed !== half || atAll.windowed !== signed.length) {
      throw new Error(
        `the window holds ${atHalf.windowed} and ${atAll.windowed} transactions, expected ${half} and ${signed.length}`,
      );
    }

    const perTxMs = Math.max(0, (atAll.ms - atHalf.ms) / (signed.length - half));
    const fixedMs = Math.max(0, atAll.ms - perTxMs * signed.length);
    const mainnetBytes = mainnetMeanTxBytes();
    const sizeRatio = mainnetBytes !== null ? Math.max(1, mainnetBytes / meanRegtestBytes) : 1;
    const projectedMs = fixedMs + MAINNET_MEMPOOL_TXS * perTxMs * sizeRatio;
    const result = {
      regtest: {
        transactions: [half, signed.length],
        meanTxBytes: meanRegtestBytes,
        startMs: [atHalf.ms, atAll.ms],
        txPerSecond: signed.length / (atAll.ms / 1000),
        perTxUs: perTxMs * 1000,
        fixedMs,
      },
      mainnetMeanTxBytes: mainnetBytes,
      extrapolation100k: { projectedMs, targetMs: 10_000, sizeRatio },
      method:
        'MempoolSync.start() timed at two regtest mempool sizes (median of 3 runs); projected = fixed + 100,000 x per-transaction cost x (mainnet mean tx bytes / regtest mean tx bytes, at least 1)',
    };
    console.log(
      `  start with ${half.toLocaleString('en-US')} / ${signed.length.toLocaleString('en-US')} mempool transactions: ${seconds(atHalf.ms)} / ${seconds(atAll.ms)} (median of ${RUNS}) = ${Math.round(result.regtest.txPerSecond).toLocaleString('en-US')} tx/s fetched, parsed and windowed`,
    );
    console.log(
      `  per transaction ${(perTxMs * 1000).toFixed(1)} µs, fixed ${Math.round(fixedMs)} ms; mainnet transactions are ${sizeRatio.toFixed(2)}× the size (mean ${Math.round(mainnetBytes ?? meanRegtestBytes)} B)`,
    );
    console.log(
      `  extrapolated to a ${MAINNET_MEMPOOL_TXS.toLocaleString('en-US')}-transaction mainnet mempool: ${seconds(projectedMs)} (target < 10 s)`,
    );
    mkdirSync(RESULTS, { recursive: true });
    writeFileSync(`${RESULTS}bootstrap.json`, `${JSON.stringify(result, null, 2)}\n`);
  } finally {
    await node.stop();
  }
}

await main();
