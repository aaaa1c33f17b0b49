// The scale-out topology for `bench/ws.ts --edges N`: a nats-server of its own (free port, JetStream
// in a temporary folder), the estimator's publisher on the benchmark's source in this process, and
// N `chainprice edge` processes (each its own process, as deployed). Gives the edges' stream URLs,
// their /metrics counters summed, and the CPU seconds of each process (from /proc), so the figures
// split into per-edge capacity, the publisher's cost and the NATS server's cost.

import { type ChildProcess, spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { openBus } from '../src/bus/bus-start.ts';
import { natsTarget } from '../src/bus/nats-target.ts';
import { BusPublisher } from '../src/bus/publisher.ts';
import type { LiveFeed } from '../src/live/feed.ts';
import { NatsServer, NO_NATS } from '../test/integration/nats/nats-server.ts';

const CLI = fileURLToPath(new URL('../src/cli.ts', import.meta.url));
const TICKS_PER_SECOND = 100;

/** utime + stime of a process, in seconds (Linux). */
export function cpuSecondsOf(pid: number): number {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return (Number(fields[11]) + Number(fields[12])) / TICKS_PER_SECOND;
}

export interface EdgeTopology {
  urls: string[];
  edgePids: number[];
  natsPid: number;
  publisher: BusPublisher;
  /** chainprice_ws_* counters of every edge's /metrics, summed. */
  counters(): Promise<Record<string, number>>;
  stop(): Promise<void>;
}

export async function startEdges(feed: LiveFeed, edges: number, clients: number): Promise<EdgeTopology> {
  if (NO_NATS) throw new Error(`--edges needs nats-server: ${NO_NATS}`);
  const nats = await NatsServer.start();
  const bus = await openBus(natsTarget(nats.url, {}, '--nats', ''), 'estimator');
  const publisher = new BusPublisher({
    nc: bus.nc,
    kv: bus.kv,
    network: 'demo',
    feed,
    instance: bus.instance,
    log: (line) => console.error(`estimator: ${line}`),
  });
  publisher.start();
  const deadline = Date.now() + 10_000;
  while (!publisher.publishing) {
    if (Date.now() > deadline) throw new Error('the publisher did not take the lease within 10 s');
    await new Promise((r) => setTimeout(r, 50));
  }

  const children: ChildProcess[] = [];
  const urls: string[] = [];
  const bases: string[] = [];
  for (let i = 0; i < edges; i++) {
    const child = spawn(
      process.execPath,
      // Each edge serves every client, should they all come to it.
      [
        CLI,
        'edge',
        '--nats',
        nats.url,
        '--network',
        'demo',
        '--port',
        '0',
        '--max-clients',
        String(Math.max(clients, 1)),
      ],
      {
        stdio: ['ignore', 'ignore', 'pipe'],
      },
    );
    children.push(child);
    const base = await new Promise<string>((resolve, reject) => {
      let text = '';
      const timer = setTimeout(() => reject(new Error(`edge ${i + 1} did not start:\n${text}`)), 30_000);
      child.stderr?.on('data', (chunk) => {
        text += chunk;
        const match = /on (http:\/\/\S+)\//.exec(text);
        if (match) {
          clearTimeout(timer);
          resolve(match[1]);
        }
      });
      child.on('exit', () => reject(new Error(`edge ${i + 1} exited:\n${text}`)));
    });
    bases.push(base);
    urls.push(`${base.replace('http', 'ws')}/ws/mempool`);
  }
  for (const base of bases) {
    for (let i = 0; ; i++) {
      if ((await fetch(`${base}/health`)).status === 200) break;
      if (i > 100) throw new Error(`edge ${base} stayed unhealthy`);
      await new Promise((r) => setTimeout(r, 100));
    }
  }
  const natsPid = nats.pid as number;

  return {
    urls,
    edgePids: children.map((c) => c.pid as number),
    natsPid,
    publisher,
    async counters() {
      const sum: Record<string, number> = {};
      for (const base of bases) {
        const text = await (await fetch(`${base}/metrics`)).text();
        for (const line of text.split('\n')) {
          const match = /^(chainprice_ws_\w+) (\S+)$/.exec(line);
          if (match) sum[match[1]] = (sum[match[1]] ?? 0) + Number(match[2]);
        }
      }
      return sum;
    },
    async stop() {
      for (const child of children) child.kill('SIGTERM');
      await Promise.all(
        children.map((c) => (c.exitCode !== null ? null : new Promise((r) => c.once('exit', r)))),
      );
      await publisher.stop();
      await bus.nc.close();
      await nats.dispose();
    },
  };
}
