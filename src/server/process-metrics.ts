// The process's own figures, for /metrics and /health. In: nothing (the running process). Out: a
// prom-client Registry with its default Node.js metrics (process_resident_memory_bytes,
// nodejs_heap_size_used_bytes / _total_bytes, nodejs_external_memory_bytes, the heap spaces,
// nodejs_eventloop_lag_p50_seconds / _p99_seconds, nodejs_gc_duration_seconds, …: the names
// Prometheus users know) and two of our own (nodejs_heap_used_bytes, process_uptime_seconds); the
// resident memory, and the longest event-loop stall of the last minute (stalls while the service
// starts — filling its windows, building history — are expected and forgotten once it has started:
// startUpOver()). One per process, however
// many apps it builds (the figures are the process's, and collectDefaultMetrics starts an event-loop
// monitor and a GC observer each time it registers): processWatch() makes it on first use, and each
// app's /metrics merges this registry with its own (metrics-report.ts).

import { collectDefaultMetrics, Gauge, Registry } from 'prom-client';

/** How often the stall watch's timer runs: a tick late by more than this much is a stall. */
const TICK_MS = 250;
/** /health looks at the stalls of this last stretch of time. */
export const STALL_WINDOW_SECONDS = 60;

export class ProcessWatch {
  readonly registry = new Registry();
  private readonly timer: NodeJS.Timeout;
  private expected = performance.now() + TICK_MS;
  /** The worst lateness (ms) seen in each of the last few windows, and when the window began. */
  private worstMs = 0;
  private previousWorstMs = 0;
  private windowStart = performance.now();

  constructor() {
    collectDefaultMetrics({ register: this.registry });
    new Gauge({
      name: 'nodejs_heap_used_bytes',
      help: 'V8 heap in use.',
      registers: [this.registry],
      collect() {
        this.set(process.memoryUsage().heapUsed);
      },
    });
    new Gauge({
      name: 'process_uptime_seconds',
      help: 'Seconds since this process started.',
      registers: [this.registry],
      collect() {
        this.set(process.uptime());
      },
    });
    this.timer = setInterval(() => this.tick(), TICK_MS);
    this.timer.unref();
  }

  /** Resident set size, bytes. */
  rssBytes(): number {
    return process.memoryUsage.rss();
  }

  /**
   * The longest the event loop was blocked (seconds) in the last STALL_WINDOW_SECONDS to twice
   * that: how late the watch's timer fired, its worst case (a stall still going on shows once it ends).
   */
  stallSeconds(): number {
    this.roll(performance.now());
    return Math.max(this.worstMs, this.previousWorstMs) / 1000;
  }

  /**
   * The service has started (its windows filled, its first history built): the stalls of that
   * expected start-up work are forgotten, so a slow box's /health is not unhealthy for minutes after
   * a start that went well. Stalls from now on count.
   */
  startUpOver(): void {
    const now = performance.now();
    this.worstMs = 0;
    this.previousWorstMs = 0;
    this.windowStart = now;
    this.expected = now + TICK_MS;
  }

  private tick(): void {
    const now = performance.now();
    const late = now - this.expected;
    this.roll(now);
    if (late > this.worstMs) this.worstMs = late;
    this.expected = now + TICK_MS;
  }

  private roll(now: number): void {
    if (now - this.windowStart < STALL_WINDOW_SECONDS * 1000) return;
    // A window with no tick at all (a stall longer than the window) still ends with that tick.
    this.previousWorstMs = now - this.windowStart < 2 * STALL_WINDOW_SECONDS * 1000 ? this.worstMs : 0;
    this.worstMs = 0;
    this.windowStart = now;
  }
}

let shared: ProcessWatch | null = null;

export function processWatch(): ProcessWatch {
  shared ??= new ProcessWatch();
  return shared;
}
