// The estimator's hot paths on synthetic payment traffic (test/oracle/synthetic.ts), one core:
//   (a) estimate() on a window of 50,000 candidate transactions, cold and seeded: median time;
//   (b) add + remove: candidate outputs per second through PriceWindow.add and .remove
//       (a full cycle: every transaction added, then every one removed);
//   (c) memory: heap bytes per windowed output with 300,000 transactions in the window
//       (run with --expose-gc; bench/run.ts does).
// Targets from issue 3: (a) median ≤ 5 ms, (b) ≥ 1,000,000 outputs/s, (c) ≤ 200 bytes per output.
//
//   node --expose-gc bench/estimate.ts [--quick]     (writes bench/results/estimate.json)

import { mkdirSync, writeFileSync } from 'node:fs';
import { cpus } from 'node:os';
import { fileURLToPath } from 'node:url';
import { PriceWindow } from '../src/oracle/window.ts';
import { syntheticTransactions, type TimedTransaction } from '../test/oracle/synthetic.ts';
import { benchArgs } from './bench-options.ts';

const TARGET_ESTIMATE_MS = 5;
const TARGET_OUTPUTS_PER_SECOND = 1_000_000;
const TARGET_BYTES_PER_OUTPUT = 200;

const quick =
  benchArgs(
    { bench: 'estimate bench', usage: 'node bench/estimate.ts [--quick]' },
    { quick: { type: 'boolean' } },
  ).values.quick === true;
const ESTIMATE_TXS = 50_000;
const ESTIMATE_RUNS = quick ? 11 : 41;
const CHURN_TXS = 100_000;
const CHURN_ROUNDS = quick ? 3 : 8;
const MEMORY_TXS = 300_000;
const PRICE = 87_654;

const gc = (globalThis as { gc?: () => void }).gc;
const results = fileURLToPath(new URL('./results/', import.meta.url));
mkdirSync(results, { recursive: true });

function median(xs: number[]): number {
  const s = xs.slice().sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)];
}

function batch(count: number, batchId: number, seed: number): TimedTransaction[] {
  return syntheticTransactions(PRICE, count, {
    seed,
    batch: batchId,
    startTime: 1_700_000_000 + batchId * count,
  });
}

// (c) first, on a clean heap: bytes per windowed output with 300,000 transactions (generated in
// chunks and dropped, so only the window stays). Heap and typed-array stores both count.
let memory: {
  transactions: number;
  outputs: number;
  candidateOutputs: number;
  bytesPerOutput: number;
  bytesPerCandidateOutput: number;
} | null = null;
if (gc === undefined) {
  console.log('memory: skipped (run node with --expose-gc)');
} else {
  gc();
  gc();
  const before = process.memoryUsage();
  const big = new PriceWindow();
  const chunk = 20_000;
  let outputs = 0;
  for (let done = 0; done < MEMORY_TXS; done += chunk) {
    for (const { tx, time } of batch(chunk, 10 + done / chunk, 10 + done / chunk)) {
      big.add(tx, time);
      outputs += tx.outputs.length;
    }
  }
  gc();
  gc();
  const after = process.memoryUsage();
  const bytes = after.heapUsed - before.heapUsed + (after.arrayBuffers - before.arrayBuffers);
  memory = {
    transactions: big.size,
    outputs,
    candidateOutputs: big.candidateOutputs,
    bytesPerOutput: bytes / outputs,
    bytesPerCandidateOutput: bytes / big.candidateOutputs,
  };
  console.log(
    `memory: ${big.size.toLocaleString('en-US')} txs, ${outputs.toLocaleString('en-US')} outputs ` +
      `(${big.candidateOutputs.toLocaleString('en-US')} candidates): ${(bytes / 1e6).toFixed(1)} MB heap, ` +
      `${memory.bytesPerOutput.toFixed(0)} bytes per windowed output, ${memory.bytesPerCandidateOutput.toFixed(0)} per candidate output ` +
      `(target ≤ ${TARGET_BYTES_PER_OUTPUT})`,
  );
}

