// Soak benchmark: is the service flat for days? Two modes, each accelerated, each with 100 WebSocket
// clients in another process (bench/ws-clients.ts: they check every update's seq, so a dropped
// update shows), each with the heap settings serve applies (memory.atStart, afterStart/afterFill).
//
// Demo (default): what `chainprice serve --demo` runs — the demo network through the real parser,
// window, estimator and Orchestrator, the app (buildApp: hub, /metrics, /health) — at --speed 48 (a
// simulated day in 30 minutes, blocks every 10 simulated minutes).
//
// Node (--node): what `chainprice serve` runs against a node, assembled from serve's own parts
// (src/commands/serve-source.ts, serve-app.ts, serve-history.ts; its command line parsed by serve-options.ts):
// NodeFeed over ZMQ and RPC, the 144-block window price, the app with the hub, /metrics and /health,
// every estimate and block written to the history store, and the chain's price history extended
// after each block. The node is a Knots regtest in a child process (bench/soak-chain.ts: the
// generator never shares this event loop): its wallet pays round-dollar amounts (with change, as
// test/integration/node/economy.ts makes them) at --rate payments a real second (default 8: above
// mainnet's 5–7 a second), and a block is mined every --block-minutes simulated minutes (default
// 10), which takes every payment since the one before.
// How time is sped up: one simulated clock, Unix seconds = start + --speed × real seconds elapsed
// (default 48; the simulated day ends about when the run does, so no time is in the future). The
// chain process sets the node's clock to it (`setmocktime`) before every batch and every block, so
// mempool entry times and block times are simulated; the service's NodeFeed ages its 3-hour window
// by the same clock (openSource's clock hook, benchmarks only). What is not sped up: the payments'
// rate is per real second, so the service's parser, window and estimator work at mainnet's pace or
// above, but a simulated hour holds rate × 3600 / speed payments (8 a second at speed 48: 600 an
// hour, about 100 a block, against mainnet's ~3,500 a block) — the window's churn, the blocks, the
// 144-block window sliding and the history's growth run at the simulated pace. The 24 simulated
// hours take 144 blocks: the 144-block window slides over the whole chain of blocks mined at start.
// At the end it compares the window (and the mempool tracker) with the node: every transaction of
// the node's mempool (`getrawmempool`) and of the blocks wholly inside the window's 3 simulated
// hours must be in it (missing), and nothing else but the transactions of the one block that
// straddles the window's start (extra); the chain history must have reached the tip.
// The clients' latency figures in soak-node.json mean nothing: an update's timestamp is simulated time.
//
// Every 2 s it samples RSS and heap; once a simulated hour it forces a GC and records the heap
// after it, and asks /health; the event loop's lag is how late a 20 ms timer fires, every time.
// Prints: RSS slope per simulated hour after warm-up (demo: the first 2 simulated hours; node: the
// first 4, as its window starts empty and fills for 3), heap after GC first vs last and its slope,
// dropped updates (hub counter and client seq gaps), event-loop lag p50/p99/max, and a text chart;
// node mode also the payments' measured rate, the window against the node and the chain history.
// Draws the RSS/heap curve as bench/results/soak.png (node: soak-node.png; PNG written here, no
// plotting library) and writes bench/results/soak.json (node: soak-node.json). Exits 1 when a
// target fails.
// Targets (issue 11, 21): RSS slope ≤ 1 MB per simulated hour after warm-up, flat heap after GC
// (slope within ±0.25 MB per simulated hour), no dropped update, event-loop lag p99 < 50 ms; node
// mode: payments ≥ 7 a real second, the window equal to the node's, the history at the tip.
// Usage: node --expose-gc bench/soak.ts [--minutes 30] [--speed 48] [--clients 100]
//        node --expose-gc bench/soak.ts --node [--hours 24] [--speed 48] [--rate 8] [--block-minutes 10] [--clients 100]
// (`npm run bench -- soak` runs the demo mode, `npm run bench -- soak-node` the node mode; the
// figures are in docs/memory.md, "The soak".)

import { type ChildProcess, fork } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { crc32, deflateSync } from 'node:zlib';
import type { FastifyInstance } from 'fastify';
import type { NodeFeed } from '../src/node/node-feed.ts';
import { memory } from '../src/runtime/memory-policy.ts';
import { benchArgs, numberArg } from './bench-options.ts';
import type { ChainCommand, ChainReport, SimClock } from './soak-chain.ts';
import type { ChildMessage, ClientResults, ParentMessage } from './ws-clients.ts';

