// Soak benchmark: is the service flat for days? Runs what `chainprice serve --demo` runs — the demo
// network through the real parser, window, estimator and Orchestrator, the app (buildApp: hub,
// /metrics, /health), with the heap settings serve applies — accelerated (--speed 48: a simulated
// day in 30 minutes, blocks every 10 simulated minutes), with 100 WebSocket clients in another
// process (bench/ws-clients.ts: they check every update's seq, so a dropped update shows).
// Every 2 s it samples RSS and heap; once a simulated hour it forces a GC and records the heap
// after it; the event loop's lag is how late a 20 ms timer fires, every time.
// Prints: RSS slope per simulated hour after warm-up (the first 2 simulated hours), heap after GC
// first vs last and its slope, dropped updates (hub counter and client seq gaps), event-loop lag
// p50/p99/max, and a text chart; draws the RSS/heap curve as bench/results/soak.png (PNG written
// here, no plotting library) and writes bench/results/soak.json.
// Targets (issue 11): RSS slope ≤ 1 MB per simulated hour after warm-up, flat heap after GC, no
// dropped update, event-loop lag p99 < 50 ms.
// Usage: node --expose-gc bench/soak.ts [--minutes 30] [--speed 48] [--clients 100]

import { fork } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import { fileURLToPath } from 'node:url';
import { crc32, deflateSync } from 'node:zlib';
import { memory } from '../src/runtime/memory-policy.ts';
import type { ChildMessage, ClientResults, ParentMessage } from './ws-clients.ts';

const RESULTS = fileURLToPath(new URL('./results/', import.meta.url));
const MB = 2 ** 20;
const SAMPLE_MS = 2000;
const WARMUP_SIM_HOURS = 2;
const TARGET_SLOPE_MB_PER_SIM_HOUR = 1;
const TARGET_LAG_P99_MS = 50;
const LAG_TICK_MS = 20;

function option(name: string, fallback: number): number {
  const i = process.argv.indexOf(name);
  return i === -1 ? fallback : Number(process.argv[i + 1]);
}

const minutes = option('--minutes', 30);
const speed = option('--speed', 48);
const clients = option('--clients', 100);
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
  const { createDemoFeed } = await import('../src/sim/demo-feed.ts');
  const { buildApp } = await import('../src/server/app.ts');
  const started = performance.now();
  const feed = createDemoFeed({ speed });
  await feed.start();
  // As serve does after its start (src/commands/serve.ts).
  memory.afterFill();
  const app = await buildApp({ feed, webRoot: null, log: (line) => console.error(`server: ${line}`) });
  await app.listen({ host: '127.0.0.1', port: 0 });
  const port = (app.server.address() as AddressInfo).port;
  const startupPeakMB = process.memoryUsage.rss() / MB;
  console.log(
    `soak: demo at speed ${speed} (a simulated hour every ${(3600 / speed).toFixed(0)} s) for ${minutes} min = ${((minutes * 60 * speed) / 3600).toFixed(1)} simulated hours, ${clients} WebSocket clients; memory settings ${heapFlags.join(' ') || 'defaults'}; Node ${process.version}`,
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
  const simHours = () => ((performance.now() - t0) / 1000) * (speed / 3600);
  const samples: Sample[] = [];
  const afterGc: { simHours: number; heapMB: number; rssMB: number }[] = [];
  const endMs = minutes * 60_000;
  let nextGcHour = 1;
  let lastLog = 0;
  const health: number[] = [];
  while (performance.now() - t0 < endMs) {
    await new Promise((resolve) => setTimeout(resolve, SAMPLE_MS));
    const m = process.memoryUsage();
    samples.push({ simHours: simHours(), rssMB: m.rss / MB, heapUsedMB: m.heapUsed / MB });
    if (simHours() >= nextGcHour) {
      gc?.();
      const g = process.memoryUsage();
      afterGc.push({ simHours: simHours(), heapMB: g.heapUsed / MB, rssMB: g.rss / MB });
      health.push((await app.inject({ url: '/health' })).statusCode);
      nextGcHour++;
    }
    if (performance.now() - lastLog > 60_000) {
      lastLog = performance.now();
      console.log(
        `  ${simHours().toFixed(1)} sim h: RSS ${(m.rss / MB).toFixed(0)} MB (${residentKinds()}), heap ${(m.heapUsed / MB).toFixed(0)} MB of ${(m.heapTotal / MB).toFixed(0)}, external ${(m.external / MB).toFixed(0)} MB, window ${feed.health().windowSize}, lag p99 so far ${lagPercentile(99).toFixed(1)} ms`,
      );
    }
  }
  clearInterval(lagTimer);
  tell({ type: 'stop' });
  const results = (await waitFor(child, 'results', 60_000)) as ClientResults;
  const dropped = (await metric('chainprice_ws_updates_dropped_total')) - droppedBefore;
  const hours = simHours();
  child.kill();
  await app.close();
  await feed.stop();

  const steady = samples.filter((s) => s.simHours >= WARMUP_SIM_HOURS);
  const rssSlope = slope(steady.map((s) => ({ x: s.simHours, y: s.rssMB })));
  const gcSteady = afterGc.filter((g) => g.simHours >= WARMUP_SIM_HOURS);
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
  const checks = [
    ['RSS slope after warm-up (MB per simulated hour)', rssSlope, rssSlope <= TARGET_SLOPE_MB_PER_SIM_HOUR],
    ['heap after GC slope (MB per simulated hour)', heapSlope, Math.abs(heapSlope) <= 0.25],
    ['dropped updates (hub + seq gaps)', dropped + results.seqGaps, dropped + results.seqGaps === 0],
    ['event-loop lag p99 (ms)', lagMs.p99, lagMs.p99 < TARGET_LAG_P99_MS],
  ] as const;
  for (const [what, value, pass] of checks)
    console.log(`  ${pass ? 'PASS' : 'FAIL'} ${what}: ${f(value, 3)}`);

  mkdirSync(RESULTS, { recursive: true });
  writeFileSync(`${RESULTS}soak.png`, chartPng(samples, afterGc, Math.ceil(hours)));
  writeFileSync(
    `${RESULTS}soak.json`,
    `${JSON.stringify(
      {
        minutes,
        speed,
        simulatedHours: hours,
        clients: results,
        heapFlags,
        setupSeconds: (t0 - started) / 1000,
        rssSlopeMBPerSimHour: rssSlope,
        heapAfterGcSlopeMBPerSimHour: heapSlope,
        droppedUpdates: dropped,
        eventLoopLagMs: lagMs,
        afterGc,
        samples,
        checks: checks.map(([what, value, pass]) => ({ what, value, pass })),
        node: process.version,
      },
      null,
      2,
    )}\n`,
  );
  console.log('wrote bench/results/soak.png and bench/results/soak.json');
  process.exit(checks.every(([, , pass]) => pass) ? 0 : 1);
}

await main();
