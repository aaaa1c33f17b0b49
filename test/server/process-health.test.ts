// The process's own health: /health's resident-memory ceiling and event-loop stall problems (pure
// report and through the app), the stall watch itself, and /metrics with prom-client's default
// Node.js metrics and the block window's size, each metric family once.

import assert from 'node:assert/strict';
import { after, describe, test } from 'node:test';
import type { FastifyInstance } from 'fastify';
import { type AppOptions, buildApp } from '../../src/server/app.ts';
import { DEFAULT_HEALTH_LIMITS, healthReport } from '../../src/server/health.ts';
import { processWatch } from '../../src/server/process-metrics.ts';
import { waitFor } from '../support/wait.ts';
import { FakeFeed, numberedPoints } from './fake-feed.ts';

const apps: FastifyInstance[] = [];
after(async () => {
  for (const app of apps) await app.close();
});

async function build(options: Partial<AppOptions> = {}) {
  const feed = new FakeFeed({ source: 'node' });
  const app = await buildApp({ webRoot: null, log: () => {}, ...options, feed });
  apps.push(app);
  feed.emit(numberedPoints(1, 3));
  return app;
}

describe('health of the process', () => {
  test('resident memory over the ceiling and a stalled event loop are problems, each named', () => {
    const feed = new FakeFeed({ source: 'node' });
    feed.emit(numberedPoints(1, 3));
    const limits = { ...DEFAULT_HEALTH_LIMITS, maxRssBytes: 200 * 2 ** 20 };
    const fine = healthReport(feed.health(), limits, {
      process: { rssBytes: 150 * 2 ** 20, eventLoopStallSeconds: 0.02 },
    });
    assert.equal(fine.statusCode, 200);
    assert.deepEqual(fine.body.problems, []);
    assert.deepEqual(fine.body.process, {
      rss_bytes: 150 * 2 ** 20,
      max_rss_bytes: 200 * 2 ** 20,
      event_loop_stall_seconds: 0.02,
    });
    const bad = healthReport(feed.health(), limits, {
      process: { rssBytes: 260 * 2 ** 20, eventLoopStallSeconds: 2.34 },
    });
    assert.equal(bad.statusCode, 503);
    assert.deepEqual(bad.body.problems, [
      'resident memory 260 MB is over the 200 MB ceiling',
      'the event loop stalled for 2.3 s (limit 1 s)',
    ]);
    // No ceiling by default: any size is fine.
    const open = healthReport(feed.health(), DEFAULT_HEALTH_LIMITS, {
      process: { rssBytes: 2 ** 40, eventLoopStallSeconds: 0 },
    });
    assert.deepEqual(open.body.problems, []);
  });

  test('/health applies the configured ceiling to this process', async () => {
    const tight = await build({ health: { maxRssBytes: 1024 * 1024 } });
    const res = await tight.inject({ url: '/health' });
    assert.equal(res.statusCode, 503);
    const body = JSON.parse(res.body);
    assert.match(body.problems.join('; '), /resident memory \d+ MB is over the 1 MB ceiling/);
    assert.ok(body.process.rss_bytes > 1024 * 1024);
    const roomy = await build({ health: { maxRssBytes: 64 * 2 ** 30 } });
    assert.equal((await roomy.inject({ url: '/health' })).statusCode, 200);
  });

  test('the stall watch sees the event loop blocked', async () => {
    const watch = processWatch();
    const until = performance.now() + 1300;
    while (performance.now() < until) {
      // blocking on purpose
    }
    // The watch's next tick (late by the block, less its own 250 ms period) records the stall.
    const stalled = await waitFor(() => watch.stallSeconds(), {
      what: 'the watch to record the stall',
      until: (s) => s >= 1,
      timeoutMs: 5_000,
    });
    assert.ok(stalled >= 1, `saw ${stalled} s`);
    const app = await build();
    const res = await app.inject({ url: '/health' });
    assert.equal(res.statusCode, 503);
    assert.match(JSON.parse(res.body).problems.join('; '), /the event loop stalled for 1\.\d s/);
    // With a looser limit (serve --max-stall 3) the same stall is no problem.
    const patient = await build({ health: { maxEventLoopStallSeconds: 3 } });
    assert.equal((await patient.inject({ url: '/health' })).statusCode, 200);
  });

  test("start-up's stalls are forgotten once the service has started; later ones count", async () => {
    const watch = processWatch();
    const block = (ms: number) => {
      const until = performance.now() + ms;
      while (performance.now() < until) {
        // blocking on purpose
      }
    };
    block(1300);
    await waitFor(() => watch.stallSeconds(), {
      what: 'the start-up stall',
      until: (s) => s >= 1,
      timeoutMs: 5_000,
    });
    watch.startUpOver();
    assert.equal(watch.stallSeconds(), 0);
    const app = await build();
    assert.equal((await app.inject({ url: '/health' })).statusCode, 200);
    block(1300);
    const later = await waitFor(() => watch.stallSeconds(), {
      what: 'the stall after start-up',
      until: (s) => s >= 1,
      timeoutMs: 5_000,
    });
    assert.ok(later >= 1, `saw ${later} s`);
    assert.equal((await app.inject({ url: '/health' })).statusCode, 503);
  });
});

describe('/metrics of the process', () => {
  test("prom-client's default metrics, the block window, and no metric twice", async () => {
    const stats = { blocks: 144, transactions: 501_234, candidateOutputs: 120_000, bytes: 31_000_000 };
    const app = await build({ blockWindow: () => stats });
    const res = await app.inject({ url: '/metrics' });
    assert.equal(res.statusCode, 200);
    const text = res.body;
    for (const name of [
      'process_resident_memory_bytes',
      'process_cpu_seconds_total',
      'nodejs_heap_size_used_bytes',
      'nodejs_heap_size_total_bytes',
      'nodejs_external_memory_bytes',
      'nodejs_eventloop_lag_p50_seconds',
      'nodejs_eventloop_lag_p99_seconds',
      'nodejs_gc_duration_seconds',
      'chainprice_window_size',
    ])
      assert.match(text, new RegExp(`^# TYPE ${name} `, 'm'), name);
    assert.match(text, /^chainprice_block_window_blocks 144$/m);
    assert.match(text, /^chainprice_block_window_transactions 501234$/m);
    assert.match(text, /^chainprice_block_window_candidate_outputs 120000$/m);
    assert.match(text, /^chainprice_block_window_bytes 31000000$/m);
    const families = [...text.matchAll(/^# TYPE (\S+) /gm)].map((m) => m[1]);
    assert.deepEqual(
      families.filter((name, i) => families.indexOf(name) !== i),
      [],
    );
    const rss = Number(/^process_resident_memory_bytes (\d+)/m.exec(text)?.[1]);
    assert.ok(rss > 10 * 2 ** 20, `rss ${rss}`);
    // Without a block window (the demo), no block window figures.
    const demo = await (await build()).inject({ url: '/metrics' });
    assert.doesNotMatch(demo.body, /chainprice_block_window_(blocks|transactions|bytes)/);
  });
});