const RESULTS = fileURLToPath(new URL('./results/', import.meta.url));
const MB = 2 ** 20;
const SAMPLE_MS = 2000;
/** The demo starts with its window pre-filled: two simulated hours settle its start. */
const WARMUP_SIM_HOURS = 2;
/** The node mode's window starts empty and fills for its 3 simulated hours: growth then is the window filling, so one hour more. */
const NODE_WARMUP_SIM_HOURS = 4;
const TARGET_SLOPE_MB_PER_SIM_HOUR = 1;
const TARGET_LAG_P99_MS = 50;
const LAG_TICK_MS = 20;
/** Mainnet's average, the upper end of its 5–7 transactions a second: the node mode's payments must reach it. */
const MAINNET_TX_PER_SECOND = 7;
/** The price the node mode's driver pays round dollars at: not round, so its outputs are not round bitcoin. */
const DRIVER_PRICE = 61_234.56;
/** Funding coins beyond the payments planned: the generator catches up after a slow turn. */
const PAYMENTS_MARGIN = 1.1;
/** ZMQ delivery and the two processes' clock readings, in real seconds: the window's edge is this fuzzy. */
const WINDOW_SLACK_REAL_SECONDS = 2;
/** How long the window and the chain history may take to settle after the last payment. */
const WINDOW_SETTLE_MS = 30_000;
/** How far back the comparison looks for the blocks of transactions the window should not hold. */
const EXTRA_SEARCH_BLOCKS = 50;

const COMMAND_LINE = {
  bench: 'soak',
  usage:
    'node --expose-gc bench/soak.ts [--minutes 30] [--speed 48] [--clients 100] | --node [--hours 24] [--speed 48] [--rate 8] [--block-minutes 10] [--clients 100]',
};
const args = benchArgs(COMMAND_LINE, {
  node: { type: 'boolean', default: false },
  minutes: { type: 'string' },
  hours: { type: 'string' },
  speed: { type: 'string' },
  clients: { type: 'string' },
  rate: { type: 'string' },
  'block-minutes': { type: 'string' },
}).values;

/** A positive number option, or its default; anything else ends the run with one sentence. */
function numberOption(name: Exclude<keyof typeof args, 'node'>, fallback: number): number {
  return numberArg(COMMAND_LINE, name, args[name], fallback, { above: true });
}

const gc = (globalThis as { gc?: () => void }).gc;

interface Sample {
  simHours: number;
  rssMB: number;
  heapUsedMB: number;
}

function slope(points: { x: number; y: number }[]): number {
  const n = points.length;
  if (n < 2) return 0;
  const mx = points.reduce((s, p) => s + p.x, 0) / n;
  const my = points.reduce((s, p) => s + p.y, 0) / n;
  let num = 0;
  let den = 0;
  for (const p of points) {
    num += (p.x - mx) * (p.y - my);
    den += (p.x - mx) ** 2;
  }
  return den === 0 ? 0 : num / den;
}

function waitFor<T extends ChildMessage['type']>(
  child: ReturnType<typeof fork>,
  type: T,
  timeoutMs: number,
): Promise<Extract<ChildMessage, { type: T }>> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(
      () => reject(new Error(`clients: no "${type}" within ${timeoutMs} ms`)),
      timeoutMs,
    );
    const onMessage = (message: ChildMessage) => {
      if (message.type === 'error' || message.type === type) {
        clearTimeout(timer);
        child.off('message', onMessage);
        if (message.type === 'error') reject(new Error(`clients: ${message.message}`));
        else resolve(message as Extract<ChildMessage, { type: T }>);
      }
    };
    child.on('message', onMessage);
  });
}

// ---- the PNG: a line chart drawn pixel by pixel -------------------------------------------------

function png(width: number, height: number, rgb: Uint8Array): Buffer {
  const chunk = (type: string, data: Buffer) => {
    const body = Buffer.concat([Buffer.from(type, 'ascii'), data]);
    const out = Buffer.alloc(8 + data.length + 4);
    out.writeUInt32BE(data.length, 0);
    body.copy(out, 4);
    out.writeUInt32BE(crc32(body), 8 + data.length);
    return out;
  };
  const ihdr = Buffer.alloc(13);
  ihdr.writeUInt32BE(width, 0);
  ihdr.writeUInt32BE(height, 4);
  ihdr[8] = 8; // bit depth
  ihdr[9] = 2; // truecolour
  const raw = Buffer.alloc((width * 3 + 1) * height);
  for (let y = 0; y < height; y++) {
    raw[y * (width * 3 + 1)] = 0; // filter: none
    Buffer.from(rgb.buffer, rgb.byteOffset + y * width * 3, width * 3).copy(raw, y * (width * 3 + 1) + 1);
  }
  return Buffer.concat([
    Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]),
    chunk('IHDR', ihdr),
    chunk('IDAT', deflateSync(raw)),
    chunk('IEND', Buffer.alloc(0)),
  ]);
}

