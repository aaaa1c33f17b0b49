// ZMQ ingest benchmark: how many mempool transactions per second the live path takes in — ZMQ
// receive, parse, mempool tracker, price window — and how long each waits from being published to
// being in the window. A child process plays the node: it binds a ZMQ publisher (unlimited queue,
// or the node's default of 1,000 messages with --node-hwm) and replays the non-coinbase transactions of the real mainnet
// blocks in ../shared/data/real/blocks in the node's message format (`rawtx` with the serialized
// transaction, then `sequence` "A" with the txid and a mempool sequence number), paced at a series
// of rates: the target rate for longer, then higher rates to find the ceiling. Replays after the
// first change the locktime, so every transaction is new. This process runs the service's own code
// (ZmqListener → MempoolSync → Orchestrator with its 500 ms estimate timer) and records when each
// transaction entered the window. Per phase: throughput, p50/p99/max latency, lost messages; and
// the estimate cost and RSS. The window is held near the size of a real 3-hour mainnet window
// (~50,000 transactions) by a window of a few seconds. Writes bench/results/ingest.json.
// Usage: node bench/ingest.ts [--rate 12000] [--seconds 8] [--ramp 20000,30000,40000] [--ramp-seconds 3] [--node-hwm]

import { fork } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { Publisher } from 'zeromq';
import { readBlock } from '../src/bitcoin/block.ts';
import type { Transaction } from '../src/bitcoin/transaction.ts';
import { Orchestrator } from '../src/live/orchestrator.ts';
import { BlockSource } from '../src/node/block-source.ts';
import { MempoolSync } from '../src/node/mempool-sync.ts';
import { RpcClient } from '../src/node/rpc-client.ts';
import { ZmqListener } from '../src/node/zmq-listener.ts';
import { benchArgs, numberArg } from './bench-options.ts';

const BLOCKS_DIR = fileURLToPath(new URL('../../shared/data/real/blocks/', import.meta.url));
const RESULTS = fileURLToPath(new URL('./results/', import.meta.url));

/**
 * The publisher's send queue. By default unlimited: the publisher is a load generator, and a backlog
 * on our side then shows as latency instead of vanishing as drops the publisher itself made when
 * the shared CPU starved its I/O thread. `--node-hwm` uses the node's default (-zmqpub…hwm=1000)
 * instead: what a stock node would drop at these rates (the service resynchronises after those).
 */
const UNLIMITED_SEND_QUEUE = 0;
const NODE_SEND_HIGH_WATER_MARK = 1000;
/** The publisher paces itself on a 1 ms timer, sending whatever the schedule says is due. */
const PACE_INTERVAL_MS = 1;
/** Transactions first seen in 3 hours on mainnet, roughly (~5 a second): the window size to hold. */
const WINDOW_TRANSACTIONS = 50_000;
/** Pause between phases, so one phase's backlog does not spill into the next one's figures. */
const PHASE_GAP_MS = 1000;

interface Phase {
  rate: number;
  seconds: number;
}

const COMMAND_LINE = {
  bench: 'ingest bench',
  usage:
    'node bench/ingest.ts [--rate 12000] [--seconds 8] [--ramp 20000,30000,40000] [--ramp-seconds 3] [--node-hwm]',
};
/** The bench's options; `--publisher` and `--endpoint` are how the bench starts its own child. */
const ARGS = benchArgs(COMMAND_LINE, {
  rate: { type: 'string' },
  seconds: { type: 'string' },
  'ramp-seconds': { type: 'string' },
  ramp: { type: 'string' },
  'node-hwm': { type: 'boolean' },
  publisher: { type: 'boolean' },
  endpoint: { type: 'string' },
}).values;

