// History build throughput on real blocks framed as a node's block files: the dev blocks written as
// blk*.dat with XOR on, repeated to --gb gigabytes (default 2) in a temp dir (deleted at the end).
// Measures (a) scanning every file's frames and headers (the index), (b) pricing days of blocks read
// from the files (day window + each block seeded) on 1 and on N worker threads, over --price-mb of
// the data per run (each pool twice: fresh, then warm), and (c) where one core's time goes on a day of blocks: parsing, adding to the
// windows (the day's and each block's), estimating. Prints MB/s per core and writes
// bench/results/history.json.
//
//   node bench/history.ts [--gb 2] [--price-mb 1000] [--workers 2]

import { closeSync, fsyncSync, mkdirSync, mkdtempSync, openSync, rmSync, writeFileSync } from 'node:fs';
import { availableParallelism, tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { readBlock } from '../src/bitcoin/block.ts';
import { type ScannedBlock, scanBlockFile } from '../src/history/blk-file.ts';
import { magicOf } from '../src/history/blk-format.ts';
import { readXorKey } from '../src/history/block-files.ts';
import { blockSeed } from '../src/history/day-pricing.ts';
import type { JobBlock } from '../src/history/price-worker.ts';
import { WorkerPool } from '../src/history/worker-pool.ts';
import { DayWindows } from '../src/oracle/day-windows.ts';
import { REAL_DATA_MISSING, readRealBlock, realBlocks } from '../test/bitcoin/real-data.ts';
import { frameBlocks } from '../test/history/blk-fixture.ts';
import { benchArgs, numberArg } from './bench-options.ts';

const commandLine = {
  bench: 'history bench',
  usage: 'node bench/history.ts [--gb 2] [--price-mb 1000] [--workers N]',
};
const { values } = benchArgs(commandLine, {
  gb: { type: 'string' },
  'price-mb': { type: 'string' },
  workers: { type: 'string' },
});
const gb = numberArg(commandLine, 'gb', values.gb, 2, { above: true });
const priceMb = numberArg(commandLine, 'price-mb', values['price-mb'], 1000, { above: true });
const workers = numberArg(commandLine, 'workers', values.workers, availableParallelism(), {
  min: 1,
  whole: true,
});
const BLOCKS_PER_DAY = 8;
const FILE_BYTES = 128 * 1024 * 1024;

const results = fileURLToPath(new URL('./results/', import.meta.url));
mkdirSync(results, { recursive: true });
const manifest = realBlocks();
if (manifest === null) {
  console.log(`history bench: skipped, ${REAL_DATA_MISSING}`);
  process.exit(0);
}
const blocks = manifest.map(readRealBlock);
const key = Uint8Array.from([0x5c, 0x13, 0xa7, 0x02, 0xee, 0x41, 0x9b, 0x70]);
const dir = mkdtempSync(join(tmpdir(), 'chainprice-bench-blocks-'));
const cleanup = () => rmSync(dir, { recursive: true, force: true });
process.on('SIGINT', () => {
  cleanup();
  process.exit(130);
});

try {
  // Write: whole copies of the dev blocks, as many files of ≤128 MB as it takes.
  writeFileSync(join(dir, 'xor.dat'), key);
  const target = gb * 1e9;
  let written = 0;
  let fileNo = 0;
  let t = performance.now();
  while (written < target) {
    const group: Uint8Array[] = [];
    let size = 0;
    for (let i = 0; size < FILE_BYTES - 4_000_008 && written + size < target; i = (i + 1) % blocks.length) {
      group.push(blocks[i]);
      size += blocks[i].length + 8;
    }
    writeFileSync(join(dir, `blk${String(fileNo++).padStart(5, '0')}.dat`), frameBlocks(group, 'main', key));
    written += size;
  }
  // On disk before anything is timed, as a node's files are: the kernel's write-back of 2 GB would
  // otherwise run during the first pricing run.
  for (let i = 0; i < fileNo; i++) {
    const fd = openSync(join(dir, `blk${String(i).padStart(5, '0')}.dat`), 'r');
    fsyncSync(fd);
    closeSync(fd);
  }
  console.log(
    `wrote ${(written / 1e9).toFixed(2)} GB in ${fileNo} blk files (XOR on) in ${((performance.now() - t) / 1000).toFixed(1)} s`,
  );

  // (a) The index: every file's frames and headers.
  t = performance.now();
  const found: ScannedBlock[] = [];
  const xor = readXorKey(dir);
  for (let i = 0; i < fileNo; i++)
    found.push(
      ...scanBlockFile(join(dir, `blk${String(i).padStart(5, '0')}.dat`), magicOf('main'), xor).blocks,
    );
  const scanSeconds = (performance.now() - t) / 1000;
  const scannedBytes = found.reduce((s, b) => s + b.length, 0);
  console.log(
    `index: ${found.length} blocks, ${(scannedBytes / 1e6).toFixed(0)} MB of blocks in ${scanSeconds.toFixed(2)} s (${(scannedBytes / 1e6 / scanSeconds).toFixed(0)} MB/s of block data indexed)`,
  );

  // (b) Pricing days read from the files.
  const days: JobBlock[][] = [];
  let take = 0;
  for (let i = 0; i < found.length && take < priceMb * 1e6; i += BLOCKS_PER_DAY) {
    const day = found.slice(i, i + BLOCKS_PER_DAY).map((b, j) => ({
      height: i + j,
      hash: b.hash,
      time: b.time,
      location: { path: b.path, offset: b.offset, length: b.length },
    }));
    days.push(day);
    take += day.reduce((s, b) => s + (b.location?.length ?? 0), 0);
  }
  // Each pool prices the same days twice: first with fresh workers (thread start, module load and
  // the JIT's warm-up included), then again on the warm pool, the rate a long build runs at. The
  // process's CPU time (every thread's) over the wall time says how many cores were busy.
  const runs: {
    workers: number;
    pass: 'cold' | 'warm';
    mbPerSecond: number;
    perCore: number;
    seconds: number;
    coresBusy: number;
  }[] = [];
  for (const n of [...new Set([1, workers])]) {
    const pool = new WorkerPool(n);
    for (const pass of ['cold', 'warm'] as const) {
      const cpu = process.cpuUsage();
      t = performance.now();
      const all = await Promise.all(
        days.map((blocks, id) => pool.run({ id, day: `d${id}`, blocks, key: xor, carried: null })),
      );
      const seconds = (performance.now() - t) / 1000;
      const used = process.cpuUsage(cpu);
      if (all.some((r) => !r.ok)) throw new Error('a day failed to price');
      const mbps = take / 1e6 / seconds;
      const coresBusy = (used.user + used.system) / 1e6 / seconds;
      runs.push({ workers: n, pass, mbPerSecond: mbps, perCore: mbps / n, seconds, coresBusy });
      console.log(
        `pricing ${(take / 1e6).toFixed(0)} MB (${days.length} days of ${BLOCKS_PER_DAY} blocks) on ${n} ${pass} worker${n > 1 ? 's' : ''}: ${seconds.toFixed(1)} s, ${mbps.toFixed(1)} MB/s, ${(mbps / n).toFixed(1)} MB/s per core (${coresBusy.toFixed(2)} cores busy)`,
      );
    }
    await pool.close();
  }
  // (c) One core's time on the dev blocks, by phase (the work priceDay does for a day): parsing
  // (with txid bytes, no script views), adding to DayWindows (the day's window and each block's),
  // the day's estimate, the blocks' estimates (seeded when the day is confident, else cold: the
  // jobs above carry no seed either). Four passes, the first to warm up; blocks in
  // memory, so no file reads.
  const phases = { parse: 0, add: 0, dayEstimate: 0, blockEstimates: 0, bytes: 0 };
  const digest = new Uint8Array(32);
  for (let pass = 0; pass < 4; pass++) {
    if (pass === 1) for (const key of Object.keys(phases) as (keyof typeof phases)[]) phases[key] = 0;
    for (let i = 0; i < blocks.length; i += BLOCKS_PER_DAY) {
      const group = blocks.slice(i, i + BLOCKS_PER_DAY);
      // The parse alone, then parse and adds: the adds are the difference (timing each add alone
      // would cost more than the add).
      let t0 = performance.now();
      for (const b of group) for (const _ of readBlock(b).transactions({ digest, scripts: false }));
      const parse = performance.now() - t0;
      t0 = performance.now();
      const windows = new DayWindows();
      for (const b of group) {
        const p = readBlock(b);
        windows.block(p.header.time);
        for (const tx of p.transactions({ digest, scripts: false })) windows.add(tx, digest);
      }
      windows.close();
      phases.parse += parse;
      phases.add += performance.now() - t0 - parse;
      t0 = performance.now();
      const e = windows.estimateDay();
      phases.dayEstimate += performance.now() - t0;
      t0 = performance.now();
      for (let j = 0; j < group.length; j++) windows.estimateBlock(j, { seed: blockSeed(e, null) });
      phases.blockEstimates += performance.now() - t0;
      phases.bytes += group.reduce((s, b) => s + b.length, 0);
    }
  }
  const total = phases.parse + phases.add + phases.dayEstimate + phases.blockEstimates;
  const share = (ms: number) => `${((ms / total) * 100).toFixed(0)} %`;
  console.log(
    `phases over ${(phases.bytes / 1e6).toFixed(0)} MB on one core: parse ${share(phases.parse)}, window adds ${share(phases.add)}, day estimates ${share(phases.dayEstimate)}, block estimates ${share(phases.blockEstimates)} (${(phases.bytes / 1e3 / total).toFixed(0)} MB/s without file reads)`,
  );
  writeFileSync(
    join(results, 'history.json'),
    `${JSON.stringify({ gb, files: fileNo, blocks: found.length, scanSeconds, scannedBytes, priceBytes: take, runs, phases, cores: availableParallelism() }, null, 2)}\n`,
  );
} finally {
  cleanup();
}
