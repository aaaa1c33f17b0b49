// Memory benchmark: the resident memory of the node-path service at mainnet size, and of the demo.
// A child process plays the node, as in bench/ingest.ts: it replays the real mainnet transactions
// of ../shared/data/real/blocks over ZMQ in the node's message format (rawtx + sequence "A"), and
// answers JSON-RPC (getblockcount, getblockhash, getblock) for a chain of 144 mainnet-sized blocks
// made of those real transactions (about 3,470 a block, 500,000 in all: each pass over the dev
// blocks after the first changes the locktime, so every txid is new, and re-points the inputs that
// spent a transaction of the dev blocks at its new txid, so chained spends stay chained). This
// process runs the service's own code: ZmqListener → MempoolSync → Orchestrator (the live window,
// estimated every 500 ms) and BlockWindowPrice over a BlockSource on the RPC (the 144-block
// window), with the memory settings `chainprice serve` runs with (src/commands/heap-settings.ts),
// and again with Node's and glibc's defaults, each measurement in a fresh process.
// Steps, with RSS sampled every 50 ms: empty service; 144-block window filled; live window of
// 50,000 transactions (≈ 3 hours of mainnet); then 300,000 (a congested mempool). At each step the
// steady RSS (median over 10 s of the service running) and the heap after a forced GC.
// `--demo` measures `serve --demo` instead (its 3-hour pre-fill, then 20 s running).
// Targets (issue 11): steady ≤ 150 MB (node path at mainnet size, and the demo); ≤ 250 MB with
// 300,000 transactions; start-up peak ≤ 1.5 × steady. Writes bench/results/memory.json.
// Usage: node bench/memory.ts [--blocks 144] [--per-block 3472]