function phasesFromArgs(): Phase[] {
  const rate = numberArg(COMMAND_LINE, 'rate', ARGS.rate, 12_000, { above: true });
  const seconds = numberArg(COMMAND_LINE, 'seconds', ARGS.seconds, 8, { above: true });
  const rampSeconds = numberArg(COMMAND_LINE, 'ramp-seconds', ARGS['ramp-seconds'], 3, { above: true });
  const ramp = (ARGS.ramp ?? '20000,30000,40000')
    .split(',')
    .filter(Boolean)
    .map((r) => ({ rate: numberArg(COMMAND_LINE, 'ramp', r, 0, { above: true }), seconds: rampSeconds }));
  return [{ rate, seconds }, ...ramp];
}

/** The replayed transactions: serialized bytes, round r with locktime r (a new txid per round). */
function loadTransactions(count: number): Buffer[] {
  const originals: Buffer[] = [];
  for (const file of readdirSync(BLOCKS_DIR).sort()) {
    if (!file.endsWith('.raw')) continue;
    const bytes = readFileSync(BLOCKS_DIR + file);
    const block = readBlock(bytes);
    let offset = block.firstTxOffset;
    for (const tx of block.transactions({ txid: false })) {
      if (!tx.isCoinbase) originals.push(Buffer.from(bytes.subarray(offset, offset + tx.size)));
      offset += tx.size;
    }
  }
  const out: Buffer[] = [];
  for (let round = 0; out.length < count; round++) {
    for (const original of originals) {
      if (out.length >= count) break;
      const copy = Buffer.from(original);
      if (round > 0) copy.writeUInt32LE(round, copy.length - 4);
      out.push(copy);
    }
  }
  return out;
}

function u32(n: number): Buffer {
  const b = Buffer.alloc(4);
  b.writeUInt32LE(n >>> 0);
  return b;
}

// ---- the node's side (child process) --------------------------------------------------------------

async function publisher(): Promise<void> {
  const { parseTransaction } = await import('../src/bitcoin/transaction.ts');
  const endpoint = ARGS.endpoint ?? '';
  const phases = phasesFromArgs();
  const total = phases.reduce((s, p) => s + Math.round(p.rate * p.seconds), 0);
  const txs = loadTransactions(total);
  const txids = txs.map((bytes) => Buffer.from(parseTransaction(bytes).txid, 'hex'));
  const queue = ARGS['node-hwm'] ? NODE_SEND_HIGH_WATER_MARK : UNLIMITED_SEND_QUEUE;
  const pub = new Publisher({ sendHighWaterMark: queue, linger: 0 });
  await pub.bind(endpoint);
  const sendTimes = new Float64Array(txs.length);
  let rawSeq = 0;
  let seqSeq = 0;
  let mempoolSeq = 0n;
  const send = async (i: number) => {
    const body = Buffer.alloc(41);
    txids[i].copy(body, 0);
    body[32] = 0x41; // 'A'
    body.writeBigUInt64LE(++mempoolSeq, 33);
    sendTimes[i] = performance.timeOrigin + performance.now();
    await pub.send(['rawtx', txs[i], u32(rawSeq++)]);
    await pub.send(['sequence', body, u32(seqSeq++)]);
  };
  process.send?.({ ready: true, count: txs.length });
  await new Promise<void>((resolve) => process.once('message', () => resolve()));

  const bounds: { from: number; to: number; seconds: number }[] = [];
  let next = 0;
  for (const phase of phases) {
    const count = Math.round(phase.rate * phase.seconds);
    const from = next;
    const started = performance.now();
    while (next < from + count) {
      const due = Math.min(
        from + count,
        from + Math.floor(((performance.now() - started) / 1000) * phase.rate),
      );
      while (next < due) await send(next++);
      await new Promise((resolve) => setTimeout(resolve, PACE_INTERVAL_MS));
    }
    bounds.push({ from, to: next, seconds: (performance.now() - started) / 1000 });
    await new Promise((resolve) => setTimeout(resolve, PHASE_GAP_MS));
  }
  process.send?.({
    done: true,
    bounds,
    txids: txids.map((t) => t.toString('hex')),
    sendTimes: Array.from(sendTimes),
  });
  await new Promise((resolve) => setTimeout(resolve, 500));
  pub.close();
}

