// Memory benchmark: the resident memory of `chainprice serve` with a node at mainnet size, and of
// `serve --demo`: the whole process as a user runs it, and the service's parts in this process
// (which tell each part's share).
//
// A child process plays the node, as in bench/ingest.ts: it replays the real mainnet transactions
// of ../shared/data/real/blocks over ZMQ in the node's message format (rawtx + sequence "A"), and
// answers JSON-RPC as Bitcoin Core does for the calls chainprice makes (getblockchaininfo,
// getzmqnotifications, getbestblockhash, getblockcount, getblockhash, getblockheader, getblock,
// getrawmempool, getrawtransaction) for a mainnet chain of 144 mainnet-sized blocks made of those
// real transactions (about 3,470 a block, 500,000 in all: each pass over the dev blocks after the
// first changes the locktime, so every txid is new, and re-points the inputs that spent a
// transaction of the dev blocks at its new txid, so chained spends stay chained). The blocks are
// recent (the tip 3 h 10 min old, a block every 10 minutes: older than the live window, so the
// live window holds the replayed transactions only, and within the history's last 30 days); the
// mempool is what was replayed. It has no block files: serve's history build reads over RPC.
//
// The whole process (`--serve` runs only this): `sh scripts/node.sh src/cli.ts serve --mainnet
// --rpc-… --zmq-… --datadir EMPTY --data-dir TEMP --port P` as a child with the user's environment
// (less CHAINPRICE_* variables); serve applies its memory settings itself (its restart in place,
// src/runtime/heap-settings.ts). Its RSS is sampled every 50 ms from /proc/PID/status, its
// resident memory by kind read from /proc/PID/smaps, its own figures from its /metrics; one
// WebSocket client reads the stream (/ws/mempool) all along, like a browser tab. Steps: serve
// started (the 144-block window filled, as /metrics shows, and the history of the last 30 days
// built, as its log says), and 10 s later (the build's garbage waits for V8's memory reducer);
// + live window of 50,000 transactions; then 300,000. Then `serve --demo` (its 60-day demo
// history and 3-hour pre-fill): steady after the start, and 10 s later. Start-up peak: the
// highest sample before the steady measurement (50,000 transactions; the demo's first), beside
// the kernel's high-water mark (VmHWM). serve is stopped with SIGTERM at the end.
//
// In this process: the service's own code, ZmqListener → MempoolSync → Orchestrator (the live
// window, estimated every 500 ms) and BlockWindowPrice over a BlockSource on the RPC (the
// 144-block window), with the memory settings `chainprice serve` runs with, and again with Node's
// and glibc's defaults, each measurement in a fresh process. Steps: empty service; 144-block
// window filled; live window of 50,000 transactions (≈ 3 hours of mainnet); then 300,000 (a
// congested mempool). And `--demo`: the demo feed's 3-hour pre-fill, then 20 s running. No HTTP
// server, history or metrics there.
//
// Each step's steady RSS is the median over 10 s of the service running. Targets (issue 11):
// steady ≤ 150 MB (node path at mainnet size, and the demo); ≤ 250 MB with 300,000 transactions;
// start-up peak ≤ 1.5 × steady. Writes bench/results/memory.json (`--serve` replaces the
// whole-process results there and keeps the others).
// Usage: node bench/memory.ts [--serve] [--blocks 144] [--per-block 3472] [--rate 8000]

import { type ChildProcess, fork, spawn, spawnSync } from 'node:child_process';
import {
  existsSync,
  mkdirSync,
  mkdtempSync,
  openSync,
  readdirSync,
  readFileSync,
  readSync,
  rmSync,
  writeFileSync,
  writeSync,
} from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import v8 from 'node:v8';
import { grouped } from '../src/format/number.ts';
import { benchArgs, numberArg } from './bench-options.ts';

const COMMAND_LINE = {
  bench: 'memory bench',
  usage: 'node bench/memory.ts [--serve] [--blocks 144] [--per-block 3472] [--rate 8000]',
};
/** The bench's options; `--one`, `--demo`, `--node`, `--endpoint` and `--cache` are how it starts its own children. */
const ARGS = benchArgs(COMMAND_LINE, {
  serve: { type: 'boolean' },
  blocks: { type: 'string' },
  'per-block': { type: 'string' },
  rate: { type: 'string' },
  one: { type: 'boolean' },
  demo: { type: 'boolean' },
  node: { type: 'boolean' },
  endpoint: { type: 'string' },
  cache: { type: 'string' },
}).values;
const BLOCK_COUNT = numberArg(COMMAND_LINE, 'blocks', ARGS.blocks, 144, { min: 1, whole: true });

const BLOCKS_DIR = fileURLToPath(new URL('../../shared/data/real/blocks/', import.meta.url));
const RESULTS = fileURLToPath(new URL('./results/', import.meta.url));
const MB = 2 ** 20;
const TARGET_STEADY_MB = 150;
const TARGET_CONGESTED_MB = 250;
const TARGET_PEAK_RATIO = 1.5;
const LIVE_TXS = 50_000;
const CONGESTED_TXS = 300_000;
/**
 * Replay rate (`--rate N`, transactions a second): well within what the live path takes
 * (bench/ingest.ts), so nothing is lost; mainnet's own is 3-20 a second.
 */
const RATE = numberArg(COMMAND_LINE, 'rate', ARGS.rate, 8000, { above: true });
const STEADY_SECONDS = 10;
/** Recent, full mainnet blocks: the chain's transactions come from these, in height order. */
const CHAIN_SOURCES = [702861, 830000, 831328, 831329, 831330, 831331, 866342];
/** The chain's tip is this old: past the live window's 3 hours (see the top), well within 30 days. */
const TIP_AGE_SECONDS = 3 * 3600 + 600;
/** The blocks' difficulty bits (a 2024 mainnet value). */
const BITS = 0x17034219;
const RPC_USER = 'u';
const RPC_PASSWORD = 'p';

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** What must be undone however this process ends: children killed, temporary files removed. */
const cleanups = new Set<() => void>();
function onCleanup(undo: () => void): () => void {
  cleanups.add(undo);
  return () => cleanups.delete(undo);
}
function cleanUp(): void {
  for (const undo of cleanups) {
    try {
      undo();
    } catch {
      // the others still run
    }
  }
  cleanups.clear();
}

interface Check {
  what: string;
  value: number;
  target: string;
  pass: boolean;
}

/** A target that `value` must not exceed (`unit` ' MB' for memory, '' for a ratio). */
function atMost(what: string, value: number, limit: number, unit = ' MB'): Check {
  return { what, value, target: `≤ ${limit}${unit}`, pass: value <= limit };
}

/** Prints each check as PASS/FAIL (a ratio with two decimals) and returns them, for the JSON. */
function printChecks(checks: Check[]): Check[] {
  for (const { what, value, target, pass } of checks)
    console.log(
      `  ${pass ? 'PASS' : 'FAIL'} ${what}: ${value.toFixed(target.endsWith('MB') ? 0 : 2)} (target ${target})`,
    );
  return checks;
}

// ---- the node's side (child process) ------------------------------------------------------------

