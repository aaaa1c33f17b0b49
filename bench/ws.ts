// WebSocket load benchmark: the service (buildApp, the real hub) on a fast source in this process,
// N clients in another (bench/ws-clients.ts). After all clients are connected and a short warm-up,
// it measures for --duration seconds: messages delivered and dropped (updates skipped for clients
// that fell behind), latency from each update's estimate `timestamp` to client receipt (p50/p99),
// this process's CPU and RSS (sampled every second; RSS slope over the run), and bandwidth per
// client. Prints the figures and writes bench/results/ws.json.
//
// Sources: `synthetic` (default) is test/server/fake-feed.ts at --rate updates a second with
// --points evidence points each and a 20,000-point window: it costs the server next to nothing, so
// the figures are the service's own (HTTP, hub, fan-out). `demo` runs the real pipeline in the same
// process — the demo network in burst mode (about 200 transactions a second) through the parser,
// window, estimator and Orchestrator (updates every 500 ms) — so its CPU and RSS include all of that.
//
// --edges N (N ≥ 1): the scale-out setup instead (bench/ws-edges.ts): the source and the estimator's
// publisher in this process, a nats-server of its own, N `chainprice edge` processes, and the
// clients spread over the edges in turn. Then the server figures are the edges' (summed; CPU from
// /proc), and it adds the publisher's and the NATS server's CPU and the bus bytes per edge.
//
// Usage: node bench/ws.ts [--clients 100] [--duration 20] [--source synthetic|demo] [--rate 2] [--points 20] [--edges N]
// The long run: node bench/ws.ts --clients 1000 --duration 600

import { fork } from 'node:child_process';
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import { fileURLToPath } from 'node:url';
import type { FastifyInstance } from 'fastify';
import type { LiveFeed } from '../src/live/feed.ts';
import { buildApp } from '../src/server/app.ts';
import { DEFAULT_HUB_LIMITS } from '../src/server/mempool-hub.ts';
import { FakeFeed, startSyntheticUpdates } from '../test/server/fake-feed.ts';
import { benchArgs, numberArg, usageFail } from './bench-options.ts';
import type { ChildMessage, ClientResults, ParentMessage } from './ws-clients.ts';
import { cpuSecondsOf, type EdgeTopology, startEdges } from './ws-edges.ts';

const RESULTS = fileURLToPath(new URL('./results/', import.meta.url));
const DEMO_FEED = new URL('../src/sim/demo-feed.ts', import.meta.url);
/** Measuring starts this long after the last client connected: snapshots and connection bursts are over. */
const WARMUP_SECONDS = 3;
/** A two-minute demo window (24,000 transactions at burst rate): small enough to pre-fill in seconds. */
const DEMO_WINDOW_SECONDS = 120;
/** The demo window is pre-filled whole, so it is full from the start and RSS measures the service, not the fill. */
const DEMO_PREFILL_SECONDS = DEMO_WINDOW_SECONDS;
/** Clients connect only once the source has made its first estimate, or after this long. */
const FIRST_ESTIMATE_TIMEOUT_MS = 120_000;

interface Args {
  clients: number;
  duration: number;
  source: 'demo' | 'synthetic';
  rate: number;
  points: number;
  /** 0: clients on the service itself; N: on N edges fed over NATS. */
  edges: number;
}

const COMMAND_LINE = {
  bench: 'bench/ws',
  usage:
    'node bench/ws.ts [--clients 100] [--duration 20] [--source synthetic|demo] [--rate 2] [--points 20] [--edges N]',
};

function readArgs(): Args {
  const { values } = benchArgs(COMMAND_LINE, {
    clients: { type: 'string' },
    duration: { type: 'string' },
    source: { type: 'string' },
    rate: { type: 'string' },
    points: { type: 'string' },
    edges: { type: 'string' },
  });
  const source = values.source ?? 'synthetic';
  if (source !== 'demo' && source !== 'synthetic')
    usageFail(COMMAND_LINE, `--source is synthetic or demo, not "${source}"`);
  return {
    clients: numberArg(COMMAND_LINE, 'clients', values.clients, 100, { above: true, whole: true }),
    duration: numberArg(COMMAND_LINE, 'duration', values.duration, 20, { above: true }),
    source,
    rate: numberArg(COMMAND_LINE, 'rate', values.rate, 2, { above: true }),
    points: numberArg(COMMAND_LINE, 'points', values.points, 20, { above: true }),
    edges: numberArg(COMMAND_LINE, 'edges', values.edges, 0, { whole: true }),
  };
}

function fail(message: string): never {
  console.error(`bench/ws: ${message}`);
  process.exit(2);
}