/** RSS (red) and heap used (blue) and heap after GC (green dots) against simulated hours; grid every hour and 50 MB. */
function chartPng(
  samples: Sample[],
  afterGc: { simHours: number; heapMB: number }[],
  maxHours: number,
): Buffer {
  const W = 960;
  const H = 480;
  const pad = 40;
  const img = new Uint8Array(W * H * 3).fill(255);
  const maxMB = Math.max(50, Math.ceil(Math.max(...samples.map((s) => s.rssMB)) / 50) * 50);
  const px = (h: number) => Math.round(pad + (h / maxHours) * (W - 2 * pad));
  const py = (mb: number) => Math.round(H - pad - (mb / maxMB) * (H - 2 * pad));
  const set = (x: number, y: number, c: [number, number, number]) => {
    if (x < 0 || y < 0 || x >= W || y >= H) return;
    img.set(c, (y * W + x) * 3);
  };
  const line = (x0: number, y0: number, x1: number, y1: number, c: [number, number, number]) => {
    const n = Math.max(Math.abs(x1 - x0), Math.abs(y1 - y0), 1);
    for (let i = 0; i <= n; i++) {
      const x = Math.round(x0 + ((x1 - x0) * i) / n);
      const y = Math.round(y0 + ((y1 - y0) * i) / n);
      set(x, y, c);
      set(x, y + 1, c);
    }
  };
  for (let h = 0; h <= maxHours; h++) line(px(h), py(0), px(h), py(maxMB), [225, 225, 225]);
  for (let mb = 0; mb <= maxMB; mb += 50) line(px(0), py(mb), px(maxHours), py(mb), [200, 200, 200]);
  line(px(0), py(0), px(maxHours), py(0), [0, 0, 0]);
  line(px(0), py(0), px(0), py(maxMB), [0, 0, 0]);
  for (let i = 1; i < samples.length; i++) {
    const a = samples[i - 1];
    const b = samples[i];
    line(px(a.simHours), py(a.rssMB), px(b.simHours), py(b.rssMB), [210, 40, 40]);
    line(px(a.simHours), py(a.heapUsedMB), px(b.simHours), py(b.heapUsedMB), [60, 90, 220]);
  }
  for (const g of afterGc)
    for (let dx = -3; dx <= 3; dx++)
      for (let dy = -3; dy <= 3; dy++) set(px(g.simHours) + dx, py(g.heapMB) + dy, [20, 150, 60]);
  return png(W, H, img);
}

/** A small text chart: one column per simulated hour, RSS as '#', heap after GC as 'o'. */
function textChart(
  samples: Sample[],
  afterGc: { simHours: number; heapMB: number }[],
  hours: number,
): string {
  const rows = 12;
  const maxMB = Math.max(...samples.map((s) => s.rssMB)) * 1.05;
  const cols = Math.ceil(hours);
  const rss = Array.from({ length: cols }, (_, h) => {
    const inHour = samples.filter((s) => Math.floor(s.simHours) === h);
    return inHour.length > 0 ? inHour.reduce((m, s) => m + s.rssMB, 0) / inHour.length : Number.NaN;
  });
  const heap = Array.from(
    { length: cols },
    (_, h) => afterGc.find((g) => Math.floor(g.simHours - 1e-9) === h)?.heapMB,
  );
  const lines: string[] = [];
  for (let r = rows; r >= 1; r--) {
    const top = (maxMB * r) / rows;
    const bottom = (maxMB * (r - 1)) / rows;
    let line = `${top.toFixed(0).padStart(5)} MB |`;
    for (let h = 0; h < cols; h++) {
      const hv = heap[h];
      line +=
        rss[h] >= bottom && rss[h] < top ? '#' : hv !== undefined && hv >= bottom && hv < top ? 'o' : ' ';
      line += ' ';
    }
    lines.push(line);
  }
  lines.push(`         +${'--'.repeat(cols)}`);
  lines.push(`          simulated hours 0…${cols} ('#' RSS, mean of the hour; 'o' heap after GC)`);
  return lines.join('\n');
}

/** Resident memory by kind (Linux): C heap, anonymous maps (V8's heap, buffers, other threads' malloc arenas), files. */
function residentKinds(): string {
  if (!existsSync('/proc/self/smaps')) return 'no /proc';
  const mb: Record<string, number> = { 'C heap': 0, anonymous: 0, files: 0 };
  let kind = 'anonymous';
  for (const line of readFileSync('/proc/self/smaps', 'utf8').split('\n')) {
    const head = /^[0-9a-f]+-[0-9a-f]+ \S+ \S+ \S+ \S+\s*(.*)$/.exec(line);
    if (head) {
      kind =
        head[1] === '[heap]' ? 'C heap' : head[1] === '' || head[1].startsWith('[') ? 'anonymous' : 'files';
      continue;
    }
    const rss = /^Rss:\s+(\d+) kB/.exec(line);
    if (rss) mb[kind] += Number(rss[1]) / 1024;
  }
  return Object.entries(mb)
    .map(([k, v]) => `${k} ${v.toFixed(0)}`)
    .join(', ');
}