async function node(): Promise<void> {
  const { Publisher } = await import('zeromq');
  const { readBlock } = await import('../src/bitcoin/block.ts');
  const { readTransaction } = await import('../src/bitcoin/transaction.ts');
  const { sha256d, hashToHex } = await import('../src/bitcoin/hash.ts');
  const endpoint = ARGS.endpoint ?? '';
  const cache = ARGS.cache ?? '';
  const blockCount = BLOCK_COUNT;
  const perBlock = numberArg(COMMAND_LINE, 'per-block', ARGS['per-block'], 3472, { min: 1, whole: true });

  // The chain: real transactions, re-made pass after pass, cut into blocks (headers without a
  // merkle root: nothing checks it). Every block is made once, here, and written to a file in
  // `cache`: the block window, serve's history build and a resync each fetch the blocks they need,
  // so a block is served as often as it is asked for, read back from the file.
  const sources = CHAIN_SOURCES.map((h) => readFileSync(`${BLOCKS_DIR}block-${h}.raw`));
  const newTxid = new Map<string, Buffer>();
  const coinbases: Buffer[] = [];
  function* chainTransactions(): Generator<Buffer> {
    for (let pass = 0; ; pass++) {
      for (const bytes of sources) {
        const block = readBlock(bytes);
        let offset = block.firstTxOffset;
        for (const tx of block.transactions()) {
          const start = offset;
          offset += tx.size;
          const copy = Buffer.from(bytes.subarray(start, offset));
          if (tx.isCoinbase) {
            if (pass === 0) coinbases.push(copy);
            continue;
          }
          if (pass > 0) {
            for (const input of tx.inputs) {
              const parent = newTxid.get(Buffer.from(input.prevTxid).toString('hex'));
              if (parent !== undefined)
                parent.copy(copy, input.prevTxid.byteOffset - bytes.byteOffset - start);
            }
            copy.writeUInt32LE(0x7f000000 + pass, copy.length - 4);
            const txid = Buffer.from(readTransaction(copy, 0).tx.txid, 'hex').reverse();
            newTxid.set(Buffer.from(tx.txid, 'hex').reverse().toString('hex'), txid);
          }
          yield copy;
        }
      }
    }
  }
  const stream = chainTransactions();
  const tip = blockCount - 1;
  const tipTime = Math.floor(Date.now() / 1000) - TIP_AGE_SECONDS;
  const times: number[] = [];
  const hashes: string[] = [];
  const offsets: number[] = [];
  const sizes: number[] = [];
  const file = openSync(join(cache, 'blocks.dat'), 'w+');
  let fileSize = 0;
  let prev = Buffer.alloc(32);
  for (let i = 0; i < blockCount; i++) {
    const time = tipTime - 600 * (tip - i);
    const header = Buffer.alloc(80);
    header.writeInt32LE(0x20000000, 0);
    prev.copy(header, 4);
    header.writeUInt32LE(time, 68);
    header.writeUInt32LE(BITS, 72);
    header.writeUInt32LE(i, 76);
    const txs: Buffer[] = [];
    for (let t = 0; t < perBlock; t++) txs.push(stream.next().value as Buffer);
    const coinbase = Buffer.from(coinbases[i % coinbases.length]);
    coinbase.writeUInt32LE(0x7e000000 + i, coinbase.length - 4);
    const count = Buffer.from([0xfd, 0, 0]);
    count.writeUInt16LE(txs.length + 1, 1);
    const block = Buffer.concat([header, count, coinbase, ...txs]);
    writeSync(file, block, 0, block.length, fileSize);
    offsets.push(fileSize);
    sizes.push(block.length);
    fileSize += block.length;
    prev = Buffer.from(sha256d(header));
    hashes.push(hashToHex(prev));
    times.push(time);
  }
  newTxid.clear();
  const heightOf = new Map(hashes.map((hash, height) => [hash, height]));
  const blockHex = (height: number): string => {
    const bytes = Buffer.allocUnsafe(sizes[height]);
    readSync(file, bytes, 0, bytes.length, offsets[height]);
    return bytes.toString('hex');
  };
  // Header fields as the node computes them: median time past of the last 11 blocks, the
  // difficulty and the chain's work from the (fixed) bits.
  const medianTime = (height: number) => {
    const last = times.slice(Math.max(0, height - 10), height + 1).sort((a, b) => a - b);
    return last[Math.floor(last.length / 2)];
  };
  const target = BigInt(BITS & 0xffffff) << BigInt(8 * ((BITS >>> 24) - 3));
  const work = (1n << 256n) / (target + 1n);
  const chainwork = (height: number) => (work * BigInt(height + 1)).toString(16).padStart(64, '0');
  const difficulty = (0xffff / (BITS & 0xffffff)) * 256 ** (0x1d - (BITS >>> 24));
  const bits = BITS.toString(16);
  const headerInfo = (height: number) => ({
    hash: hashes[height],
    confirmations: tip - height + 1,
    height,
    version: 0x20000000,
    versionHex: '20000000',
    merkleroot: '0'.repeat(64),
    time: times[height],
    mediantime: medianTime(height),
    nonce: height,
    bits,
    target: target.toString(16).padStart(64, '0'),
    difficulty,
    chainwork: chainwork(height),
    nTx: perBlock + 1,
    ...(height > 0 ? { previousblockhash: hashes[height - 1] } : {}),
    ...(height < tip ? { nextblockhash: hashes[height + 1] } : {}),
  });

  // The mempool: every non-coinbase transaction of the dev blocks, replayed pass after pass (pass
  // r with locktime r, so every txid is new); transaction n of the replay is made again from its
  // number whenever it is asked for. Nothing leaves it (no block is mined while the bench runs).
  const originals: Buffer[] = [];
  for (const name of readdirSync(BLOCKS_DIR).sort()) {
    if (!name.endsWith('.raw')) continue;
    const bytes = readFileSync(BLOCKS_DIR + name);
    const block = readBlock(bytes);
    let offset = block.firstTxOffset;
    for (const tx of block.transactions({ txid: false })) {
      if (!tx.isCoinbase) originals.push(Buffer.from(bytes.subarray(offset, offset + tx.size)));
      offset += tx.size;
    }
  }
  const txAt = (n: number): Buffer => {
    const tx = Buffer.from(originals[n % originals.length]);
    const round = Math.floor(n / originals.length);
    if (round > 0) tx.writeUInt32LE(round, tx.length - 4);
    return tx;
  };
  /** txid → its number in the replay, and when it entered the mempool (Unix seconds). */
  const mempool = new Map<string, number>();
  const entered: number[] = [];
  /** The mempool sequence number of the last A sent (Bitcoin Core's starts at 1). */
  let mempoolSeq = 0n;

  const authorization = `Basic ${Buffer.from(`${RPC_USER}:${RPC_PASSWORD}`).toString('base64')}`;
  type Call = { id: unknown; method: string; params?: unknown[] };
  type Reply = { result: unknown; error: { code: number; message: string } | null; id: unknown };
  // The calls `chainprice serve` makes (src/node, src/history), answered as Bitcoin Core answers them.
  const answer = (call: Call): Reply => {
    const ok = (result: unknown): Reply => ({ result, error: null, id: call.id });
    const fail = (code: number, message: string): Reply => ({
      result: null,
      error: { code, message },
      id: call.id,
    });
    const params = call.params ?? [];
    switch (call.method) {
      case 'getblockchaininfo':
        return ok({
          chain: 'main',
          blocks: tip,
          headers: tip,
          bestblockhash: hashes[tip],
          bits,
          target: target.toString(16).padStart(64, '0'),
          difficulty,
          time: times[tip],
          mediantime: medianTime(tip),
          verificationprogress: 1,
          initialblockdownload: false,
          chainwork: chainwork(tip),
          size_on_disk: fileSize,
          pruned: false,
          warnings: [],
        });
      case 'getzmqnotifications':
        // hwm: this publisher's send high-water mark (0: no limit, so the replay loses nothing).
        return ok([
          { type: 'pubrawtx', address: endpoint, hwm: 0 },
          { type: 'pubsequence', address: endpoint, hwm: 0 },
        ]);
      case 'getbestblockhash':
        return ok(hashes[tip]);
      case 'getblockcount':
        return ok(tip);
      case 'getblockhash': {
        const height = params[0] as number;
        return Number.isInteger(height) && height >= 0 && height <= tip
          ? ok(hashes[height])
          : fail(-8, 'Block height out of range');
      }
      case 'getblockheader': {
        const height = heightOf.get(params[0] as string);
        if (height === undefined) return fail(-5, 'Block not found');
        if (params[1] === false) return ok(blockHex(height).slice(0, 160));
        return ok(headerInfo(height));
      }
      case 'getblock': {
        const height = heightOf.get(params[0] as string);
        if (height === undefined) return fail(-5, 'Block not found');
        // Verbosity 0 (serialized, hex) is what chainprice asks for; the JSON forms are not made here.
        if (params[1] !== 0) return fail(-8, 'this bench node serves getblock with verbosity 0 only');
        return ok(blockHex(height));
      }
      case 'getrawmempool': {
        const verbose = params[0] === true;
        const withSequence = params[1] === true;
        if (verbose && withSequence)
          return fail(-8, 'Verbose results cannot contain mempool sequence values.');
        if (verbose) {
          // Bitcoin Core also gives fees, ancestors and descendants: unknown here (serve reads `time`).
          const out: Record<string, unknown> = {};
          for (const [txid, n] of mempool) {
            const { tx } = readTransaction(txAt(n), 0, { txid: false });
            out[txid] = { vsize: tx.vsize, weight: tx.weight, time: entered[n], height: tip };
          }
          return ok(out);
        }
        const txids = [...mempool.keys()];
        return ok(withSequence ? { txids, mempool_sequence: Number(mempoolSeq + 1n) } : txids);
      }
      case 'getrawtransaction': {
        const n = mempool.get(params[0] as string);
        if (n === undefined)
          return fail(
            -5,
            'No such mempool transaction. Use -txindex or provide a block hash to enable blockchain transaction queries. Use gettransaction for wallet transactions.',
          );
        if (params[1] !== undefined && params[1] !== false && params[1] !== 0)
          return fail(-8, 'this bench node serves getrawtransaction with verbose=false only');
        return ok(txAt(n).toString('hex'));
      }
      default:
        return fail(-32601, 'Method not found');
    }
  };
  const server = http.createServer((req, res) => {
    if (req.headers.authorization !== authorization) {
      // As the node: 401 with no body, and a pause (it slows down password guessing).
      req.resume();
      setTimeout(() => res.writeHead(401, { 'www-authenticate': 'Basic realm="jsonrpc"' }).end(), 250);
      return;
    }
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const body = JSON.parse(Buffer.concat(chunks).toString('utf8')) as Call | Call[];
      res.setHeader('content-type', 'application/json');
      if (Array.isArray(body)) {
        res.end(JSON.stringify(body.map(answer)));
        return;
      }
      // A single call's error comes with HTTP 500 (404 for an unknown method), as the node sends it.
      const reply = answer(body);
      res.statusCode = reply.error === null ? 200 : reply.error.code === -32601 ? 404 : 500;
      res.end(JSON.stringify(reply));
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));

  const pub = new Publisher({ sendHighWaterMark: 0, linger: 0 });
  await pub.bind(endpoint);
  let sent = 0;
  let seq = 0;
  const u32 = (n: number) => {
    const b = Buffer.alloc(4);
    b.writeUInt32LE(n >>> 0);
    return b;
  };
  const send = async () => {
    const n = sent++;
    const tx = txAt(n);
    const txid = readTransaction(tx, 0, { txid: true }).tx.txid;
    mempool.set(txid, n);
    entered[n] = Math.floor(Date.now() / 1000);
    const body = Buffer.alloc(41);
    Buffer.from(txid, 'hex').copy(body, 0);
    body[32] = 0x41; // 'A'
    body.writeBigUInt64LE(++mempoolSeq, 33);
    await pub.send(['rawtx', tx, u32(seq)]);
    await pub.send(['sequence', body, u32(seq++)]);
  };
  process.on('message', async (m: { send?: number }) => {
    if (m.send === undefined) return;
    const target = sent + m.send;
    const started = performance.now();
    const from = sent;
    while (sent < target) {
      const due = Math.min(target, from + Math.floor(((performance.now() - started) / 1000) * RATE));
      while (sent < due) await send();
      await sleep(1);
    }
    process.send?.({ sent });
  });
  process.on('disconnect', () => process.exit(0));
  process.send?.({ ready: true, rpcPort: (server.address() as AddressInfo).port });
}