async function makeSource(args: Args): Promise<{ feed: LiveFeed; stop: () => Promise<void>; label: string }> {
  if (args.source === 'demo') {
    if (!existsSync(DEMO_FEED)) fail('--source demo needs src/sim/demo-feed.ts');
    const { createDemoFeed } = await import(DEMO_FEED.href);
    const feed = createDemoFeed({
      burst: true,
      prefillSeconds: DEMO_PREFILL_SECONDS,
      windowSeconds: DEMO_WINDOW_SECONDS,
    }) as LiveFeed;
    console.log(
      `source: demo network, burst mode, through the real parser, window, estimator and Orchestrator`,
    );
    await feed.start();
    const deadline = Date.now() + FIRST_ESTIMATE_TIMEOUT_MS;
    while (feed.current()?.price == null && Date.now() < deadline)
      await new Promise((r) => setTimeout(r, 200));
    if (feed.current()?.price == null) fail('the demo source made no estimate within two minutes');
    return { feed, stop: () => feed.stop(), label: 'demo (burst, real pipeline)' };
  }
  const feed = new FakeFeed();
  const stopUpdates = startSyntheticUpdates(feed, { rate: args.rate, pointsPerUpdate: args.points });
  console.log(`source: synthetic, ${args.rate} updates/s with ${args.points} evidence points each`);
  return {
    feed,
    stop: async () => stopUpdates(),
    label: `synthetic (${args.rate}/s × ${args.points} points)`,
  };
}

/** Counters from /metrics, read the way a scraper reads them. */
async function counters(app: FastifyInstance): Promise<Record<string, number>> {
  const text = (await app.inject({ url: '/metrics' })).body;
  const out: Record<string, number> = {};
  for (const line of text.split('\n')) {
    const match = /^(chainprice_ws_\w+) (\S+)$/.exec(line);
    if (match) out[match[1]] = Number(match[2]);
  }
  return out;
}

function slopePerMinute(samples: { t: number; v: number }[]): number {
  const n = samples.length;
  if (n < 2) return 0;
  const mt = samples.reduce((s, p) => s + p.t, 0) / n;
  const mv = samples.reduce((s, p) => s + p.v, 0) / n;
  let num = 0;
  let den = 0;
  for (const p of samples) {
    num += (p.t - mt) * (p.v - mv);
    den += (p.t - mt) ** 2;
  }
  return den === 0 ? 0 : (num / den) * 60;
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
      if (message.type === 'error') {
        clearTimeout(timer);
        reject(new Error(`clients: ${message.message}`));
      } else if (message.type === type) {
        clearTimeout(timer);
        child.off('message', onMessage);
        resolve(message as Extract<ChildMessage, { type: T }>);
      }
    };
    child.on('message', onMessage);
  });
}

const mb = (bytes: number) => bytes / 1024 / 1024;
const round = (x: number, d = 1) => Math.round(x * 10 ** d) / 10 ** d;