/** What the measurement loop needs from the service under test, demo or node. */
interface Soaked {
  /** The run's first line. */
  describe: string;
  /** Simulated hours before the memory figures count. */
  warmupHours: number;
  app: FastifyInstance;
  port: number;
  /** Simulated hours since the simulated day started. */
  simHours(): number;
  /** True once the run has lasted long enough. */
  done(): boolean;
  windowSize(): number;
  /** After the clients stopped: the mode's own figures and checks. */
  finish(): Promise<{ figures: Record<string, unknown>; lines: string[]; checks: Check[] }>;
  close(): Promise<void>;
}

type Check = readonly [what: string, value: number, pass: boolean];

/** The demo path: what `chainprice serve --demo` runs, its clock sped up by the demo's own speed. */
async function startDemo(): Promise<Soaked> {
  const nodeOnly = (['hours', 'rate', 'block-minutes'] as const).filter((k) => args[k] !== undefined);
  if (nodeOnly.length > 0) {
    console.error(`soak: --${nodeOnly[0]} is for the node mode (--node).`);
    process.exit(2);
  }
  const minutes = numberOption('minutes', 30);
  const speed = numberOption('speed', 48);
  const { createDemoFeed } = await import('../src/sim/demo-feed.ts');
  const { buildApp } = await import('../src/server/app.ts');
  const feed = createDemoFeed({ speed });
  await feed.start();
  // As serve does after its start (src/commands/serve.ts).
  memory.afterFill();
  const app = await buildApp({ feed, webRoot: null, log: (line) => console.error(`server: ${line}`) });
  await app.listen({ host: '127.0.0.1', port: 0 });
  let t0 = performance.now();
  let measuring = false;
  return {
    describe: `demo at speed ${speed} (a simulated hour every ${(3600 / speed).toFixed(0)} s) for ${minutes} min = ${((minutes * 60 * speed) / 3600).toFixed(1)} simulated hours`,
    warmupHours: WARMUP_SIM_HOURS,
    app,
    port: (app.server.address() as AddressInfo).port,
    simHours: () => {
      // The simulated day starts with the measurement (the clients connected).
      if (!measuring) {
        measuring = true;
        t0 = performance.now();
      }
      return ((performance.now() - t0) / 1000) * (speed / 3600);
    },
    done: () => measuring && performance.now() - t0 >= minutes * 60_000,
    windowSize: () => feed.health().windowSize,
    finish: async () => ({ figures: { minutes, speed }, lines: [], checks: [] }),
    close: async () => {
      await app.close();
      await feed.stop();
    },
  };
}

