// /metrics as Prometheus judges it: the service built around the demo feed (with a block window's
// size, as a node gives, and a history storage that refused writes), listening on a real port, after some updates, HTTP requests and a
// WebSocket client; its page is scraped with the token and handed to `promtool check metrics`. Any
// finding is a failure unless it names one of prom-client's own default metrics (their names are
// the usual Node.js exporter's, kept as they are). Skips with a clear message when promtool cannot
// be had (scripts/install-promtool.sh installs it; CI runs that script).

import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import { after, before, describe, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import type { FastifyInstance } from 'fastify';
import { collectDefaultMetrics, Registry } from 'prom-client';
import { buildApp } from '../../../src/server/app.ts';
import { createDemoFeed, type DemoFeed } from '../../../src/sim/demo-feed.ts';
import { StorageWatch } from '../../../src/store/storage.ts';
import { parseExposition, sampleValue } from '../../server/exposition.ts';
import { openClient } from '../../server/ws-client.ts';

const ROOT = fileURLToPath(new URL('../../../', import.meta.url));
const TOKEN = 'promtool-test-token';

/** promtool from CHAINPRICE_TEST_PROMTOOL, PATH or .cache/promtool (installed once if missing), or why not. */
function findPromtool(): { promtool: string } | { skip: string } {
  const custom = process.env.CHAINPRICE_TEST_PROMTOOL;
  if (custom)
    return runs(custom) ? { promtool: custom } : { skip: `CHAINPRICE_TEST_PROMTOOL=${custom} does not run` };
  const cached = `${ROOT}.cache/promtool/bin/promtool`;
  const found = () => (runs('promtool') ? 'promtool' : existsSync(cached) && runs(cached) ? cached : null);
  let promtool = found();
  if (promtool === null) {
    const install = spawnSync('bash', [`${ROOT}scripts/install-promtool.sh`], { encoding: 'utf8' });
    promtool = found();
    if (promtool === null)
      return {
        skip: `promtool is not installed: ${(install.stdout + install.stderr).trim() || 'scripts/install-promtool.sh failed'}`,
      };
  }
  return { promtool };
}

function runs(binary: string): boolean {
  return spawnSync(binary, ['--version'], { encoding: 'utf8' }).status === 0;
}

const found = findPromtool();
const skip = 'skip' in found ? found.skip : false;
if (skip) console.log(`promtool test skipped: ${skip}`);

/** prom-client's default metric names, from a registry of its own. */
async function defaultMetricNames(): Promise<Set<string>> {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry });
  return new Set((await registry.getMetricsAsJSON()).map((m) => m.name));
}

describe('promtool check metrics on a running service', { skip, timeout: 120_000 }, () => {
  let feed: DemoFeed;
  let app: FastifyInstance;
  let base = '';

  before(async () => {
    feed = createDemoFeed({ windowSeconds: 1_800, prefillSeconds: 1_800, speed: 30, seed: 3 });
    await feed.start();
    // The storage metrics with figures: a data directory that refused two estimates (SQLite's "full").
    const storage = new StorageWatch('/data');
    const full = Object.assign(new Error('database or disk is full'), {
      code: 'ERR_SQLITE_ERROR',
      errcode: 13,
    });
    storage.failed('live', full, true);
    storage.failed('live', full, true);
    app = await buildApp({
      storage,
      feed,
      blocks: feed.blockPrices,
      webRoot: null,
      log: () => {},
      token: TOKEN,
      hub: { minUpdateIntervalMs: 50 },
      shutdownGraceMs: 200,
      blockWindow: () => ({ blocks: 144, transactions: 1_000, candidateOutputs: 900, bytes: 123_456 }),
    });
    await app.listen({ host: '127.0.0.1', port: 0 });
    base = `127.0.0.1:${(app.server.address() as AddressInfo).port}`;
  });

  after(async () => {
    await app?.close();
    await feed?.stop();
  });

  test('finds nothing beyond the names of prom-client’s default metrics', async () => {
    const client = await openClient(`ws://${base}/ws/mempool?token=${TOKEN}`);
    await client.waitFor((m) => m.type === 'update', 0, 20_000);
    const auth = { authorization: `Bearer ${TOKEN}` };
    assert.equal((await fetch(`http://${base}/api/v1/price`, { headers: auth })).status, 200);
    assert.equal((await fetch(`http://${base}/no-such-page`, { headers: auth })).status, 404);

    assert.equal((await fetch(`http://${base}/metrics`)).status, 401, 'the token guards /metrics');
    const res = await fetch(`http://${base}/metrics`, { headers: auth });
    assert.equal(res.status, 200);
    assert.equal(res.headers.get('content-type'), 'text/plain; version=0.0.4; charset=utf-8');
    const text = await res.text();
    client.close();

    // The page holds real figures, not just declarations.
    const families = parseExposition(text);
    const value = (name: string, labels?: Record<string, string>) => sampleValue(families, name, labels) ?? 0;
    assert.ok(value('chainprice_transactions_received_total') > 0);
    assert.ok(value('chainprice_estimate_duration_seconds_count') > 0);
    assert.ok(value('chainprice_ws_connections_total') >= 1);
    assert.ok(value('chainprice_ws_messages_sent_total') >= 2);
    assert.ok(value('chainprice_ws_fanout_seconds_count') >= 1);
    assert.equal(
      value('chainprice_http_requests_total', { method: 'GET', route: 'unmatched', status: '404' }),
      1,
    );
    assert.equal(value('chainprice_block_window_blocks'), 144);
    assert.ok([...families.keys()].some((name) => name.startsWith('chainprice_feed_')));
    assert.ok(value('process_resident_memory_bytes') > 0);
    assert.equal(value('chainprice_history_writes_dropped_total', { writer: 'live' }), 2);
    assert.equal(value('chainprice_history_storage_ok'), 0);

    const promtool = (found as { promtool: string }).promtool;
    const check = spawnSync(promtool, ['check', 'metrics'], { input: text, encoding: 'utf8' });
    const output = `${check.stdout}${check.stderr}`.trim();
    const defaults = await defaultMetricNames();
    const findings = output === '' ? [] : output.split('\n');
    const ours = findings.filter((line) => !defaults.has(line.split(' ', 1)[0]));
    assert.deepEqual(ours, [], `promtool's findings about our metrics or the format:\n${output}`);
    // 0: clean; 3: lint findings (here only about prom-client's default names). Anything else is an error.
    assert.ok(check.status === 0 || check.status === 3, `promtool exited ${check.status}: ${output}`);
    if (process.env.CHAINPRICE_TEST_VERBOSE) console.error(`promtool (exit ${check.status}):\n${output}`);
  });
});
