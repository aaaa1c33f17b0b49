// Measuring the NATS tests' programs from outside: an ordinary WebSocket reader that notes when each
// message arrives, intervals between arrivals and their quantiles, the same-pace rule the tests
// apply, a process's RSS from /proc, and one figure from a /metrics page.

import { readFileSync } from 'node:fs';
import type { ServerMessage } from '../../../src/server/protocol.ts';

export const MiB = 2 ** 20;

export interface Arrival {
  at: number;
  seq: number;
  type: string;
}

/** An ordinary reader: every message's arrival time, type and seq. */
export function reader(url: string): { arrivals: Arrival[]; close: () => void; opened: Promise<void> } {
  const ws = new WebSocket(url);
  const arrivals: Arrival[] = [];
  ws.addEventListener('message', (event) => {
    const m = JSON.parse(String(event.data)) as ServerMessage;
    arrivals.push({ at: performance.now(), seq: 'seq' in m ? Number(m.seq) : -1, type: m.type });
  });
  const opened = new Promise<void>((resolve, reject) => {
    ws.addEventListener('open', () => resolve(), { once: true });
    ws.addEventListener('error', () => reject(new Error(`cannot open ${url}`)), { once: true });
  });
  return { arrivals, close: () => ws.close(), opened };
}

export function quantile(values: number[], q: number): number {
  if (values.length === 0) return Number.NaN;
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))];
}

export interface Intervals {
  n: number;
  p50: number;
  p95: number;
  max: number;
}

export function intervals(times: number[]): Intervals {
  const gaps = times.slice(1).map((t, i) => t - times[i]);
  return { n: gaps.length, p50: quantile(gaps, 0.5), p95: quantile(gaps, 0.95), max: Math.max(...gaps) };
}

export const shown = (i: Intervals) =>
  `${i.n} intervals, p50 ${i.p50.toFixed(0)} ms, p95 ${i.p95.toFixed(0)} ms, max ${i.max.toFixed(0)} ms`;

/** The same pace: at most a little slower than before (a loaded, shared 2-core machine). */
export const samePace = (now: Intervals, before: Intervals) =>
  now.p95 <= Math.max(before.p95 * 1.5, before.p95 + 250);

export function rssMiB(pid: number): number {
  const kb = Number(/VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1]);
  return kb / 1024;
}

export async function metric(url: string, name: string): Promise<number> {
  const text = await (await fetch(`${url}metrics`)).text();
  const found = new RegExp(`^${name}(?:\\{[^}]*\\})? (\\S+)$`, 'm').exec(text);
  if (found === null) throw new Error(`${url}metrics has no ${name}`);
  return Number(found[1]);
}
