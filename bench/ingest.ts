// ZMQ ingest benchmark: how many mempool transactions per second the live path takes in — ZMQ
// receive, parse, mempool tracker, price window — and how long each waits from being published to
// being in the window. A child process plays the node: it binds a ZMQ publisher and replays the
// non-coinbase transactions of the real mainnet blocks in ../shared/data/real/blocks in the node's
// message format (`rawtx` with the serialized transaction, then `sequence` "A" with the txid),
// at a fixed offered rate, then as fast as it can. Replays after the first change the locktime so
// every transaction is new. The parent runs the service's own code (ZmqListener → MempoolSync →
// Orchestrator with its 500 ms estimate timer) and records, per transaction, when it entered the
// window. Prints throughput, p50/p99/max latency, messages lost, estimate cost and peak RSS; writes
// bench/results/ingest.json.
// Usage: node bench/ingest.ts [--rate 12000] [--seconds 8] [--blast 150000]

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

const BLOCKS_DIR = fileURLToPath(new URL('../../shared/data/real/blocks/', import.meta.url));
const RESULTS = fileURLToPath(new URL('./results/', import.meta.url));

/** The node's default ZMQ send queue (-zmqpub…hwm): beyond it the node drops messages, and so do we. */
const NODE_SEND_HIGH_WATER_MARK = 1000;
/** The publisher paces itself on a 1 ms timer, sending whatever the schedule says is due. */
const PACE_INTERVAL_MS = 1;