// (a) estimate() on 50,000 candidate transactions.
const window = new PriceWindow();
for (const { tx, time } of batch(ESTIMATE_TXS, 1, 1)) window.add(tx, time);
const timings: Record<'cold' | 'seeded', number[]> = { cold: [], seeded: [] };
const cpu: Record<'cold' | 'seeded', number[]> = { cold: [], seeded: [] };
let last = window.estimate();
for (let i = 0; i < ESTIMATE_RUNS; i++) {
  for (const mode of ['cold', 'seeded'] as const) {
    const c0 = process.cpuUsage();
    const t0 = performance.now();
    last = window.estimate(mode === 'seeded' ? { seed: PRICE * 1.1 } : {});
    timings[mode].push(performance.now() - t0);
    const c = process.cpuUsage(c0);
    cpu[mode].push((c.user + c.system) / 1000);
  }
}
const estimate = {
  transactions: window.size,
  candidateOutputs: window.candidateOutputs,
  coldMedianMs: median(timings.cold),
  seededMedianMs: median(timings.seeded),
  /** CPU time of the same calls: on a shared machine, wall time also counts others' work. */
  coldMedianCpuMs: median(cpu.cold),
  seededMedianCpuMs: median(cpu.seeded),
  price: last.ok ? last.price : null,
  evidence: last.ok ? last.outputsUsed : 0,
};
console.log(
  `estimate: ${estimate.transactions.toLocaleString('en-US')} candidate txs (${estimate.candidateOutputs.toLocaleString('en-US')} candidate outputs): ` +
    `median ${estimate.coldMedianMs.toFixed(2)} ms cold, ${estimate.seededMedianMs.toFixed(2)} ms seeded ` +
    `(CPU ${estimate.coldMedianCpuMs.toFixed(2)} / ${estimate.seededMedianCpuMs.toFixed(2)} ms) ` +
    `(target ≤ ${TARGET_ESTIMATE_MS} ms; price $${estimate.price?.toFixed(0)} for $${PRICE})`,
);

// (b) add + remove throughput: every transaction added, then every one removed, best round.
const churnTxs = batch(CHURN_TXS, 2, 2);
const churnWindow = new PriceWindow();
let bestSeconds = Number.POSITIVE_INFINITY;
let bestCpuSeconds = Number.POSITIVE_INFINITY;
let candidatePerCycle = 0;
for (let round = 0; round < CHURN_ROUNDS; round++) {
  const c0 = process.cpuUsage();
  const t0 = performance.now();
  for (const { tx, time } of churnTxs) churnWindow.add(tx, time);
  candidatePerCycle = churnWindow.candidateOutputs;
  for (const { tx } of churnTxs) churnWindow.remove(tx.txid);
  bestSeconds = Math.min(bestSeconds, (performance.now() - t0) / 1000);
  const c = process.cpuUsage(c0);
  bestCpuSeconds = Math.min(bestCpuSeconds, (c.user + c.system) / 1e6);
}
const bestRate = candidatePerCycle / bestSeconds;
const bestCpuRate = candidatePerCycle / bestCpuSeconds;
const allOutputsRate = (2 * CHURN_TXS) / bestSeconds;
console.log(
  `add + remove: ${Math.round(bestRate).toLocaleString('en-US')} candidate outputs/s ` +
    `(${Math.round(allOutputsRate).toLocaleString('en-US')} outputs/s counting every output; ` +
    `by CPU time ${Math.round(bestCpuRate).toLocaleString('en-US')} candidate outputs/s; target ≥ ${TARGET_OUTPUTS_PER_SECOND.toLocaleString('en-US')})`,
);

const report = {
  date: new Date().toISOString(),
  node: process.version,
  cpu: cpus()[0]?.model ?? 'unknown',
  quick,
  estimate: { ...estimate, runs: ESTIMATE_RUNS, targetMs: TARGET_ESTIMATE_MS },
  addRemove: {
    transactions: CHURN_TXS,
    candidateOutputsPerCycle: candidatePerCycle,
    candidateOutputsPerSecond: Math.round(bestRate),
    outputsPerSecond: Math.round(allOutputsRate),
    candidateOutputsPerCpuSecond: Math.round(bestCpuRate),
    rounds: CHURN_ROUNDS,
    target: TARGET_OUTPUTS_PER_SECOND,
  },
  memory:
    memory === null
      ? { skipped: 'run node with --expose-gc' }
      : { ...memory, target: TARGET_BYTES_PER_OUTPUT },
};
writeFileSync(`${results}estimate.json`, `${JSON.stringify(report, null, 2)}\n`);
console.log('wrote bench/results/estimate.json');