/** The node child, from this side: its RPC port and ZMQ endpoint, and the replay on request. */
interface NodeChild {
  rpcPort: number;
  endpoint: string;
  /** Replays `count` more transactions; resolves when they are sent. */
  send(count: number): Promise<void>;
  stop(): void;
}

/** Starts the node child (its blocks go to a file in `cache`) and waits until it is ready. */
async function startNode(cache: string): Promise<NodeChild> {
  const { freePort } = await import('../test/support/ports.ts');
  const endpoint = `tcp://127.0.0.1:${await freePort()}`;
  const child = fork(
    fileURLToPath(import.meta.url),
    ['--node', '--endpoint', endpoint, '--cache', cache, ...process.argv.slice(2)],
    { stdio: ['ignore', 'inherit', 'inherit', 'ipc'] },
  );
  const forget = onCleanup(() => child.kill('SIGKILL'));
  const messages: Record<string, unknown>[] = [];
  let wake: (() => void) | null = null;
  child.on('message', (m) => {
    messages.push(m as Record<string, unknown>);
    wake?.();
  });
  child.on('exit', (code, signal) => {
    messages.push({ exited: signal ?? code });
    wake?.();
  });
  const next = async () => {
    while (messages.length === 0) await new Promise<void>((resolve) => (wake = resolve));
    const m = messages.shift() as Record<string, unknown>;
    if ('exited' in m) throw new Error(`the bench's node process ended (${m.exited})`);
    return m;
  };
  const ready = await next();
  return {
    rpcPort: ready.rpcPort as number,
    endpoint,
    send: async (count) => {
      child.send({ send: count });
      await next();
    },
    stop: () => {
      child.kill();
      forget();
    },
  };
}

// ---- the service's side (this process) ----------------------------------------------------------

interface Step {
  name: string;
  steadyMB: number;
  heapUsedAfterGcMB: number;
  heapTotalMB: number;
  externalMB: number;
  rssAfterGcMB: number;
  residentMB: Record<string, number>;
}

const gc = (globalThis as { gc?: () => void }).gc;
let peak = 0;
const samples: number[] = [];
function sample(): void {
  const rss = process.memoryUsage.rss();
  peak = Math.max(peak, rss);
  samples.push(rss);
}

/** Resident memory by kind of mapping (Linux): the C heap ([heap]), anonymous maps, files. */
function residentByKind(smaps = '/proc/self/smaps'): Record<string, number> {
  const out: Record<string, number> = { cHeap: 0, anonymous: 0, files: 0 };
  if (!existsSync(smaps)) return out;
  let kind = 'anonymous';
  for (const line of readFileSync(smaps, 'utf8').split('\n')) {
    const head = /^[0-9a-f]+-[0-9a-f]+ \S+ \S+ \S+ \S+\s*(.*)$/.exec(line);
    if (head) {
      const name = head[1];
      kind = name === '[heap]' ? 'cHeap' : name === '' || name.startsWith('[') ? 'anonymous' : 'files';
      continue;
    }
    const rss = /^Rss:\s+(\d+) kB/.exec(line);
    if (rss) out[kind] += Number(rss[1]) / 1024;
  }
  return out;
}