/** The node path: what `chainprice serve` runs against a node, the node a Knots regtest in bench/soak-chain.ts. */
async function startNode(): Promise<Soaked> {
  if (args.minutes !== undefined) {
    console.error('soak: --node runs for --hours simulated hours (default 24), not --minutes.');
    process.exit(2);
  }
  const hours = numberOption('hours', 24);
  const speed = numberOption('speed', 48);
  const rate = numberOption('rate', 8);
  const blockMinutes = numberOption('block-minutes', 10);
  const realSeconds = (hours * 3600) / speed;
  const { simNow } = await import('./soak-chain.ts');
  // The simulated day ends about when the run does: all its times are in the past, none in the future.
  const clock: SimClock = { simStart: Math.floor(Date.now() / 1000 - hours * 3600), realStart: 0, speed };
  const chain = fork(fileURLToPath(new URL('./soak-chain.ts', import.meta.url)), [], { stdio: 'inherit' });
  const tellChain = (message: ChainCommand) => chain.send(message);
  const progress = (message: ChainReport) => {
    if (message.type === 'progress')
      console.log(
        `  chain: ${message.payments} payments (${message.txPerSecond.toFixed(2)} a second), ${message.blocks} blocks`,
      );
  };
  chain.on('message', progress);
  const payments = Math.ceil(rate * realSeconds * PAYMENTS_MARGIN) + 500;
  console.log(`chain: a regtest node and a wallet with ${payments} funding coins (a few minutes)`);
  tellChain({ type: 'setup', payments, price: DRIVER_PRICE, seed: 21, simStart: clock.simStart });
  const ready = await waitForChain(chain, 'ready', 30 * 60_000);
  console.log(
    `chain: ready in ${ready.setupSeconds.toFixed(0)} s at height ${ready.height}; the driver pays round dollars at $${DRIVER_PRICE}`,
  );

  const { parseServeArgs } = await import('../src/commands/serve-options.ts');
  const { openSource } = await import('../src/commands/serve-source.ts');
  const { keepChainHistory, openHistory } = await import('../src/commands/serve-history.ts');
  const { assembleApp } = await import('../src/commands/serve-app.ts');
  const dataDir = mkdtempSync(join(tmpdir(), 'chainprice-soak-'));
  // serve's own command line, as a user gives it for this node (no CHAINPRICE_* variables).
  const options = parseServeArgs(
    [
      '--regtest',
      '--datadir',
      ready.datadir,
      '--rpc-port',
      String(ready.rpcPort),
      '--data-dir',
      dataDir,
      '--host',
      '127.0.0.1',
      '--port',
      '0',
    ],
    {},
  );
  const statusLines: string[] = [];
  const status = (line: string) => {
    statusLines.push(line);
    if (statusLines.length > 200) statusLines.shift();
    console.error(`serve: ${line}`);
  };
  // From here on, as src/commands/serve.ts assembles it; the simulated clock starts now.
  clock.realStart = Date.now();
  const source = await openSource(options, status, { now: () => simNow(clock) });
  const feed = source.feed as NodeFeed;
  const history = await openHistory(options);
  if (history === undefined) throw new Error('serve opened no history');
  const { app, chainTables, storage, stopRecording } = await assembleApp(options, source, history, status);
  if (chainTables === undefined || storage === undefined) throw new Error('serve kept no history');
  await app.listen({ host: '127.0.0.1', port: 0 });
  const background = new AbortController();
  const chainHistory = keepChainHistory(options, source, chainTables, {
    status,
    signal: background.signal,
    onFirstBuild: () => {},
    storage,
  }).catch((error: unknown) => status(`the chain price history stopped: ${(error as Error).message}`));
  await feed.start();
  memory.afterStart();
  tellChain({ type: 'go', clock, rate, blockMinutes });
  const simHours = () => (simNow(clock) - clock.simStart) / 3600;

  return {
    describe: `node (Knots regtest) at speed ${speed} (a simulated hour every ${(3600 / speed).toFixed(1)} s) for ${hours} simulated hours = ${(realSeconds / 60).toFixed(1)} min; ${rate} payments a real second, a block every ${blockMinutes} simulated minutes`,
    warmupHours: NODE_WARMUP_SIM_HOURS,
    app,
    port: (app.server.address() as AddressInfo).port,
    simHours,
    done: () => simHours() >= hours,
    windowSize: () => feed.health().windowSize,
    finish: async () => {
      tellChain({ type: 'stop' });
      const stopped = await waitForChain(chain, 'stopped', 120_000);
      chain.off('message', progress);
      // The window against the node: its mempool, and the blocks of the window's span. A payment is
      // sent after the block before the one that takes it (the generator takes turns), so a block
      // whose predecessor is inside the span is wholly in the window, and one older than the span
      // wholly out; the block that straddles the span's start may be in part. Both clocks run from
      // the same wall clock; SLACK covers the ZMQ delivery time, in simulated seconds.
      const slack = WINDOW_SLACK_REAL_SECONDS * speed;
      let compared: WindowComparison | null = null;
      const deadline = performance.now() + WINDOW_SETTLE_MS;
      while (performance.now() < deadline) {
        compared = await compareWindow(feed, feed.orchestrator.windowSeconds, simNow(clock), slack);
        if (compared.missing.length === 0 && compared.extra.length === 0) break;
        await new Promise((resolve) => setTimeout(resolve, 500));
      }
      const c = compared as WindowComparison;
      // The chain's price history: extended to the tip after the last block (it may still be at work).
      const tip = await feed.rpc.call<number>('getblockcount');
      const historyDeadline = performance.now() + WINDOW_SETTLE_MS;
      while (performance.now() < historyDeadline && (chainTables.counts().topHeight ?? 0) < tip)
        await new Promise((resolve) => setTimeout(resolve, 500));
      const counts = chainTables.counts();
      const price = feed.current();
      const lines = [
        `  chain: ${stopped.payments} payments in ${stopped.realSeconds.toFixed(0)} s = ${stopped.txPerSecond.toFixed(2)} a real second (${(stopped.txPerSecond / speed).toFixed(3)} a simulated second); ${stopped.blocks} blocks of ${stopped.perBlock.min}–${stopped.perBlock.max} (mean ${stopped.perBlock.mean.toFixed(0)}) transactions; generator CPU ${stopped.cpuSeconds.toFixed(0)} s, slowest turn ${stopped.slowestTickMs.toFixed(0)} ms`,
        `  window vs node: window ${c.window} = mempool ${c.mempool} + ${c.window - c.inMempool} confirmed within the window's ${(feed.orchestrator.windowSeconds / 3600).toFixed(0)} simulated hours (${c.confirmedSure} sure, ${c.confirmedMaybe} on the straddling block); ${c.missing.length} missing${c.missing.length > 0 ? ` (${c.missing.slice(0, 3).join(', ')})` : ''}, ${c.extra.length} extra${c.extra.length > 0 ? ` (${c.extraAt.join('; ')})` : ''}; tracker ${c.trackerMissing} missing, ${c.trackerExtra} extra`,
        `  chain history: ${counts.days} days, ${counts.blocks} blocks, top height ${counts.topHeight} of tip ${tip}; live price $${price?.price?.toFixed(2) ?? 'none'} (driver's $${DRIVER_PRICE}, confidence ${price?.confidence?.toFixed(2) ?? '-'})`,
      ];
      const checks: Check[] = [
        [
          'payments a real second (mainnet averages 5–7)',
          stopped.txPerSecond,
          stopped.txPerSecond >= MAINNET_TX_PER_SECOND,
        ],
        [
          'window vs node mempool and window blocks: missing + extra',
          c.missing.length + c.extra.length + c.trackerMissing + c.trackerExtra,
          c.missing.length + c.extra.length + c.trackerMissing + c.trackerExtra === 0,
        ],
        ['chain history behind the tip (blocks)', tip - (counts.topHeight ?? 0), counts.topHeight === tip],
      ];
      return {
        figures: {
          hours,
          speed,
          rate,
          blockMinutes,
          chain: { setupSeconds: ready.setupSeconds, ...stopped, type: undefined },
          window: { ...c, missing: c.missing.length, extra: c.extra.length },
          chainHistory: { ...counts, tip },
          livePrice: price?.price ?? null,
          driverPrice: DRIVER_PRICE,
        },
        lines,
        checks,
      };
    },
    close: async () => {
      stopRecording();
      background.abort();
      await chainHistory;
      await app.close();
      await feed.stop();
      history.close();
      rmSync(dataDir, { recursive: true, force: true });
      tellChain({ type: 'quit' });
      await new Promise((resolve) => chain.once('exit', resolve));
    },
  };
}