function option(name: string, fallback: number): number {
  const i = process.argv.indexOf(name);
  return i === -1 ? fallback : Number(process.argv[i + 1]);
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

// ---- the node's side (child process) --------------------------------------------------------------

async function publisher(): Promise<void> {
  const { parseTransaction } = await import('../src/bitcoin/transaction.ts');
  const endpoint = process.argv[process.argv.indexOf('--endpoint') + 1];
  const rate = option('--rate', 12_000);
  const seconds = option('--seconds', 8);
  const blast = option('--blast', 150_000);
  const paced = loadTransactions(Math.round(rate * seconds) + blast);
  const txids = paced.map((bytes) => Buffer.from(parseTransaction(bytes).txid, 'hex'));
  const pub = new Publisher({ sendHighWaterMark: NODE_SEND_HIGH_WATER_MARK, linger: 0 });
  await pub.bind(endpoint);
  const sendTimes = new Float64Array(paced.length);
  let rawSeq = 0;
  let seqSeq = 0;
  let mempoolSeq = 0n;
  const send = async (i: number) => {
    const seqBody = Buffer.alloc(41);
    txids[i].copy(seqBody, 0);
    seqBody[32] = 0x41; // 'A'
    seqBody.writeBigUInt64LE(++mempoolSeq, 33);
    sendTimes[i] = performance.timeOrigin + performance.now();
    await pub.send(['rawtx', paced[i], u32(rawSeq++)]);
    await pub.send(['sequence', seqBody, u32(seqSeq++)]);
  };
  process.send?.({ ready: true, count: paced.length });
  await new Promise<void>((resolve) => process.once('message', () => resolve()));

  // Phase 1: a fixed offered rate.
  const pacedCount = Math.round(rate * seconds);
  const started = performance.now();
  let next = 0;
  while (next < pacedCount) {
    const due = Math.min(pacedCount, Math.floor(((performance.now() - started) / 1000) * rate));
    while (next < due) await send(next++);
    await new Promise((resolve) => setTimeout(resolve, PACE_INTERVAL_MS));
  }
  const pacedSeconds = (performance.now() - started) / 1000;
  await new Promise((resolve) => setTimeout(resolve, 1000));
  // Phase 2: as fast as the publisher can.
  const blastStarted = performance.now();
  while (next < paced.length) await send(next++);
  const blastSeconds = (performance.now() - blastStarted) / 1000;
  process.send?.({
    done: true,
    pacedCount,
    pacedSeconds,
    blastSeconds,
    txids: txids.map((t) => t.toString('hex')),
    sendTimes: Array.from(sendTimes),
  });
  await new Promise((resolve) => setTimeout(resolve, 500));
  pub.close();
}

function u32(n: number): Buffer {
  const b = Buffer.alloc(4);
  b.writeUInt32LE(n >>> 0);
  return b;
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
  const rate = option('--rate', 12_000);
  const seconds = option('--seconds', 8);
  const blast = option('--blast', 150_000);
  const { freePort } = await import('../test/node/regtest-node.ts');
  const endpoint = `tcp://127.0.0.1:${await freePort()}`;

  const added = new Map<string, number>();
  const orchestrator = new Orchestrator({ source: 'node' });
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
  // No node behind it: the RPC client is never used because the sync is driven message by message.
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
    windowSeconds: 3 * 3600,
  });
  let gaps = 0;
  let peakRss = process.memoryUsage().rss;
  const rssTimer = setInterval(() => {
    peakRss = Math.max(peakRss, process.memoryUsage().rss);
  }, 100);

  const child = fork(
    fileURLToPath(import.meta.url),
    [
      '--publisher',
      '--endpoint',
      endpoint,
      '--rate',
      String(rate),
      '--seconds',
      String(seconds),
      '--blast',
      String(blast),
    ],
    {
      stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
    },
  );
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
    pacedCount: number;
    pacedSeconds: number;
    blastSeconds: number;
    txids: string[];
    sendTimes: number[];
  };
  // Let the last messages drain.
  const total = ready.count as number;
  const drainDeadline = Date.now() + 10_000;
  while (added.size < total && Date.now() < drainDeadline)
    await new Promise((resolve) => setTimeout(resolve, 20));
  clearInterval(rssTimer);
  const gc = (globalThis as { gc?: () => void }).gc;
  gc?.();
  const settled = process.memoryUsage();
  await orchestrator.stop();
  await listener.close();
  rpc.close();
  child.kill();

  const phase = (from: number, to: number) => {
    const latencies: number[] = [];
    let first = Number.POSITIVE_INFINITY;
    let last = 0;
    for (let i = from; i < to; i++) {
      const at = added.get(done.txids[i]);
      if (at === undefined) continue;
      latencies.push(at - done.sendTimes[i]);
      first = Math.min(first, done.sendTimes[i]);
      last = Math.max(last, at);
    }
    latencies.sort((a, b) => a - b);
    return {
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
  };
  const paced = phase(0, done.pacedCount);
  const blastPhase = phase(done.pacedCount, total);
  const health = orchestrator.health();
  const state = orchestrator.current();
  const result = {
    offeredRate: rate,
    pacedSeconds: done.pacedSeconds,
    paced,
    blast: { ...blastPhase, publisherSeconds: done.blastSeconds },
    zmqGaps: gaps,
    windowSize: health.windowSize,
    estimates: health.counters.estimates ?? 0,
    lastEstimateMs: state?.estimateMs ?? null,
    rssMB: {
      beforeIngest: rssBefore / 2 ** 20,
      peak: peakRss / 2 ** 20,
      afterGc: gc ? settled.rss / 2 ** 20 : null,
      heapUsedAfterGc: gc ? settled.heapUsed / 2 ** 20 : null,
      externalAfterGc: gc ? settled.external / 2 ** 20 : null,
    },
    node: process.version,
  };
  const f = (n: number, d = 1) => (Number.isFinite(n) ? n.toFixed(d) : 'n/a');
  console.log(
    `ingest (${total.toLocaleString('en-US')} real mainnet transactions over ZMQ, node message format)`,
  );
  console.log(
    `  paced at ${rate.toLocaleString('en-US')} tx/s for ${f(done.pacedSeconds)} s: ${f(paced.txPerSecond, 0)} tx/s into the window, latency p50 ${f(paced.latencyMs.p50)} ms, p99 ${f(paced.latencyMs.p99)} ms, max ${f(paced.latencyMs.max)} ms, lost ${paced.lost}`,
  );
  console.log(
    `  as fast as the publisher sends: ${f(blastPhase.txPerSecond, 0)} tx/s into the window, latency p50 ${f(blastPhase.latencyMs.p50)} ms, p99 ${f(blastPhase.latencyMs.p99)} ms, lost ${blastPhase.lost}`,
  );
  console.log(
    `  window ${health.windowSize.toLocaleString('en-US')} transactions, ${result.estimates} estimates (last ${f(result.lastEstimateMs ?? Number.NaN)} ms), ZMQ gaps ${gaps}, RSS ${f(result.rssMB.beforeIngest, 0)} MB before, ${f(result.rssMB.peak, 0)} MB peak`,
  );
  mkdirSync(RESULTS, { recursive: true });
  writeFileSync(`${RESULTS}ingest.json`, `${JSON.stringify(result, null, 2)}\n`);
}

if (process.argv.includes('--publisher')) await publisher();
else await main();