import { fork, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { fileURLToPath } from 'node:url';
import v8 from 'node:v8';

const BLOCKS_DIR = fileURLToPath(new URL('../../shared/data/real/blocks/', import.meta.url));
const RESULTS = fileURLToPath(new URL('./results/', import.meta.url));
const MB = 2 ** 20;
const TARGET_STEADY_MB = 150;
const TARGET_CONGESTED_MB = 250;
const TARGET_PEAK_RATIO = 1.5;
const LIVE_TXS = 50_000;
const CONGESTED_TXS = 300_000;
/** Replay rate: well within what the live path takes (bench/ingest.ts), so nothing is lost. */
const RATE = 8_000;
const STEADY_SECONDS = 10;
/** Recent, full mainnet blocks: the chain's transactions come from these, in height order. */
const CHAIN_SOURCES = [702861, 830000, 831328, 831329, 831330, 831331, 866342];

function option(name: string, fallback: string): string {
  const i = process.argv.indexOf(name);
  return i === -1 ? fallback : process.argv[i + 1];
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

// ---- the node's side (child process) ------------------------------------------------------------

async function node(): Promise<void> {
  const { Publisher } = await import('zeromq');
  const { readBlock } = await import('../src/bitcoin/block.ts');
  const { readTransaction } = await import('../src/bitcoin/transaction.ts');
  const { sha256d, hashToHex } = await import('../src/bitcoin/hash.ts');
  const endpoint = option('--endpoint', '');
  const blockCount = Number(option('--blocks', '144'));
  const perBlock = Number(option('--per-block', '3472'));

  // The chain: real transactions, re-made pass after pass, cut into blocks. The headers (no merkle
  // root: nothing checks it) are made first; each block's body is made when it is asked for (the
  // block window asks in height order) and let go once sent, so this process stays small too.
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
  const headers: Buffer[] = [];
  const hashes: string[] = [];
  let prev = Buffer.alloc(32);
  const time0 = Math.floor(Date.now() / 1000) - blockCount * 600;
  for (let i = 0; i < blockCount; i++) {
    const header = Buffer.alloc(80);
    header.writeInt32LE(0x20000000, 0);
    prev.copy(header, 4);
    header.writeUInt32LE(time0 + 600 * i, 68);
    header.writeUInt32LE(0x17034219, 72);
    header.writeUInt32LE(i, 76);
    headers.push(header);
    prev = Buffer.from(sha256d(header));
    hashes.push(hashToHex(prev));
  }
  let made = 0;
  const bodies = new Map<number, string>();
  const blockHexAt = (height: number): string | undefined => {
    while (made <= height) {
      const txs: Buffer[] = [];
      for (let t = 0; t < perBlock; t++) txs.push(stream.next().value as Buffer);
      const coinbase = Buffer.from(coinbases[made % coinbases.length]);
      coinbase.writeUInt32LE(0x7e000000 + made, coinbase.length - 4);
      const count = Buffer.from([0xfd, 0, 0]);
      count.writeUInt16LE(txs.length + 1, 1);
      bodies.set(made, Buffer.concat([headers[made], count, coinbase, ...txs]).toString('hex'));
      made++;
    }
    const hex = bodies.get(height);
    bodies.delete(height);
    return hex;
  };

  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const body = JSON.parse(Buffer.concat(chunks).toString('utf8'));
      const answer = (call: { id: number; method: string; params: unknown[] }) => {
        const ok = (result: unknown) => ({ result, error: null, id: call.id });
        switch (call.method) {
          case 'getblockcount':
            return ok(blockCount - 1);
          case 'getblockhash': {
            const h = call.params[0] as number;
            return h >= 0 && h < blockCount
              ? ok(hashes[h])
              : { result: null, error: { code: -8, message: 'Block height out of range' }, id: call.id };
          }
          case 'getblock': {
            const hex = blockHexAt(hashes.indexOf(call.params[0] as string));
            return hex !== undefined
              ? ok(hex)
              : { result: null, error: { code: -1, message: 'block already sent' }, id: call.id };
          }
          default:
            return { result: null, error: { code: -32601, message: 'Method not found' }, id: call.id };
        }
      };
      res.setHeader('content-type', 'application/json');
      res.end(JSON.stringify(Array.isArray(body) ? body.map(answer) : answer(body)));
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));

  // The mempool replay: every non-coinbase transaction of the dev blocks, pass r with locktime r.
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
  const pub = new Publisher({ sendHighWaterMark: 0, linger: 0 });
  await pub.bind(endpoint);
  let sent = 0;
  let mempoolSeq = 0n;
  let seq = 0;
  const u32 = (n: number) => {
    const b = Buffer.alloc(4);
    b.writeUInt32LE(n >>> 0);
    return b;
  };
  const send = async () => {
    const round = Math.floor(sent / originals.length);
    const tx = Buffer.from(originals[sent % originals.length]);
    if (round > 0) tx.writeUInt32LE(round, tx.length - 4);
    sent++;
    const body = Buffer.alloc(41);
    Buffer.from(readTransaction(tx, 0, { txid: true }).tx.txid, 'hex').copy(body, 0);
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
function residentByKind(): Record<string, number> {
  const out: Record<string, number> = { cHeap: 0, anonymous: 0, files: 0 };
  if (!existsSync('/proc/self/smaps')) return out;
  let kind = 'anonymous';
  for (const line of readFileSync('/proc/self/smaps', 'utf8').split('\n')) {
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
  const { freePort } = await import('../test/node/regtest-node.ts');
  const endpoint = `tcp://127.0.0.1:${await freePort()}`;
  const child = fork(
    fileURLToPath(import.meta.url),
    ['--node', '--endpoint', endpoint, ...process.argv.slice(2)],
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
  const next = async () => {
    while (messages.length === 0) await new Promise<void>((resolve) => (wake = resolve));
    return messages.shift() as Record<string, unknown>;
  };
  const ready = await next();

  // The service: the live window (3 hours: nothing ages out during the run) and the block window.
  const windowSeconds = 3 * 3600;
  const orchestrator = new Orchestrator({ source: 'node', windowSeconds });
  const rpc = new RpcClient({
    host: '127.0.0.1',
    port: ready.rpcPort as number,
    timeoutMs: 30_000,
    credentials: async () => ({ user: 'u', password: 'p' }),
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
    `  144-block window: ${stats.blocks} blocks, ${stats.transactions.toLocaleString('en-US')} transactions, ${stats.candidateOutputs.toLocaleString('en-US')} candidate outputs, ${(stats.bytes / MB).toFixed(1)} MB of arrays, filled in ${fillSeconds.toFixed(1)} s, price ${blockWindow.price?.toFixed(2) ?? 'none'}`,
  );
  steps.push(await measure('+ 144-block window'));

  const live = async (target: number) => {
    child.send({ send: target - orchestrator.health().windowSize });
    await next();
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
  const mainnet = await measure(`+ live window of ${liveSize.toLocaleString('en-US')} transactions`);
  steps.push(mainnet);
  await live(CONGESTED_TXS);
  const congestedSize = orchestrator.health().windowSize;
  const congested = await measure(
    `congested: live window of ${congestedSize.toLocaleString('en-US')} transactions`,
  );
  steps.push(congested);

  clearInterval(prune);
  await orchestrator.stop();
  await listener.close();
  rpc.close();
  child.kill();

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
  const checks = [
    [
      'steady RSS at mainnet size',
      mainnet.steadyMB,
      `≤ ${TARGET_STEADY_MB} MB`,
      mainnet.steadyMB <= TARGET_STEADY_MB,
    ],
    [
      `RSS with ${congestedSize.toLocaleString('en-US')} transactions`,
      congested.steadyMB,
      `≤ ${TARGET_CONGESTED_MB} MB`,
      congested.steadyMB <= TARGET_CONGESTED_MB,
    ],
    ['start-up peak / steady', ratio, `≤ ${TARGET_PEAK_RATIO}`, ratio <= TARGET_PEAK_RATIO],
  ] as const;
  for (const [what, value, target, pass] of checks)
    console.log(
      `  ${pass ? 'PASS' : 'FAIL'} ${what}: ${value.toFixed(what.includes('/') ? 2 : 0)} (target ${target})`,
    );
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
    checks: checks.map(([what, value, target, pass]) => ({ what, value, target, pass })),
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
  const { releaseMemory } = await import('../src/node/release-memory.ts');
  releaseMemory();
  const fillSeconds = (performance.now() - started) / 1000;
  const size = feed.health().windowSize;
  const startupPeak = peak;
  const steady = await measure(
    `demo running, window of ${size.toLocaleString('en-US')} (pre-fill ${fillSeconds.toFixed(1)} s)`,
  );
  // Longer: does it stay there?
  const later = await measure('10 s later');
  await feed.stop();
  const ratio = startupPeak / MB / steady.steadyMB;
  const checks = [
    ['demo steady RSS', later.steadyMB, `≤ ${TARGET_STEADY_MB} MB`, later.steadyMB <= TARGET_STEADY_MB],
    ['start-up peak / steady', ratio, `≤ ${TARGET_PEAK_RATIO}`, ratio <= TARGET_PEAK_RATIO],
  ] as const;
  for (const [what, value, target, pass] of checks)
    console.log(
      `  ${pass ? 'PASS' : 'FAIL'} ${what}: ${value.toFixed(what.includes('/') ? 2 : 0)} (target ${target})`,
    );
  return {
    mode: 'demo',
    heapFlags,
    steps: [empty, steady, later],
    windowSize: size,
    startupPeakMB: startupPeak / MB,
    peakToSteady: ratio,
    checks: checks.map(([what, value, target, pass]) => ({ what, value, target, pass })),
  };
}

async function main(): Promise<void> {
  if (!existsSync(BLOCKS_DIR)) {
    console.log(`memory: skipped, no real blocks at ${BLOCKS_DIR}`);
    return;
  }
  // Each measurement in a fresh process (a heap is never measured after another's garbage): the
  // node path, then the demo, each with the serve heap settings and with V8's defaults.
  if (!process.argv.includes('--one')) {
    const results: unknown[] = [];
    let failed = false;
    const { SERVE_MALLOC_ENV, SERVE_NODE_FLAGS } = await import('../src/commands/heap-settings.ts');
    for (const mode of [[], ['--demo']])
      for (const v8Defaults of [false, true]) {
        // As `chainprice serve` runs (its memory settings), then with Node's and glibc's defaults.
        const flags = v8Defaults ? [] : [...SERVE_NODE_FLAGS];
        const env = v8Defaults
          ? { ...process.env, CHAINPRICE_V8_DEFAULTS: '1' }
          : { ...SERVE_MALLOC_ENV, ...process.env };
        const args = [...flags, '--expose-gc', fileURLToPath(import.meta.url), '--one', ...mode];
        if (v8Defaults) args.push('--v8-defaults');
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
    mkdirSync(RESULTS, { recursive: true });
    writeFileSync(`${RESULTS}memory.json`, `${JSON.stringify(results, null, 2)}\n`);
    console.log('wrote bench/results/memory.json (targets apply to the runs with the serve heap settings)');
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
  const result = process.argv.includes('--demo') ? await demo(heapFlags) : await nodePath(heapFlags);
  clearInterval(sampler);
  result.v8HeapSpaces = v8.getHeapSpaceStatistics().map((s) => ({
    space: s.space_name,
    sizeMB: s.space_size / MB,
    usedMB: s.space_used_size / MB,
  }));
  console.log(`\n@@${JSON.stringify(result)}`);
  process.exit(0);
}

if (process.argv.includes('--node')) await node();
else await main();