interface WindowComparison {
  mempool: number;
  window: number;
  inMempool: number;
  confirmedSure: number;
  confirmedMaybe: number;
  missing: string[];
  extra: string[];
  trackerMissing: number;
  trackerExtra: number;
  /** Where the extra ones are (simulated seconds). */
  extraAt: string[];
}

/**
 * The feed's window and tracker against the node: everything in the node's mempool and in the blocks
 * wholly inside the window's span must be in both (missing), and nothing else but transactions of
 * blocks that reach into the span (extra).
 */
async function compareWindow(
  feed: NodeFeed,
  windowSeconds: number,
  now: number,
  slack: number,
): Promise<WindowComparison> {
  const rpc = feed.rpc;
  const mempool = new Set(await rpc.call<string[]>('getrawmempool'));
  const cutoff = now - windowSeconds;
  const sure = new Set<string>();
  const maybe = new Set<string>();
  let hash: string | undefined = await rpc.call<string>('getbestblockhash');
  while (hash) {
    const block: { time: number; tx: string[]; previousblockhash?: string } = await rpc.call('getblock', [
      hash,
      1,
    ]);
    if (block.time < cutoff - slack) break;
    const previous = block.previousblockhash
      ? (await rpc.call<{ time: number }>('getblockheader', [block.previousblockhash])).time
      : 0;
    // The coinbase too: the feed takes it from the block.
    for (const txid of block.tx) (previous >= cutoff + slack ? sure : maybe).add(txid);
    hash = block.previousblockhash;
  }
  const window = feed.windowTxids();
  const tracked = feed.trackedTxids();
  const must = [...mempool, ...sure];
  const allowed = (txid: string) => mempool.has(txid) || sure.has(txid) || maybe.has(txid);
  // Where the extra ones are: their block's height and how long before the span's start it was mined.
  const extraAt: string[] = [];
  const unexplained = new Set([...window].filter((t) => !allowed(t)));
  hash = await rpc.call<string>('getbestblockhash');
  for (let back = 0; hash && unexplained.size > 0 && back < EXTRA_SEARCH_BLOCKS; back++) {
    const block: { height: number; time: number; tx: string[]; previousblockhash?: string } = await rpc.call(
      'getblock',
      [hash, 1],
    );
    const found = block.tx.filter((t) => unexplained.has(t));
    for (const t of found) unexplained.delete(t);
    if (found.length > 0)
      extraAt.push(
        `${found.length} in block ${block.height}, ${(cutoff - block.time).toFixed(0)} simulated s before the span`,
      );
    hash = block.previousblockhash;
  }
  if (unexplained.size > 0)
    extraAt.push(`${unexplained.size} in no block of the last ${EXTRA_SEARCH_BLOCKS}`);
  return {
    mempool: mempool.size,
    window: window.size,
    inMempool: [...window].filter((t) => mempool.has(t)).length,
    confirmedSure: [...window].filter((t) => sure.has(t)).length,
    confirmedMaybe: [...window].filter((t) => maybe.has(t)).length,
    missing: must.filter((t) => !window.has(t)),
    extra: [...window].filter((t) => !allowed(t)),
    trackerMissing: must.filter((t) => !tracked.has(t)).length,
    trackerExtra: [...tracked].filter((t) => !allowed(t)).length,
    extraAt,
  };
}