/** The resident MB of the largest anonymous mappings (V8's spaces, glibc arenas, big buffers), largest first. */
function largestAnonymous(smaps: string, count: number): number[] {
  const sizes: number[] = [];
  if (!existsSync(smaps)) return sizes;
  let anonymous = false;
  for (const line of readFileSync(smaps, 'utf8').split('\n')) {
    const head = /^[0-9a-f]+-[0-9a-f]+ \S+ \S+ \S+ \S+\s*(.*)$/.exec(line);
    if (head) {
      anonymous = head[1] === '';
      continue;
    }
    const rss = /^Rss:\s+(\d+) kB/.exec(line);
    if (rss && anonymous) sizes.push(Number(rss[1]) / 1024);
  }
  return sizes.sort((a, b) => b - a).slice(0, count);
}

/** Steady RSS: the median of STEADY_SECONDS of samples while the service runs; then the heap after GC. */
async function measure(name: string): Promise<Step> {
  samples.length = 0;
  await sleep(STEADY_SECONDS * 1000);
  const sorted = [...samples].sort((a, b) => a - b);
  const steady = sorted[Math.floor(sorted.length / 2)];
  gc?.();
  const m = process.memoryUsage();
  const step = {
    name,
    steadyMB: steady / MB,
    heapUsedAfterGcMB: m.heapUsed / MB,
    heapTotalMB: m.heapTotal / MB,
    externalMB: m.external / MB,
    rssAfterGcMB: m.rss / MB,
    residentMB: residentByKind(),
  };
  const f = (n: number) => n.toFixed(0);
  console.log(
    `  ${name}: RSS ${f(step.steadyMB)} MB steady (${f(step.rssAfterGcMB)} MB after GC; heap ${f(step.heapUsedAfterGcMB)} MB used of ${f(step.heapTotalMB)} MB, external ${f(step.externalMB)} MB; resident: C heap ${f(step.residentMB.cHeap)} MB, anonymous maps ${f(step.residentMB.anonymous)} MB, files ${f(step.residentMB.files)} MB)`,
  );
  return step;
}

async function nodePath(heapFlags: string[]): Promise<Record<string, unknown>> {
  const { Orchestrator } = await import('../src/live/orchestrator.ts');
  const { BlockSource } = await import('../src/node/block-source.ts');
  const { BlockWindowPrice } = await import('../src/node/block-window-price.ts');
  const { MempoolSync } = await import('../src/node/mempool-sync.ts');
  const { RpcClient } = await import('../src/node/rpc-client.ts');
  const { ZmqListener } = await import('../src/node/zmq-listener.ts');
  const cache = tempDir();
  const node = await startNode(cache.path);
  const endpoint = node.endpoint;

  // The service: the live window (3 hours: nothing ages out during the run) and the block window.
  const windowSeconds = 3 * 3600;
  const orchestrator = new Orchestrator({ source: 'node', windowSeconds });
  const rpc = new RpcClient({
    host: '127.0.0.1',
    port: node.rpcPort,
    timeoutMs: 30_000,
    credentials: async () => ({ user: RPC_USER, password: RPC_PASSWORD }),
  });
  const blocks = new BlockSource(rpc);
  const sync = new MempoolSync({
    rpc,
    blocks,
    endpoints: { rawtx: endpoint, sequence: endpoint },
    sink: orchestrator,
    now: () => Date.now() / 1000,
    windowSeconds,
    resyncOnLoss: false,
  });
  const prune = setInterval(() => sync.tracker.prune(), 1000);
  const blockWindow = new BlockWindowPrice(blocks, {
    onPrice: (price, estimate) =>
      orchestrator.setBlockWindowPrice(price, estimate.ok ? estimate.confidence : 0),
  });
  const listener = new ZmqListener(
    { rawtx: endpoint, sequence: endpoint },
    { message: (m) => sync.handleMessage(m), gap: () => {}, connection: () => {} },
  );
  listener.start();
  while (!listener.connected) await sleep(10);
  await orchestrator.start();
  console.log(
    `memory: node path (Node ${process.version}; memory settings: ${heapFlags.join(' ') || 'defaults'})`,
  );
  const steps: Step[] = [];
  steps.push(await measure('empty service'));

  const fillStarted = performance.now();
  await blockWindow.refresh();
  const fillSeconds = (performance.now() - fillStarted) / 1000;
  const stats = blockWindow.stats;
  console.log(
    `  144-block window: ${stats.blocks} blocks, ${grouped(stats.transactions)} transactions, ${grouped(stats.candidateOutputs)} candidate outputs, ${(stats.bytes / MB).toFixed(1)} MB of arrays, filled in ${fillSeconds.toFixed(1)} s, price ${blockWindow.price?.toFixed(2) ?? 'none'}`,
  );
  steps.push(await measure('+ 144-block window'));

  const live = async (target: number) => {
    await node.send(target - orchestrator.health().windowSize);
    // Drained: the window stops growing.
    let last = -1;
    while (orchestrator.health().windowSize !== last) {
      last = orchestrator.health().windowSize;
      await sleep(1000);
    }
  };
  await live(LIVE_TXS);
  const liveSize = orchestrator.health().windowSize;
  const startupPeak = peak;
  const mainnet = await measure(`+ live window of ${grouped(liveSize)} transactions`);
  steps.push(mainnet);
  await live(CONGESTED_TXS);
  const congestedSize = orchestrator.health().windowSize;
  const congested = await measure(`congested: live window of ${grouped(congestedSize)} transactions`);
  steps.push(congested);

  clearInterval(prune);
  await orchestrator.stop();
  await listener.close();
  rpc.close();
  node.stop();
  cache.remove();

  const empty = steps[0].steadyMB;
  const shares = {
    emptyServiceMB: empty,
    blockWindowMB: steps[1].steadyMB - empty,
    liveWindowMB: mainnet.steadyMB - steps[1].steadyMB,
  };
  const ratio = startupPeak / MB / mainnet.steadyMB;
  const f = (n: number) => n.toFixed(0);
  console.log(
    `  shares of the ${f(mainnet.steadyMB)} MB: empty service ${f(shares.emptyServiceMB)} MB, 144-block window ${f(shares.blockWindowMB)} MB, live window ${f(shares.liveWindowMB)} MB`,
  );
  const checks = printChecks([
    atMost('steady RSS at mainnet size', mainnet.steadyMB, TARGET_STEADY_MB),
    atMost(`RSS with ${grouped(congestedSize)} transactions`, congested.steadyMB, TARGET_CONGESTED_MB),
    atMost('start-up peak / steady', ratio, TARGET_PEAK_RATIO, ''),
  ]);
  return {
    mode: 'node',
    heapFlags,
    steps,
    shares,
    blockWindow: { ...stats, fillSeconds },
    liveWindowTransactions: liveSize,
    congestedWindowTransactions: congestedSize,
    startupPeakMB: startupPeak / MB,
    peakToSteady: ratio,
    checks,
  };
}

async function demo(heapFlags: string[]): Promise<Record<string, unknown>> {
  const { createDemoFeed } = await import('../src/sim/demo-feed.ts');
  console.log(
    `memory: demo (Node ${process.version}; memory settings: ${heapFlags.join(' ') || 'defaults'})`,
  );
  const empty = await measure('empty service');
  const feed = createDemoFeed({});
  const started = performance.now();
  await feed.start();
  // As serve does after its start (src/commands/serve.ts).
  const { memory } = await import('../src/runtime/memory-policy.ts');
  memory.afterFill();
  const fillSeconds = (performance.now() - started) / 1000;
  const size = feed.health().windowSize;
  const startupPeak = peak;
  const steady = await measure(
    `demo running, window of ${grouped(size)} (pre-fill ${fillSeconds.toFixed(1)} s)`,
  );
  // Longer: does it stay there?
  const later = await measure('10 s later');
  await feed.stop();
  const ratio = startupPeak / MB / steady.steadyMB;
  const checks = printChecks([
    atMost('demo steady RSS', later.steadyMB, TARGET_STEADY_MB),
    atMost('start-up peak / steady', ratio, TARGET_PEAK_RATIO, ''),
  ]);
  return {
    mode: 'demo',
    heapFlags,
    steps: [empty, steady, later],
    windowSize: size,
    startupPeakMB: startupPeak / MB,
    peakToSteady: ratio,
    checks,
  };
}