// ---- the service's side (this process) ------------------------------------------------------------

function percentile(sorted: number[], p: number): number {
  if (sorted.length === 0) return Number.NaN;
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))];
}

async function main(): Promise<void> {
  if (!existsSync(BLOCKS_DIR)) {
    console.log(`ingest: skipped, no real blocks at ${BLOCKS_DIR}`);
    return;
  }
  const phases = phasesFromArgs();
  const { freePort } = await import('../test/support/ports.ts');
  const endpoint = `tcp://127.0.0.1:${await freePort()}`;

  const added = new Map<string, number>();
  // The window is kept at the size of a real 3-hour mainnet window (~50,000 transactions) by a
  // window of a few seconds at these rates: a window that grew without bound would measure a
  // service no node can feed.
  const windowSeconds = Math.max(1, Math.round(WINDOW_TRANSACTIONS / phases[0].rate));
  const orchestrator = new Orchestrator({ source: 'node', windowSeconds });
  const sink = {
    addTransaction(tx: Transaction, firstSeen: number) {
      orchestrator.addTransaction(tx, firstSeen);
      added.set(tx.txid, performance.timeOrigin + performance.now());
    },
    removeTransaction: (txid: string) => orchestrator.removeTransaction(txid),
    markMined: (txids: Iterable<string>, time: number) => orchestrator.markMined(txids, time),
    count: (counter: string, by?: number) => orchestrator.count(counter, by),
    setConnection: (c: boolean, d: string | null) => orchestrator.setConnection(c, d),
    noteMessage: () => orchestrator.noteMessage(),
  };
  // No node behind it: the RPC client is never used, the sync is driven message by message.
  const rpc = new RpcClient({
    host: '127.0.0.1',
    port: 1,
    timeoutMs: 1000,
    credentials: async () => ({ user: '', password: '' }),
  });
  const sync = new MempoolSync({
    rpc,
    blocks: new BlockSource(rpc),
    endpoints: { rawtx: endpoint, sequence: endpoint },
    sink,
    now: () => Date.now() / 1000,
    windowSeconds,
    resyncOnLoss: false,
  });
  // What MempoolSync's housekeeping does once a second (it is not started here: no node for RPC).
  const prune = setInterval(() => sync.tracker.prune(), 1000);
  let gaps = 0;
  let peakRss = process.memoryUsage().rss;
  const rssTimer = setInterval(() => {
    peakRss = Math.max(peakRss, process.memoryUsage().rss);
  }, 100);
  const estimateMs: number[] = [];
  let peakWindow = 0;
  orchestrator.onUpdate((update) => {
    estimateMs.push(update.state.estimateMs);
    peakWindow = Math.max(peakWindow, update.state.stats.active_in_window);
  });

  const args = ['--publisher', '--endpoint', endpoint, ...process.argv.slice(2)];
  const child = fork(fileURLToPath(import.meta.url), args, {
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
  });
  const messages: Record<string, unknown>[] = [];
  let wake: (() => void) | null = null;
  child.on('message', (m) => {
    messages.push(m as Record<string, unknown>);
    wake?.();
  });
  const nextMessage = async () => {
    while (messages.length === 0) await new Promise<void>((resolve) => (wake = resolve));
    return messages.shift() as Record<string, unknown>;
  };

  const ready = await nextMessage();
  const listener = new ZmqListener(
    { rawtx: endpoint, sequence: endpoint },
    { message: (m) => sync.handleMessage(m), gap: () => gaps++, connection: () => {} },
  );
  listener.start();
  while (!listener.connected) await new Promise((resolve) => setTimeout(resolve, 10));
  await new Promise((resolve) => setTimeout(resolve, 200));
  await orchestrator.start();
  const rssBefore = process.memoryUsage().rss;
  child.send('go');
  const done = (await nextMessage()) as {
    bounds: { from: number; to: number; seconds: number }[];
    txids: string[];
    sendTimes: number[];
  };
  const total = ready.count as number;
  const drainDeadline = Date.now() + 5_000;
  while (added.size < total && Date.now() < drainDeadline)
    await new Promise((resolve) => setTimeout(resolve, 20));
  clearInterval(rssTimer);
  clearInterval(prune);
  const gc = (globalThis as { gc?: () => void }).gc;
  gc?.();
  const settled = process.memoryUsage();
  await orchestrator.stop();
  await listener.close();
  rpc.close();
  child.kill();

  const results = done.bounds.map(({ from, to, seconds }, i) => {
    const latencies: number[] = [];
    let first = Number.POSITIVE_INFINITY;
    let last = 0;
    for (let j = from; j < to; j++) {
      const at = added.get(done.txids[j]);
      if (at === undefined) continue;
      latencies.push(at - done.sendTimes[j]);
      first = Math.min(first, done.sendTimes[j]);
      last = Math.max(last, at);
    }
    latencies.sort((a, b) => a - b);
    return {
      offeredRate: phases[i].rate,
      seconds,
      sent: to - from,
      inWindow: latencies.length,
      lost: to - from - latencies.length,
      txPerSecond: latencies.length / ((last - first) / 1000),
      latencyMs: {
        p50: percentile(latencies, 50),
        p99: percentile(latencies, 99),
        max: latencies.at(-1) ?? Number.NaN,
      },
    };
  });
  estimateMs.sort((a, b) => a - b);
  const result = {
    phases: results,
    zmqGaps: gaps,
    peakWindowSize: peakWindow,
    windowSeconds,
    estimates: {
      count: estimateMs.length,
      p50Ms: percentile(estimateMs, 50),
      maxMs: estimateMs.at(-1) ?? null,
    },
    rssMB: {
      beforeIngest: rssBefore / 2 ** 20,
      peak: peakRss / 2 ** 20,
      afterGc: gc ? settled.rss / 2 ** 20 : null,
      heapUsedAfterGc: gc ? settled.heapUsed / 2 ** 20 : null,
    },
    publisherQueue: ARGS['node-hwm'] ? NODE_SEND_HIGH_WATER_MARK : 'unlimited',
    node: process.version,
  };
  const f = (n: number | null, d = 1) => (n !== null && Number.isFinite(n) ? n.toFixed(d) : 'n/a');
  const queueNote = ARGS['node-hwm'] ? "the node's default send queue of 1,000" : 'an unlimited send queue';
  console.log(
    `ingest: ${total.toLocaleString('en-US')} real mainnet transactions replayed over ZMQ in the node's message format (publisher with ${queueNote})`,
  );
  for (const r of results) {
    console.log(
      `  offered ${r.offeredRate.toLocaleString('en-US')} tx/s for ${f(r.seconds)} s: ${f(r.txPerSecond, 0)} tx/s into the window, latency p50 ${f(r.latencyMs.p50)} ms, p99 ${f(r.latencyMs.p99)} ms, max ${f(r.latencyMs.max)} ms, lost ${r.lost.toLocaleString('en-US')}`,
    );
  }
  console.log(
    `  window up to ${peakWindow.toLocaleString('en-US')} transactions (${windowSeconds} s window); ${estimateMs.length} estimates (p50 ${f(result.estimates.p50Ms)} ms, max ${f(result.estimates.maxMs)} ms); ZMQ gaps ${gaps}; RSS ${f(result.rssMB.beforeIngest, 0)} MB before, ${f(result.rssMB.peak, 0)} MB peak${gc ? `, ${f(result.rssMB.afterGc, 0)} MB after GC (heap ${f(result.rssMB.heapUsedAfterGc, 0)} MB)` : ''}`,
  );
  mkdirSync(RESULTS, { recursive: true });
  writeFileSync(`${RESULTS}ingest.json`, `${JSON.stringify(result, null, 2)}\n`);
}

if (ARGS.publisher) await publisher();
else await main();