function waitForChain<T extends ChainReport['type']>(
  child: ChildProcess,
  type: T,
  timeoutMs: number,
): Promise<Extract<ChainReport, { type: T }>> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(
      () => reject(new Error(`chain: no "${type}" within ${timeoutMs / 1000} s`)),
      timeoutMs,
    );
    const onMessage = (message: ChainReport) => {
      if (message.type === 'error' || message.type === type) {
        clearTimeout(timer);
        child.off('message', onMessage);
        if (message.type === 'error') reject(new Error(`chain: ${message.message}`));
        else resolve(message as Extract<ChainReport, { type: T }>);
      }
    };
    child.on('message', onMessage);
    child.once('exit', (code) => reject(new Error(`chain: the process ended (${code}) before "${type}"`)));
  });
}

async function main(): Promise<void> {
  // With the memory settings serve runs with, applied the way serve applies them.
  if (!gc) {
    console.error('soak: run with --expose-gc (npm run bench -- soak does)');
    process.exit(2);
  }
  memory.atStart();
  const heapFlags = [
    ...process.execArgv.filter((a) => a !== '--expose-gc'),
    ...['MALLOC_ARENA_MAX', 'MALLOC_MMAP_THRESHOLD_']
      .filter((k) => process.env[k] !== undefined)
      .map((k) => `${k}=${process.env[k]}`),
  ];
  const clients = numberOption('clients', 100);
  const started = performance.now();
  const soaked = args.node ? await startNode() : await startDemo();
  const { app, port } = soaked;
  const startupPeakMB = process.memoryUsage.rss() / MB;
  console.log(
    `soak: ${soaked.describe}, ${clients} WebSocket clients; memory settings ${heapFlags.join(' ') || 'defaults'}; Node ${process.version}`,
  );

  const child = fork(fileURLToPath(new URL('./ws-clients.ts', import.meta.url)), [], { stdio: 'inherit' });
  const tell = (message: ParentMessage) => child.send(message);
  tell({ type: 'start', urls: [`ws://127.0.0.1:${port}/ws/mempool`], clients });
  const connected = await waitFor(child, 'connected', 120_000);
  console.log(
    `clients: ${connected.open} connected${connected.failed > 0 ? `, ${connected.failed} failed` : ''}`,
  );

  const metric = async (name: string): Promise<number> => {
    const text = (await app.inject({ url: '/metrics' })).body;
    return Number(new RegExp(`^${name} (\\S+)$`, 'm').exec(text)?.[1] ?? Number.NaN);
  };
  const droppedBefore = await metric('chainprice_ws_updates_dropped_total');
  // Event-loop lag: how late a 20 ms timer fires, every time it fires.
  const lateness: number[] = [];
  let expected = performance.now() + LAG_TICK_MS;
  const lagTimer = setInterval(() => {
    const now = performance.now();
    lateness.push(Math.max(0, now - expected));
    expected = now + LAG_TICK_MS;
  }, LAG_TICK_MS);
  const lagPercentile = (p: number) => {
    const sorted = [...lateness].sort((a, b) => a - b);
    return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] ?? Number.NaN;
  };
  tell({ type: 'measure' });
  const t0 = performance.now();
  const simHours = () => soaked.simHours();
  const samples: Sample[] = [];
  const afterGc: { simHours: number; heapMB: number; rssMB: number }[] = [];
  let nextGcHour = Math.floor(simHours()) + 1;
  let lastLog = 0;
  const health: number[] = [];
  while (!soaked.done()) {
    await new Promise((resolve) => setTimeout(resolve, SAMPLE_MS));
    const m = process.memoryUsage();
    samples.push({ simHours: simHours(), rssMB: m.rss / MB, heapUsedMB: m.heapUsed / MB });
    if (simHours() >= nextGcHour) {
      gc?.();
      const g = process.memoryUsage();
      afterGc.push({ simHours: simHours(), heapMB: g.heapUsed / MB, rssMB: g.rss / MB });
      health.push((await app.inject({ url: '/health' })).statusCode);
      nextGcHour = Math.floor(simHours()) + 1;
    }
    if (performance.now() - lastLog > 60_000) {
      lastLog = performance.now();
      console.log(
        `  ${simHours().toFixed(1)} sim h: RSS ${(m.rss / MB).toFixed(0)} MB (${residentKinds()}), heap ${(m.heapUsed / MB).toFixed(0)} MB of ${(m.heapTotal / MB).toFixed(0)}, external ${(m.external / MB).toFixed(0)} MB, window ${soaked.windowSize()}, lag p99 so far ${lagPercentile(99).toFixed(1)} ms`,
      );
    }
  }
  clearInterval(lagTimer);
  const hours = simHours();
  tell({ type: 'stop' });
  const results = (await waitFor(child, 'results', 60_000)) as ClientResults;
  const dropped = (await metric('chainprice_ws_updates_dropped_total')) - droppedBefore;
  child.kill();
  const mode = await soaked.finish();
  await soaked.close();

  const steady = samples.filter((s) => s.simHours >= soaked.warmupHours);
  const rssSlope = slope(steady.map((s) => ({ x: s.simHours, y: s.rssMB })));
  const gcSteady = afterGc.filter((g) => g.simHours >= soaked.warmupHours);
  const heapSlope = slope(gcSteady.map((g) => ({ x: g.simHours, y: g.heapMB })));
  const rssAfterWarmup = steady.map((s) => s.rssMB);
  const lagMs = { p50: lagPercentile(50), p99: lagPercentile(99), max: Math.max(...lateness) };
  const f = (n: number, d = 1) => n.toFixed(d);
  console.log(textChart(samples, afterGc, hours));
  console.log(
    `  RSS after warm-up: ${f(Math.min(...rssAfterWarmup), 0)}–${f(Math.max(...rssAfterWarmup), 0)} MB, slope ${f(rssSlope, 2)} MB per simulated hour; start-up ${f(startupPeakMB, 0)} MB`,
  );
  console.log(
    `  heap after GC: ${f(gcSteady[0]?.heapMB ?? Number.NaN)} MB at ${f(gcSteady[0]?.simHours ?? Number.NaN)} h → ${f(gcSteady.at(-1)?.heapMB ?? Number.NaN)} MB at ${f(gcSteady.at(-1)?.simHours ?? Number.NaN)} h, slope ${f(heapSlope, 3)} MB per simulated hour`,
  );
  console.log(
    `  clients: ${results.open}/${results.clients} open at the end, ${results.updates} updates received, ${results.seqGaps} seq gaps, ${results.closedDuringRun} closed; hub dropped ${dropped} updates`,
  );
  console.log(
    `  event-loop lag p50 ${f(lagMs.p50)} ms, p99 ${f(lagMs.p99)} ms, max ${f(lagMs.max)} ms; /health ${[...new Set(health)].join(',')}`,
  );
  for (const line of mode.lines) console.log(line);
  const checks: Check[] = [
    // A run too short to leave samples after the warm-up measures nothing: it fails.
    [
      'RSS slope after warm-up (MB per simulated hour)',
      rssSlope,
      steady.length >= 2 && rssSlope <= TARGET_SLOPE_MB_PER_SIM_HOUR,
    ],
    [
      'heap after GC slope (MB per simulated hour)',
      heapSlope,
      gcSteady.length >= 2 && Math.abs(heapSlope) <= 0.25,
    ],
    ['dropped updates (hub + seq gaps)', dropped + results.seqGaps, dropped + results.seqGaps === 0],
    ['event-loop lag p99 (ms)', lagMs.p99, lagMs.p99 < TARGET_LAG_P99_MS],
    ...mode.checks,
  ];
  for (const [what, value, pass] of checks)
    console.log(`  ${pass ? 'PASS' : 'FAIL'} ${what}: ${f(value, 3)}`);

  const name = args.node ? 'soak-node' : 'soak';
  mkdirSync(RESULTS, { recursive: true });
  writeFileSync(`${RESULTS}${name}.png`, chartPng(samples, afterGc, Math.ceil(hours)));
  writeFileSync(
    `${RESULTS}${name}.json`,
    `${JSON.stringify(
      {
        ...mode.figures,
        simulatedHours: hours,
        measuredMinutes: (performance.now() - t0) / 60_000,
        clients: results,
        heapFlags,
        setupSeconds: (t0 - started) / 1000,
        rssSlopeMBPerSimHour: rssSlope,
        heapAfterGcSlopeMBPerSimHour: heapSlope,
        droppedUpdates: dropped,
        eventLoopLagMs: lagMs,
        health: [...new Set(health)],
        afterGc,
        samples,
        checks: checks.map(([what, value, pass]) => ({ what, value, pass })),
        node: process.version,
      },
      null,
      2,
    )}\n`,
  );
  console.log(`wrote bench/results/${name}.png and bench/results/${name}.json`);
  process.exit(checks.every(([, , pass]) => pass) ? 0 : 1);
}

await main();