// ---- the whole `chainprice serve` process (a child of this one) ---------------------------------

/** A start-up (block window, history build, demo pre-fill) that takes longer than this has failed. */
const SERVE_START_TIMEOUT_MS = 15 * 60_000;
/** serve gets this long to stop on SIGTERM before it is killed. */
const SERVE_STOP_TIMEOUT_MS = 30_000;
const NODE_SH = fileURLToPath(new URL('../scripts/node.sh', import.meta.url));
const REPO = fileURLToPath(new URL('../', import.meta.url));

/** `chainprice serve` as a user starts it: `sh scripts/node.sh src/cli.ts serve ARGS…`, its output read line by line. */
class ServeProcess {
  readonly pid: number;
  readonly command: string;
  /** Why it ended ("code 0", "signal SIGKILL", a spawn error), or null while it runs. */
  ended: string | null = null;
  private readonly child: ChildProcess;
  private readonly started = performance.now();
  private readonly lines: { at: number; text: string }[] = [];
  private readonly exited: Promise<void>;
  private readonly forget: () => void;

  constructor(args: string[]) {
    // The user's environment, less chainprice's own variables: a token, another node or
    // CHAINPRICE_V8_DEFAULTS would change what is measured. No memory flags: serve applies its own.
    const env = { ...process.env };
    for (const key of Object.keys(env)) if (key.startsWith('CHAINPRICE_')) delete env[key];
    this.command = `chainprice serve ${args.join(' ')}`;
    this.child = spawn('sh', [NODE_SH, 'src/cli.ts', 'serve', ...args], {
      cwd: REPO,
      env,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    this.exited = new Promise((resolve) => {
      this.child.on('error', (error) => {
        this.ended ??= error.message;
        resolve();
      });
      this.child.on('exit', (code, signal) => {
        this.ended = signal !== null ? `signal ${signal}` : `code ${code}`;
        resolve();
      });
    });
    if (this.child.pid === undefined) throw new Error(`cannot start sh ${NODE_SH} (${this.command})`);
    // scripts/node.sh execs node, and serve restarts itself with process.execve: the pid stays.
    this.pid = this.child.pid;
    for (const output of [this.child.stdout, this.child.stderr]) {
      let rest = '';
      output?.setEncoding('utf8');
      output?.on('data', (chunk: string) => {
        const parts = (rest + chunk).split('\n');
        rest = parts.pop() ?? '';
        for (const text of parts) this.lines.push({ at: this.seconds(), text });
      });
    }
    this.forget = onCleanup(() => {
      if (this.ended === null) this.child.kill('SIGKILL');
    });
  }

  /** Seconds since the process was started. */
  seconds(): number {
    return (performance.now() - this.started) / 1000;
  }

  /** The first line of its output matching `pattern`, with when it came (seconds after the start). */
  line(pattern: RegExp): { match: RegExpExecArray; at: number } | null {
    for (const { at, text } of this.lines) {
      const match = pattern.exec(text);
      if (match) return { match, at };
    }
    return null;
  }

  /** Lines matching `pattern`, each with when it came. */
  matching(pattern: RegExp): string[] {
    return this.lines.filter((l) => pattern.test(l.text)).map((l) => `[${l.at.toFixed(1)} s] ${l.text}`);
  }

  /** Its last lines of output, for a message. */
  tail(count = 12): string {
    return this.lines
      .slice(-count)
      .map((l) => `    ${l.text}`)
      .join('\n');
  }

  /** Polls `check` until it gives a value; fails when serve ends or `timeoutMs` passes. */
  async until<T>(what: string, check: () => T | null | Promise<T | null>, timeoutMs: number): Promise<T> {
    const deadline = performance.now() + timeoutMs;
    for (;;) {
      if (this.ended !== null)
        throw new Error(
          `${this.command} ended (${this.ended}) while waiting for ${what}; its last lines:\n${this.tail()}`,
        );
      const value = await check();
      if (value !== null) return value;
      if (performance.now() > deadline)
        throw new Error(
          `${what}: not after ${timeoutMs / 1000} s of ${this.command}; its last lines:\n${this.tail()}`,
        );
      await sleep(250);
    }
  }

  /** SIGTERM (serve closes its clients and stops), then SIGKILL if it has not ended in time. Why it ended. */
  async stop(): Promise<string> {
    if (this.ended === null) {
      this.child.kill('SIGTERM');
      const timer = setTimeout(() => this.child.kill('SIGKILL'), SERVE_STOP_TIMEOUT_MS);
      await this.exited;
      clearTimeout(timer);
    }
    this.forget();
    return this.ended as string;
  }
}

/** Another process's resident memory, sampled every 50 ms from /proc/PID/status (VmRSS). */
class RssWatch {
  peak = 0;
  /** When the peak was sampled, seconds after the start. */
  peakAt = 0;
  /** Resident memory by kind near the peak (read at most every 250 ms as the peak rises), MB. */
  peakResident: Record<string, number> = {};
  /** Near the peak: the resident MB of the largest anonymous mappings. */
  peakLargest: number[] = [];
  private peakReadAt = Number.NEGATIVE_INFINITY;

  /** Where the peak's memory was, as a line. */
  peakSummary(): string {
    const r = this.peakResident;
    const f = (n: number | undefined) => (n ?? 0).toFixed(0);
    return `resident near the peak: C heap ${f(r.cHeap)} MB, anonymous maps ${f(r.anonymous)} MB (largest ${this.peakLargest.map(f).join(', ')}), files ${f(r.files)} MB`;
  }
  /** The samples since `restart()`, bytes. */
  readonly samples: number[] = [];
  /** The highest sample of each second since the start, MB. */
  readonly perSecondMB: number[] = [];
  private readonly pid: number;
  private readonly started = performance.now();
  private readonly timer: NodeJS.Timeout;

  constructor(pid: number) {
    this.pid = pid;
    this.timer = setInterval(() => this.sample(), 50);
  }

  /** A field of /proc/PID/status in bytes (VmRSS, VmHWM), or null when the process is gone. */
  status(field: string): number | null {
    let text: string;
    try {
      text = readFileSync(`/proc/${this.pid}/status`, 'utf8');
    } catch {
      return null;
    }
    const match = new RegExp(`^${field}:\\s+(\\d+) kB`, 'm').exec(text);
    return match ? Number(match[1]) * 1024 : null;
  }

  restart(): void {
    this.samples.length = 0;
  }

  stop(): void {
    clearInterval(this.timer);
  }

  private sample(): void {
    const rss = this.status('VmRSS');
    if (rss === null) return;
    const at = (performance.now() - this.started) / 1000;
    if (rss > this.peak) {
      this.peak = rss;
      this.peakAt = at;
      if (at - this.peakReadAt > 0.25) {
        this.peakReadAt = at;
        this.peakResident = residentByKind(`/proc/${this.pid}/smaps`);
        this.peakLargest = largestAnonymous(`/proc/${this.pid}/smaps`, 5);
      }
    }
    this.samples.push(rss);
    const second = Math.floor(at);
    this.perSecondMB[second] = Math.max(this.perSecondMB[second] ?? 0, Math.round(rss / MB));
  }
}

/** The samples of /metrics without labels (the first of each name), by name. */
async function scrape(base: string): Promise<Map<string, number>> {
  const response = await fetch(`${base}metrics`);
  const out = new Map<string, number>();
  for (const line of (await response.text()).split('\n')) {
    const match = /^([A-Za-z_:][\w:]*) (\S+)/.exec(line);
    if (match && !out.has(match[1])) out.set(match[1], Number(match[2]));
  }
  return out;
}

/** One WebSocket client on the stream for the whole run, like a browser tab: every message read and parsed. */
class StreamClient {
  messages = 0;
  snapshots = 0;
  bytes = 0;
  closed: string | null = null;
  private readonly socket: WebSocket;

  private constructor(socket: WebSocket) {
    this.socket = socket;
    socket.addEventListener('message', (event) => {
      const text = String(event.data);
      this.bytes += Buffer.byteLength(text);
      this.messages++;
      if ((JSON.parse(text) as { type: string }).type === 'snapshot') this.snapshots++;
    });
    socket.addEventListener('close', (event) => {
      this.closed ??= `closed by the server (${event.code}${event.reason ? ` ${event.reason}` : ''})`;
    });
  }

  static open(url: string): Promise<StreamClient> {
    return new Promise((resolve, reject) => {
      const socket = new WebSocket(url);
      socket.addEventListener('open', () => resolve(new StreamClient(socket)), { once: true });
      socket.addEventListener('error', () => reject(new Error(`cannot open the stream ${url}`)), {
        once: true,
      });
    });
  }

  /** What this client saw, for the report. */
  summary(): string {
    return `${grouped(this.messages)} messages (${this.snapshots} snapshot${this.snapshots === 1 ? '' : 's'}), ${(this.bytes / MB).toFixed(1)} MB read${this.closed ? `; ${this.closed}` : ''}`;
  }

  close(): void {
    this.closed ??= 'closed by the bench';
    this.socket.close();
  }
}

/** The memory settings serve runs with after its restart: its Node flags, and glibc's from its environment. */
function appliedSettings(pid: number): string {
  try {
    const argv = readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0');
    const flags = argv.slice(
      1,
      argv.findIndex((a, i) => i > 0 && !a.startsWith('-')),
    );
    const env = readFileSync(`/proc/${pid}/environ`, 'utf8').split('\0');
    const malloc = env.filter((e) => e.startsWith('MALLOC_'));
    const restarted = env.includes('CHAINPRICE_MEMORY_SETTINGS=1');
    return `${[...flags, ...malloc].join(' ') || 'defaults'}${restarted ? ", from serve's restart in place" : ' (serve did not restart itself)'}`;
  } catch {
    return 'unknown';
  }
}

interface ServeStep {
  name: string;
  steadyMB: number;
  /** The kernel's high-water mark of the process's RSS so far (since serve's restart), MB. */
  highWaterMB: number;
  /** The service's own figures from its /metrics at the end of the step. */
  service: Record<string, number>;
  residentMB: Record<string, number>;
}

/** Steady RSS of the serve process: the median of STEADY_SECONDS of samples; then its /metrics and its smaps. */
async function measureServe(
  name: string,
  serve: ServeProcess,
  watch: RssWatch,
  base: string,
): Promise<ServeStep> {
  watch.restart();
  await sleep(STEADY_SECONDS * 1000);
  if (serve.ended !== null)
    throw new Error(`${serve.command} ended (${serve.ended}); its last lines:\n${serve.tail()}`);
  const sorted = [...watch.samples].sort((a, b) => a - b);
  const steady = sorted[Math.floor(sorted.length / 2)];
  const metrics = await scrape(base);
  const figure = (name: string) => (metrics.get(name) ?? Number.NaN) / MB;
  const step: ServeStep = {
    name,
    steadyMB: steady / MB,
    highWaterMB: (watch.status('VmHWM') ?? Number.NaN) / MB,
    service: {
      rssMB: figure('process_resident_memory_bytes'),
      heapUsedMB: figure('nodejs_heap_size_used_bytes'),
      heapTotalMB: figure('nodejs_heap_size_total_bytes'),
      externalMB: figure('nodejs_external_memory_bytes'),
      windowSize: metrics.get('chainprice_window_size') ?? Number.NaN,
      blockWindowBlocks: metrics.get('chainprice_block_window_blocks') ?? Number.NaN,
      blockWindowMB: figure('chainprice_block_window_bytes'),
      wsClients: metrics.get('chainprice_ws_clients') ?? Number.NaN,
    },
    residentMB: residentByKind(`/proc/${serve.pid}/smaps`),
  };
  const f = (n: number) => n.toFixed(0);
  console.log(
    `  ${name}: RSS ${f(step.steadyMB)} MB steady (its /metrics: heap ${f(step.service.heapUsedMB)} MB used of ${f(step.service.heapTotalMB)} MB, external ${f(step.service.externalMB)} MB; resident: C heap ${f(step.residentMB.cHeap)} MB, anonymous maps ${f(step.residentMB.anonymous)} MB, files ${f(step.residentMB.files)} MB)`,
  );
  return step;
}

/** A fresh temporary directory, removed by `remove()` or, at the latest, when this process exits. */
function tempDir(): { path: string; remove: () => void } {
  const path = mkdtempSync(join(tmpdir(), 'chainprice-memory-'));
  const remove = () => rmSync(path, { recursive: true, force: true });
  const forget = onCleanup(remove);
  return {
    path,
    remove: () => {
      remove();
      forget();
    },
  };
}

/** `chainprice serve` against the bench's node: the whole process at mainnet size. */
async function serveNode(): Promise<Record<string, unknown>> {
  const { freePort } = await import('../test/support/ports.ts');
  const blockCount = BLOCK_COUNT;
  const windowBlocks = Math.min(blockCount, 144);
  const dir = tempDir();
  let node: NodeChild | null = null;
  let serve: ServeProcess | null = null;
  let watch: RssWatch | null = null;
  let stream: StreamClient | null = null;
  try {
    for (const sub of ['chain', 'bitcoin', 'chainprice']) mkdirSync(join(dir.path, sub));
    node = await startNode(join(dir.path, 'chain'));
    const port = await freePort();
    // --datadir: an empty one, so no bitcoin.conf of this machine is read and the history build
    // finds no block files (the bench's node has none): it reads the blocks over RPC.
    serve = new ServeProcess([
      '--mainnet',
      '--rpc-host',
      '127.0.0.1',
      '--rpc-port',
      String(node.rpcPort),
      '--rpc-user',
      RPC_USER,
      '--rpc-password',
      RPC_PASSWORD,
      '--zmq-rawtx',
      node.endpoint,
      '--zmq-sequence',
      node.endpoint,
      '--datadir',
      join(dir.path, 'bitcoin'),
      '--data-dir',
      join(dir.path, 'chainprice'),
      '--port',
      String(port),
    ]);
    const proc = serve;
    watch = new RssWatch(proc.pid);
    const listening = await proc.until(
      'serve to listen',
      () => proc.line(/serving the node price on (http:\S+?)(?:\?|\s|$)/),
      SERVE_START_TIMEOUT_MS,
    );
    const base = listening.match[1];
    stream = await StreamClient.open(`ws://127.0.0.1:${port}/ws/mempool`);
    const settings = appliedSettings(proc.pid);
    console.log(
      `memory: chainprice serve, the whole process, with the bench's node (Node ${process.version}; pid ${proc.pid}; memory settings: ${settings})`,
    );
    console.log(`  ${proc.command}`);

    // Started: the 144-block window full (its price said, after the fill's clean-up) and the
    // history's first build (the last 30 days) done.
    const priced = /the last \d+ blocks (?:price bitcoin at \$([\d.]+)|give no price)/;
    const blocksFull = async () => {
      const metrics = await scrape(base);
      const full = (metrics.get('chainprice_block_window_blocks') ?? 0) >= windowBlocks;
      return full && proc.line(priced) !== null ? metrics : null;
    };
    await proc.until(`the ${windowBlocks}-block window`, blocksFull, SERVE_START_TIMEOUT_MS);
    const history = await proc.until(
      "the chain history's first build",
      () => {
        const failed = proc.line(
          /chain history: .*\(will try again at the next block\)|chain price history stopped/,
        );
        if (failed) throw new Error(`serve's history build failed: ${failed.match[0]}`);
        return proc.line(/chain history: (\d+) recent days current \((.*)\) in ([\d.]+) s/);
      },
      SERVE_START_TIMEOUT_MS,
    );
    const windowPriced = proc.line(priced);
    const metrics = (await blocksFull()) as Map<string, number>;
    const startup = {
      listeningSeconds: listening.at,
      blockWindowSeconds: windowPriced?.at ?? null,
      historySeconds: history.at,
      historyBuildSeconds: Number(history.match[3]),
      historyDays: Number(history.match[1]),
      history: history.match[2],
      blockWindowPrice: windowPriced?.match[1] ? Number(windowPriced.match[1]) : null,
    };
    console.log(
      `  start: listening after ${startup.listeningSeconds.toFixed(1)} s; ${windowBlocks}-block window (${grouped(metrics.get('chainprice_block_window_transactions') ?? 0)} transactions, ${((metrics.get('chainprice_block_window_bytes') ?? 0) / MB).toFixed(1)} MB of arrays, price ${startup.blockWindowPrice?.toFixed(2) ?? 'none'}) after ${startup.blockWindowSeconds?.toFixed(1) ?? '?'} s; history of the last 30 days (${startup.historyDays} day${startup.historyDays === 1 ? '' : 's'}: ${startup.history}) after ${startup.historySeconds.toFixed(1)} s`,
    );
    const steps: ServeStep[] = [];
    steps.push(
      await measureServe(
        `serve started: ${windowBlocks}-block window filled, history built`,
        proc,
        watch,
        base,
      ),
    );
    // The start's garbage (the history build's blocks) may wait for V8's memory reducer, which
    // collects about 8 s after the last full GC when the process is idle: measure again.
    const settled = await measureServe('10 s later', proc, watch, base);
    steps.push(settled);
    console.log(
      `  RSS each second since serve was started (MB, highest sample): ${watch.perSecondMB.join(' ')}`,
    );

    const windowSize = async () => (await scrape(base)).get('chainprice_window_size') ?? 0;
    const nodeChild = node;
    const live = async (target: number) => {
      await nodeChild.send(target - (await windowSize()));
      // Drained: the window stops growing.
      let last = -1;
      for (let size = await windowSize(); size !== last; size = await windowSize()) {
        last = size;
        await sleep(1000);
      }
    };
    await live(LIVE_TXS);
    const liveSize = await windowSize();
    const startupPeak = watch.peak;
    const startupPeakAt = watch.peakAt;
    const startupPeakSummary = watch.peakSummary();
    const startupHighWater = watch.status('VmHWM') ?? Number.NaN;
    const mainnet = await measureServe(
      `+ live window of ${grouped(liveSize)} transactions`,
      proc,
      watch,
      base,
    );
    steps.push(mainnet);
    await live(CONGESTED_TXS);
    const congestedSize = await windowSize();
    const congested = await measureServe(
      `congested: live window of ${grouped(congestedSize)} transactions`,
      proc,
      watch,
      base,
    );
    steps.push(congested);
    const final = await scrape(base);

    const f = (n: number) => n.toFixed(0);
    const shares = {
      startedMB: settled.steadyMB,
      liveWindowMB: mainnet.steadyMB - settled.steadyMB,
    };
    console.log(
      `  shares of the ${f(mainnet.steadyMB)} MB: serve started (server, 144-block window, history) ${f(shares.startedMB)} MB, live window ${f(shares.liveWindowMB)} MB`,
    );
    console.log(
      `  start-up peak ${f(startupPeak / MB)} MB, ${startupPeakAt.toFixed(1)} s after the start (sampled every 50 ms; the kernel's high-water mark: ${f(startupHighWater / MB)} MB)`,
    );
    console.log(`  ${startupPeakSummary}`);
    console.log(`  stream: one client read ${stream.summary()}`);
    const gaps = final.get('chainprice_zmq_gaps_total') ?? 0;
    const resyncs = final.get('chainprice_feed_resyncs') ?? 0;
    if (gaps > 0 || resyncs > 1)
      console.log(
        `  note: serve counted ${gaps} ZMQ gaps and ${resyncs} resyncs with the node during the replay`,
      );
    for (const line of proc.matching(/could not|failed|stopped|lost|error/i))
      console.log(`  serve said: ${line}`);

    const ratio = startupPeak / MB / mainnet.steadyMB;
    const checks = printChecks([
      atMost('whole serve process: steady RSS at mainnet size', mainnet.steadyMB, TARGET_STEADY_MB),
      atMost(
        `whole serve process: RSS with ${grouped(congestedSize)} transactions`,
        congested.steadyMB,
        TARGET_CONGESTED_MB,
      ),
      atMost('whole serve process: start-up peak / steady', ratio, TARGET_PEAK_RATIO, ''),
    ]);
    stream.close();
    const ended = await proc.stop();
    console.log(`  stopped with SIGTERM: ${ended === 'code 0' ? 'exited cleanly' : `ended with ${ended}`}`);
    return {
      mode: 'serve',
      command: proc.command,
      memorySettings: settings,
      steps,
      shares,
      startup,
      liveWindowTransactions: liveSize,
      congestedWindowTransactions: congestedSize,
      startupPeakMB: startupPeak / MB,
      startupPeakSeconds: startupPeakAt,
      startupHighWaterMB: startupHighWater / MB,
      peakToSteady: ratio,
      stream: {
        messages: stream.messages,
        snapshots: stream.snapshots,
        bytes: stream.bytes,
        closed: stream.closed,
      },
      zmqGaps: gaps,
      resyncs,
      exit: ended,
      rssPerSecondMB: watch.perSecondMB,
      checks,
    };
  } finally {
    watch?.stop();
    stream?.close();
    await serve?.stop();
    node?.stop();
    dir.remove();
  }
}

/** `chainprice serve --demo`: the whole process, with its 60-day demo history and its 3-hour pre-fill. */
async function serveDemo(): Promise<Record<string, unknown>> {
  const { freePort } = await import('../test/support/ports.ts');
  const dir = tempDir();
  let serve: ServeProcess | null = null;
  let watch: RssWatch | null = null;
  let stream: StreamClient | null = null;
  try {
    const port = await freePort();
    serve = new ServeProcess(['--demo', '--data-dir', dir.path, '--port', String(port)]);
    const proc = serve;
    watch = new RssWatch(proc.pid);
    const listening = await proc.until(
      'serve --demo to listen',
      () => proc.line(/serving the demo price on (http:\S+?)(?:\?|\s|$)/),
      SERVE_START_TIMEOUT_MS,
    );
    const base = listening.match[1];
    stream = await StreamClient.open(`ws://127.0.0.1:${port}/ws/mempool`);
    const settings = appliedSettings(proc.pid);
    console.log(
      `memory: chainprice serve --demo, the whole process (Node ${process.version}; pid ${proc.pid}; memory settings: ${settings})`,
    );
    console.log(`  ${proc.command}`);
    // Started: the pre-fill done and the demo history simulated.
    const prefill = await proc.until(
      'the demo pre-fill',
      () => proc.line(/demo: (\d+) transactions and (\d+) blocks in ([\d.]+) s/),
      SERVE_START_TIMEOUT_MS,
    );
    const history = await proc.until(
      'the demo history',
      () => proc.line(/demo: simulated (\d+) days of history \((.*)\) in ([\d.]+) s/),
      SERVE_START_TIMEOUT_MS,
    );
    const startup = {
      listeningSeconds: listening.at,
      prefillSeconds: prefill.at,
      prefillTransactions: Number(prefill.match[1]),
      historySeconds: history.at,
      historyDays: Number(history.match[1]),
      history: history.match[2],
    };
    console.log(
      `  start: listening after ${startup.listeningSeconds.toFixed(1)} s; pre-fill (${grouped(startup.prefillTransactions)} transactions) after ${startup.prefillSeconds.toFixed(1)} s; demo history (${startup.historyDays} days: ${startup.history}) after ${startup.historySeconds.toFixed(1)} s`,
    );
    const size = (await scrape(base)).get('chainprice_window_size') ?? 0;
    const startupPeak = watch.peak;
    const startupPeakAt = watch.peakAt;
    const startupPeakSummary = watch.peakSummary();
    const startupHighWater = watch.status('VmHWM') ?? Number.NaN;
    const steady = await measureServe(`demo running, window of ${grouped(size)}`, proc, watch, base);
    // Longer: does it stay there?
    const later = await measureServe('10 s later', proc, watch, base);
    console.log(
      `  RSS each second since serve was started (MB, highest sample): ${watch.perSecondMB.join(' ')}`,
    );
    const f = (n: number) => n.toFixed(0);
    console.log(
      `  start-up peak ${f(startupPeak / MB)} MB, ${startupPeakAt.toFixed(1)} s after the start (sampled every 50 ms; the kernel's high-water mark: ${f(startupHighWater / MB)} MB)`,
    );
    console.log(`  ${startupPeakSummary}`);
    console.log(`  stream: one client read ${stream.summary()}`);
    for (const line of proc.matching(/could not|failed|stopped|lost|error/i))
      console.log(`  serve said: ${line}`);
    const ratio = startupPeak / MB / steady.steadyMB;
    const checks = printChecks([
      atMost('whole serve --demo process: steady RSS', later.steadyMB, TARGET_STEADY_MB),
      atMost('whole serve --demo process: start-up peak / steady', ratio, TARGET_PEAK_RATIO, ''),
    ]);
    stream.close();
    const ended = await proc.stop();
    console.log(`  stopped with SIGTERM: ${ended === 'code 0' ? 'exited cleanly' : `ended with ${ended}`}`);
    return {
      mode: 'serve demo',
      command: proc.command,
      memorySettings: settings,
      steps: [steady, later],
      startup,
      windowSize: size,
      startupPeakMB: startupPeak / MB,
      startupPeakSeconds: startupPeakAt,
      startupHighWaterMB: startupHighWater / MB,
      peakToSteady: ratio,
      stream: {
        messages: stream.messages,
        snapshots: stream.snapshots,
        bytes: stream.bytes,
        closed: stream.closed,
      },
      exit: ended,
      rssPerSecondMB: watch.perSecondMB,
      checks,
    };
  } finally {
    watch?.stop();
    stream?.close();
    await serve?.stop();
    dir.remove();
  }
}

/** The runs in the service's own code in a child process: the node path, then the demo, each with serve's settings and with Node's and glibc's defaults. */
async function inProcessRuns(): Promise<{ results: Record<string, unknown>[]; failed: boolean }> {
  const results: Record<string, unknown>[] = [];
  let failed = false;
  const { SERVE_MALLOC_ENV, SERVE_NODE_FLAGS } = await import('../src/runtime/heap-settings.ts');
  for (const mode of [[], ['--demo']])
    for (const v8Defaults of [false, true]) {
      // As `chainprice serve` runs (its memory settings), then with Node's and glibc's defaults.
      const flags = v8Defaults ? [] : [...SERVE_NODE_FLAGS];
      const env = v8Defaults
        ? { ...process.env, CHAINPRICE_V8_DEFAULTS: '1' }
        : { ...SERVE_MALLOC_ENV, ...process.env };
      const args = [...flags, '--expose-gc', fileURLToPath(import.meta.url), '--one', ...mode];
      const run = spawnSync(process.execPath, args, {
        stdio: ['ignore', 'pipe', 'inherit'],
        encoding: 'utf8',
        env,
      });
      const out = run.stdout;
      const json = out.slice(out.indexOf('\n@@') + 3);
      process.stdout.write(out.slice(0, out.indexOf('\n@@') + 1));
      const result = JSON.parse(json);
      results.push(result);
      if (!v8Defaults && result.checks.some((c: { pass: boolean }) => !c.pass)) failed = true;
    }
  return { results, failed };
}

async function main(): Promise<void> {
  if (!existsSync(BLOCKS_DIR)) {
    console.log(`memory: skipped, no real blocks at ${BLOCKS_DIR}`);
    return;
  }
  // Each in-process measurement in a fresh process (a heap is never measured after another's
  // garbage), then the whole `chainprice serve` process, with the node and with --demo.
  if (!ARGS.one) {
    const serveOnly = ARGS.serve === true;
    let results: Record<string, unknown>[] = [];
    let failed = false;
    if (serveOnly && existsSync(`${RESULTS}memory.json`)) {
      // Only the whole-process figures are new: the in-process ones of the last full run are kept.
      try {
        const previous = JSON.parse(readFileSync(`${RESULTS}memory.json`, 'utf8')) as Record<
          string,
          unknown
        >[];
        results = previous.filter((r) => !String(r.mode).startsWith('serve'));
      } catch {
        results = [];
      }
    }
    if (!serveOnly) ({ results, failed } = await inProcessRuns());
    if (!existsSync('/proc/self/smaps')) {
      console.log('memory: the whole serve process not measured: it is read from /proc (Linux only)');
    } else {
      for (const [what, run] of [
        ['serve', serveNode],
        ['serve demo', serveDemo],
      ] as const) {
        try {
          const result = await run();
          console.log('');
          results.push(result);
          if ((result.checks as { pass: boolean }[]).some((c) => !c.pass)) failed = true;
        } catch (error) {
          const message = error instanceof Error ? error.message : String(error);
          console.log(
            `memory: chainprice ${what === 'serve' ? 'serve' : 'serve --demo'} could not be measured: ${message}`,
          );
          results.push({ mode: what, error: message });
          failed = true;
        }
      }
    }
    mkdirSync(RESULTS, { recursive: true });
    writeFileSync(`${RESULTS}memory.json`, `${JSON.stringify(results, null, 2)}\n`);
    console.log(
      `wrote bench/results/memory.json (targets apply to the whole serve process and to the in-process runs with the serve heap settings)`,
    );
    process.exitCode = failed ? 1 : 0;
    return;
  }
  const sampler = setInterval(sample, 50);
  // The settings this process was started with (the parent passes serve's, or none).
  const heapFlags = [
    ...process.execArgv.filter((a) => a !== '--expose-gc'),
    ...['MALLOC_ARENA_MAX', 'MALLOC_MMAP_THRESHOLD_']
      .filter((k) => process.env[k] !== undefined)
      .map((k) => `${k}=${process.env[k]}`),
  ];
  const result = ARGS.demo ? await demo(heapFlags) : await nodePath(heapFlags);
  clearInterval(sampler);
  result.v8HeapSpaces = v8.getHeapSpaceStatistics().map((s) => ({
    space: s.space_name,
    sizeMB: s.space_size / MB,
    usedMB: s.space_used_size / MB,
  }));
  console.log(`\n@@${JSON.stringify(result)}`);
  process.exit(0);
}

if (ARGS.node) await node();
else {
  // Whatever ends this process (an error, Ctrl-C) ends its children and removes its temporary files.
  process.on('exit', cleanUp);
  for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const)
    process.on(signal, () => {
      cleanUp();
      process.exit(130);
    });
  await main();
}