async function main(): Promise<void> {
  const args = readArgs();
  const source = await makeSource(args);
  const app = await buildApp({
    feed: source.feed,
    webRoot: null,
    // Every client the run asks for is served (the default cap, 1,000, would turn the rest away).
    hub: { maxClients: Math.max(args.clients, DEFAULT_HUB_LIMITS.maxClients) },
    log: (line) => console.error(`server: ${line}`),
  });
  await app.listen({ host: '127.0.0.1', port: 0 });
  const port = (app.server.address() as AddressInfo).port;
  let urls = [`ws://127.0.0.1:${port}/ws/mempool`];
  let topology: EdgeTopology | null = null;
  if (args.edges > 0) {
    topology = await startEdges(source.feed, args.edges, args.clients);
    urls = topology.urls;
    console.log(`edges: ${args.edges} chainprice edge processes fed over NATS; clients spread over them`);
  }
  const readCounters = () => (topology ? topology.counters() : counters(app));
  const processCpu = () =>
    topology
      ? {
          edges: topology.edgePids.map(cpuSecondsOf),
          nats: cpuSecondsOf(topology.natsPid),
          busBytes: topology.publisher.counters.bus_bytes_published,
        }
      : null;

  const child = fork(fileURLToPath(new URL('./ws-clients.ts', import.meta.url)), [], { stdio: 'inherit' });
  const tell = (message: ParentMessage) => child.send(message);
  tell({ type: 'start', urls, clients: args.clients });
  const connected = await waitFor(child, 'connected', 120_000 + args.clients * 100);
  console.log(
    `clients: ${connected.open} connected in ${round(connected.seconds, 2)} s` +
      (connected.failed > 0 ? `, ${connected.failed} failed` : ''),
  );
  await new Promise((r) => setTimeout(r, WARMUP_SECONDS * 1000));

  const gc = (globalThis as { gc?: () => void }).gc;
  gc?.();
  const before = await readCounters();
  const cpuBefore = process.cpuUsage();
  const processCpuBefore = processCpu();
  const started = performance.now();
  const rss: { t: number; v: number }[] = [];
  const heap: { t: number; v: number }[] = [];
  let cpuPeak = 0;
  let lastCpu = process.cpuUsage();
  let lastT = performance.now();
  tell({ type: 'measure' });
  const sampler = setInterval(() => {
    const t = (performance.now() - started) / 1000;
    const memory = process.memoryUsage();
    rss.push({ t, v: mb(memory.rss) });
    heap.push({ t, v: mb(memory.heapUsed) });
    const cpu = process.cpuUsage(lastCpu);
    const now = performance.now();
    cpuPeak = Math.max(cpuPeak, ((cpu.user + cpu.system) / 1000 / (now - lastT)) * 100);
    lastCpu = process.cpuUsage();
    lastT = now;
    if (args.duration >= 60 && Math.round(t) % 60 === 0) {
      console.log(
        `  ${Math.round(t)} s: RSS ${round(mb(memory.rss))} MB, heap ${round(mb(memory.heapUsed))} MB`,
      );
    }
  }, 1000);
  await new Promise((r) => setTimeout(r, args.duration * 1000));
  clearInterval(sampler);
  const resultsPromise = waitFor(child, 'results', 30_000);
  tell({ type: 'stop' });
  const clients: ClientResults = await resultsPromise;
  const elapsed = (performance.now() - started) / 1000;
  const cpu = process.cpuUsage(cpuBefore);
  const after = await readCounters();
  const processCpuAfter = processCpu();
  const delta = (name: string) => (after[name] ?? 0) - (before[name] ?? 0);

  await topology?.stop();
  await app.close();
  await source.stop();

  const dropped = delta('chainprice_ws_updates_dropped_total');
  const serverCpuPercent = ((cpu.user + cpu.system) / 1e6 / elapsed) * 100;
  const perClientBytesPerSecond = clients.bytes / Math.max(1, clients.clients) / clients.measuredSeconds;
  const firstMinute = rss.filter((s) => s.t <= Math.min(60, args.duration / 4));
  const lastMinute = rss.filter((s) => s.t >= args.duration - Math.min(60, args.duration / 4));
  const mean = (xs: { v: number }[]) =>
    xs.length === 0 ? Number.NaN : xs.reduce((s, x) => s + x.v, 0) / xs.length;
  const result = {
    date: new Date().toISOString(),
    node: process.version,
    source: source.label,
    clients: args.clients,
    connected: connected.open,
    connectFailures: connected.failed,
    durationSeconds: round(clients.measuredSeconds, 2),
    messages: {
      delivered: clients.messages,
      updatesDelivered: clients.updates,
      snapshotsDelivered: clients.snapshots,
      droppedForSlowClients: dropped,
      resyncs: delta('chainprice_ws_resyncs_total'),
      seqGaps: clients.seqGaps,
      badMessages: clients.badMessages,
      perClientPerSecond: round(clients.messages / Math.max(1, clients.clients) / clients.measuredSeconds, 2),
      serverSent: delta('chainprice_ws_messages_sent_total'),
    },
    latencyMs: {
      p50: round(clients.latencyMs.p50),
      p90: round(clients.latencyMs.p90),
      p99: round(clients.latencyMs.p99),
      max: round(clients.latencyMs.max),
      mean: round(clients.latencyMs.mean),
      samples: clients.latencyMs.count,
    },
    server: {
      cpuPercentOfOneCore: round(serverCpuPercent),
      cpuPeakPercentOfOneCore: round(cpuPeak),
      rssMB: {
        start: round(rss[0]?.v ?? Number.NaN),
        end: round(rss.at(-1)?.v ?? Number.NaN),
        max: round(Math.max(...rss.map((s) => s.v))),
        firstQuarterMean: round(mean(firstMinute)),
        lastQuarterMean: round(mean(lastMinute)),
        slopeMBPerMinute: round(slopePerMinute(rss), 2),
      },
      heapMB: { start: round(heap[0]?.v ?? Number.NaN), end: round(heap.at(-1)?.v ?? Number.NaN) },
      bytesSentPerSecond: Math.round(delta('chainprice_ws_bytes_sent_total') / elapsed),
      fanoutMsMean: round(
        (delta('chainprice_ws_fanout_seconds_sum') /
          Math.max(1, delta('chainprice_ws_fanout_seconds_count'))) *
          1000,
        2,
      ),
    },
    perClient: {
      bytesPerSecondMean: Math.round(perClientBytesPerSecond),
      bytesPerSecondMax: Math.round(clients.bytesPerClientMax / clients.measuredSeconds),
    },
    clientProcessCpuPercentOfOneCore: round((clients.cpuSeconds / clients.measuredSeconds) * 100),
    closedDuringRun: clients.closedDuringRun,
    scaleOut:
      processCpuBefore && processCpuAfter
        ? {
            edges: args.edges,
            clientsPerEdge: Math.round(args.clients / args.edges),
            edgeCpuPercentOfOneCore: processCpuAfter.edges.map((c, i) =>
              round(((c - processCpuBefore.edges[i]) / elapsed) * 100),
            ),
            /** This process: the synthetic source and the publisher (it publishes once, whatever the edges). */
            publisherProcessCpuPercentOfOneCore: round(serverCpuPercent),
            natsServerCpuPercentOfOneCore: round(
              ((processCpuAfter.nats - processCpuBefore.nats) / elapsed) * 100,
            ),
            busBytesPublishedPerSecond: Math.round(
              (processCpuAfter.busBytes - processCpuBefore.busBytes) / elapsed,
            ),
            /** Every edge receives every byte published: the NATS server sends this to each. */
            busBytesPerEdgePerSecond: Math.round(
              (processCpuAfter.busBytes - processCpuBefore.busBytes) / elapsed,
            ),
          }
        : undefined,
  };

  console.log(
    `\nWebSocket load: ${args.clients} clients, ${result.durationSeconds} s, source ${source.label}`,
  );
  console.log(
    `  delivered ${result.messages.delivered} messages (${result.messages.perClientPerSecond}/s per client, ` +
      `${result.messages.updatesDelivered} updates, ${result.messages.snapshotsDelivered} snapshots); ` +
      `dropped ${dropped} (slow clients), resyncs ${result.messages.resyncs}, seq gaps ${clients.seqGaps}`,
  );
  console.log(
    `  latency estimate→client: p50 ${result.latencyMs.p50} ms, p90 ${result.latencyMs.p90} ms, ` +
      `p99 ${result.latencyMs.p99} ms, max ${result.latencyMs.max} ms (${clients.latencyMs.count} updates)`,
  );
  console.log(
    `  server CPU ${result.server.cpuPercentOfOneCore} % of one core (peak ${result.server.cpuPeakPercentOfOneCore} %), ` +
      `RSS ${result.server.rssMB.start} → ${result.server.rssMB.end} MB (max ${result.server.rssMB.max}, ` +
      `slope ${result.server.rssMB.slopeMBPerMinute} MB/min); one update to all clients takes ` +
      `${result.server.fanoutMsMean} ms`,
  );
  console.log(
    `  per client ${round(result.perClient.bytesPerSecondMean / 1024, 2)} KiB/s ` +
      `(max ${round(result.perClient.bytesPerSecondMax / 1024, 2)} KiB/s); ` +
      `server sends ${round(mb(result.server.bytesSentPerSecond), 2)} MiB/s in all`,
  );
  console.log(
    `  client process CPU ${result.clientProcessCpuPercentOfOneCore} % of one core (not the server's)`,
  );
  if (result.scaleOut) {
    const so = result.scaleOut;
    console.log(
      `  scale-out: ${so.edges} edges, ~${so.clientsPerEdge} clients each; edge CPU ${so.edgeCpuPercentOfOneCore.join(' / ')} % of one core; ` +
        `publisher process ${so.publisherProcessCpuPercentOfOneCore} %, nats-server ${so.natsServerCpuPercentOfOneCore} %; ` +
        `bus ${round(so.busBytesPerEdgePerSecond / 1024, 2)} KiB/s to each edge`,
    );
    console.log(
      '  (with --edges, "server CPU" and "RSS" above are the publisher process; fan-out and bytes are summed over the edges)',
    );
  }

  mkdirSync(RESULTS, { recursive: true });
  const file = args.edges > 0 ? `ws-edges-${args.edges}.json` : 'ws.json';
  writeFileSync(new URL(file, `file://${RESULTS}`), `${JSON.stringify(result, null, 2)}\n`);
  console.log(`  wrote bench/results/${file}`);
  process.exit(0);
}

main().catch((error) => {
  console.error(`bench/ws: ${error instanceof Error ? error.message : String(error)}`);
  process.exit(1);
});
