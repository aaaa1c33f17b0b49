// /metrics through prom-client: every family's name, type and HELP (the names users' dashboards
// use), the values read from the feed, the hub, the block window and the HTTP routes, families that
// come and go with their source, one registry per app with the process's metrics in each app's
// page once, and the page itself (content type, token). The text is read back with a strict parser.

import assert from 'node:assert/strict';
import { after, describe, test } from 'node:test';
import type { FastifyInstance } from 'fastify';
import { Registry } from 'prom-client';
import { type AppOptions, buildApp } from '../../src/server/app.ts';
import type { HubCounters } from '../../src/server/mempool-hub.ts';
import { type BlockWindowStats, type HubFigures, ServiceMetrics } from '../../src/server/metrics-report.ts';
import { processWatch } from '../../src/server/process-metrics.ts';
import { type Family, parseExposition, sampleValue } from './exposition.ts';
import { FakeFeed, numberedPoints } from './fake-feed.ts';

/** The service's own families and their types: the names in docs/api.md. */
const SERVICE_FAMILIES: Record<string, string> = {
  chainprice_info: 'gauge',
  chainprice_transactions_received_total: 'counter',
  chainprice_transactions_filtered_total: 'counter',
  chainprice_transactions_in_window: 'gauge',
  chainprice_window_size: 'gauge',
  chainprice_estimate_duration_seconds: 'histogram',
  chainprice_price_usd: 'gauge',
  chainprice_confidence: 'gauge',
  chainprice_block_window_price_usd: 'gauge',
  chainprice_source_connected: 'gauge',
  chainprice_last_message_age_seconds: 'gauge',
  chainprice_last_estimate_age_seconds: 'gauge',
  chainprice_zmq_reconnects_total: 'counter',
  chainprice_zmq_gaps_total: 'counter',
  chainprice_ws_clients: 'gauge',
  chainprice_ws_clients_behind: 'gauge',
  chainprice_ws_connections_total: 'counter',
  chainprice_ws_fanout_seconds: 'histogram',
  chainprice_ws_messages_sent_total: 'counter',
  chainprice_ws_bytes_sent_total: 'counter',
  chainprice_ws_snapshots_sent_total: 'counter',
  chainprice_ws_updates_dropped_total: 'counter',
  chainprice_ws_resyncs_total: 'counter',
  chainprice_ws_client_messages_total: 'counter',
  chainprice_ws_client_messages_refused_total: 'counter',
  chainprice_ws_error_frames_total: 'counter',
  chainprice_ws_policy_closes_total: 'counter',
  chainprice_ws_heartbeat_timeouts_total: 'counter',
  chainprice_ws_connections_refused_total: 'counter',
  chainprice_http_requests_total: 'counter',
};
const BLOCK_WINDOW_FAMILIES = [
  'chainprice_block_window_blocks',
  'chainprice_block_window_transactions',
  'chainprice_block_window_candidate_outputs',
  'chainprice_block_window_bytes',
];
const NODE_LINK_FAMILIES = [
  'chainprice_node_rpc_answering',
  'chainprice_node_rpc_answer_age_seconds',
  'chainprice_node_zmq_quiet_seconds',
];
/** The process's figures of our own, beside prom-client's default metrics. */
const PROCESS_FAMILIES: Record<string, string> = {
  nodejs_heap_used_bytes: 'gauge',
  process_uptime_seconds: 'gauge',
};

const apps: FastifyInstance[] = [];
after(async () => {
  for (const app of apps) await app.close();
});

async function build(options: Partial<AppOptions> = {}, feed = new FakeFeed({ source: 'node' })) {
  const app = await buildApp({ webRoot: null, log: () => {}, ...options, feed });
  apps.push(app);
  return { app, feed };
}

async function scrape(app: FastifyInstance, headers: Record<string, string> = {}) {
  const res = await app.inject({ url: '/metrics', headers });
  assert.equal(res.statusCode, 200, res.body);
  return parseExposition(res.body);
}

class FakeHub implements HubFigures {
  counters: HubCounters = {
    connections: 1,
    messagesSent: 2,
    bytesSent: 3,
    snapshotsSent: 4,
    updatesDropped: 5,
    resyncs: 6,
    errorFramesSent: 7,
    clientMessages: 8,
    clientMessagesRefused: 9,
    closedForPolicy: 10,
    heartbeatTimeouts: 11,
    refusedFull: 14,
  };
  clientCount = 12;
  clientsBehind = 13;
  readonly listeners = new Set<(seconds: number) => void>();
  onFanout(listener: (seconds: number) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }
  fanout(seconds: number): void {
    for (const listener of this.listeners) listener(seconds);
  }
}

async function read(metrics: ServiceMetrics): Promise<Map<string, Family>> {
  return parseExposition(await metrics.scrape().metrics());
}

describe('the families', () => {
  test('every name and type as documented, each with its HELP, as the registry holds them', async () => {
    const feed = new FakeFeed({ source: 'node' });
    feed.healthValue = {
      ...feed.healthValue,
      counters: { transactions_received: 5, zmq_gaps: 1, transactions_removed: 2, blocks_connected: 3 },
    };
    const stats: BlockWindowStats = { blocks: 144, transactions: 9, candidateOutputs: 8, bytes: 7 };
    const metrics = new ServiceMetrics({ feed, hub: new FakeHub(), blockWindow: () => stats });
    const registry = metrics.scrape();
    const families = parseExposition(await registry.metrics());

    const expected: Record<string, string> = {
      ...SERVICE_FAMILIES,
      ...Object.fromEntries(BLOCK_WINDOW_FAMILIES.map((name) => [name, 'gauge'])),
      chainprice_feed_transactions_removed: 'gauge',
      chainprice_feed_blocks_connected: 'gauge',
    };
    const ours = [...families.values()].filter((f) => f.name.startsWith('chainprice_'));
    assert.deepEqual(Object.fromEntries(ours.map((f) => [f.name, f.type])), expected);
    for (const [name, type] of Object.entries(PROCESS_FAMILIES)) assert.equal(families.get(name)?.type, type);
    for (const family of families.values()) assert.match(family.help, /\S/, `${family.name} has a HELP`);
    assert.equal(
      families.get('chainprice_price_usd')?.help,
      'The live estimate in USD per BTC (NaN when there is none).',
    );
    assert.equal(
      families.get('chainprice_feed_transactions_removed')?.help,
      'The feed\'s "transactions_removed" counter.',
    );

    // The text is the registry's: the same families, types and HELP as its JSON.
    const json = await registry.getMetricsAsJSON();
    assert.deepEqual(
      json.map((m) => [m.name, m.type, m.help]),
      [...families.values()].map((f) => [f.name, f.type, f.help]),
    );
    metrics.close();
  });

  test('the histograms keep their buckets', async () => {
    const { app } = await build();
    const families = await scrape(app);
    const bounds = (name: string) =>
      families
        .get(name)
        ?.samples.filter((s) => s.name === `${name}_bucket`)
        .map((s) => s.labels.le);
    assert.deepEqual(bounds('chainprice_estimate_duration_seconds'), [
      '0.001',
      '0.0025',
      '0.005',
      '0.01',
      '0.025',
      '0.05',
      '0.1',
      '0.25',
      '0.5',
      '1',
      '2.5',
      '+Inf',
    ]);
    assert.deepEqual(bounds('chainprice_ws_fanout_seconds'), [
      '0.0005',
      '0.001',
      '0.0025',
      '0.005',
      '0.01',
      '0.025',
      '0.05',
      '0.1',
      '0.25',
      '0.5',
      '1',
      '+Inf',
    ]);
  });
});

describe('the values', () => {
  test("the feed's, the hub's, the block window's and the timings", async () => {
    const feed = new FakeFeed({ source: 'node' });
    const hub = new FakeHub();
    const stats: BlockWindowStats = {
      blocks: 144,
      transactions: 501_234,
      candidateOutputs: 120_000,
      bytes: 31e6,
    };
    const metrics = new ServiceMetrics({ feed, hub, blockWindow: () => stats });
    feed.healthValue = {
      ...feed.healthValue,
      lastMessageAgeSeconds: 1.5,
      counters: { zmq_reconnects: 2, 'mempool.resyncs': 4, transactions_removed: 30 },
    };
    feed.emit(numberedPoints(1, 5), {
      price: 65_000,
      confidence: 0.5,
      blockWindowPrice: 64_900,
      estimateMs: 7,
      stats: { total_received: 100, total_filtered: 40, active_in_window: 60, uptime_seconds: 5 },
    });
    feed.emit([], { estimateMs: 30 });
    hub.fanout(0.0007);
    metrics.httpRequests.inc({ method: 'GET', route: '/api/v1/price', status: '200' });
    metrics.httpRequests.inc({ method: 'GET', route: '/api/v1/price', status: '200' });
    metrics.httpRequests.inc({ method: 'GET', route: 'unmatched', status: '404' });

    const families = await read(metrics);
    const value = (name: string, labels?: Record<string, string>) => sampleValue(families, name, labels);
    assert.equal(value('chainprice_info', { source: 'node' }), 1);
    assert.equal(families.get('chainprice_info')?.samples.length, 1);
    assert.equal(value('chainprice_transactions_received_total'), 100);
    assert.equal(value('chainprice_transactions_filtered_total'), 40);
    assert.equal(value('chainprice_transactions_in_window'), 60);
    assert.equal(value('chainprice_window_size'), 5);
    assert.equal(value('chainprice_price_usd'), 65_000);
    assert.equal(value('chainprice_confidence'), 0.5);
    assert.equal(value('chainprice_block_window_price_usd'), 64_900);
    assert.equal(value('chainprice_source_connected'), 1);
    assert.equal(value('chainprice_last_message_age_seconds'), 1.5);
    assert.equal(value('chainprice_last_estimate_age_seconds'), 0);
    assert.equal(value('chainprice_zmq_reconnects_total'), 2);
    assert.equal(value('chainprice_zmq_gaps_total'), 0);
    assert.equal(value('chainprice_feed_mempool_resyncs'), 4);
    assert.equal(value('chainprice_feed_transactions_removed'), 30);
    assert.equal(value('chainprice_estimate_duration_seconds_bucket', { le: '0.005' }), 0);
    assert.equal(value('chainprice_estimate_duration_seconds_bucket', { le: '0.01' }), 1);
    assert.equal(value('chainprice_estimate_duration_seconds_bucket', { le: '0.05' }), 2);
    assert.equal(value('chainprice_estimate_duration_seconds_count'), 2);
    assert.ok(Math.abs((value('chainprice_estimate_duration_seconds_sum') ?? 0) - 0.037) < 1e-12);
    assert.equal(value('chainprice_ws_fanout_seconds_bucket', { le: '0.0005' }), 0);
    assert.equal(value('chainprice_ws_fanout_seconds_bucket', { le: '0.001' }), 1);
    assert.equal(value('chainprice_ws_fanout_seconds_count'), 1);
    assert.equal(value('chainprice_ws_clients'), 12);
    assert.equal(value('chainprice_ws_clients_behind'), 13);
    const hubNames: [string, keyof HubCounters][] = [
      ['chainprice_ws_connections_total', 'connections'],
      ['chainprice_ws_messages_sent_total', 'messagesSent'],
      ['chainprice_ws_bytes_sent_total', 'bytesSent'],
      ['chainprice_ws_snapshots_sent_total', 'snapshotsSent'],
      ['chainprice_ws_updates_dropped_total', 'updatesDropped'],
      ['chainprice_ws_resyncs_total', 'resyncs'],
      ['chainprice_ws_error_frames_total', 'errorFramesSent'],
      ['chainprice_ws_client_messages_total', 'clientMessages'],
      ['chainprice_ws_client_messages_refused_total', 'clientMessagesRefused'],
      ['chainprice_ws_policy_closes_total', 'closedForPolicy'],
      ['chainprice_ws_heartbeat_timeouts_total', 'heartbeatTimeouts'],
      ['chainprice_ws_connections_refused_total', 'refusedFull'],
    ];
    for (const [name, key] of hubNames) assert.equal(value(name), hub.counters[key], name);
    assert.equal(
      value('chainprice_http_requests_total', { method: 'GET', route: '/api/v1/price', status: '200' }),
      2,
    );
    assert.equal(
      value('chainprice_http_requests_total', { method: 'GET', route: 'unmatched', status: '404' }),
      1,
    );
    assert.equal(value('chainprice_block_window_blocks'), 144);
    assert.equal(value('chainprice_block_window_transactions'), 501_234);
    assert.equal(value('chainprice_block_window_candidate_outputs'), 120_000);
    assert.equal(value('chainprice_block_window_bytes'), 31e6);
    assert.ok((value('nodejs_heap_used_bytes') ?? 0) > 2 ** 20);
    assert.ok((value('process_uptime_seconds') ?? 0) > 0);
    assert.ok((value('process_resident_memory_bytes') ?? 0) > 10 * 2 ** 20);
    metrics.close();
    assert.equal(feed.listenerCount, 0, 'closed: no longer timing the estimates');
    assert.equal(hub.listeners.size, 0, 'closed: no longer timing the fan-outs');
  });

  test('no estimate yet: NaN for the price and the ages, 0 for the counts', async () => {
    const feed = new FakeFeed({ source: 'demo' });
    feed.healthValue = { ...feed.healthValue, lastMessageAgeSeconds: null };
    const metrics = new ServiceMetrics({ feed, hub: new FakeHub() });
    const families = await read(metrics);
    const value = (name: string) => sampleValue(families, name);
    for (const name of [
      'chainprice_price_usd',
      'chainprice_block_window_price_usd',
      'chainprice_last_message_age_seconds',
      'chainprice_last_estimate_age_seconds',
    ])
      assert.ok(Number.isNaN(value(name)), name);
    assert.equal(value('chainprice_confidence'), 0);
    assert.equal(value('chainprice_transactions_received_total'), 0);
    assert.equal(value('chainprice_estimate_duration_seconds_count'), 0);
    assert.equal(sampleValue(families, 'chainprice_info', { source: 'demo' }), 1);
    assert.deepEqual(families.get('chainprice_http_requests_total')?.samples, []);
    metrics.close();
  });

  test('read when scraped: counters follow their owners; families come and go with their source', async () => {
    const feed = new FakeFeed({ source: 'node' });
    const hub = new FakeHub();
    let stats: BlockWindowStats | null = null;
    const metrics = new ServiceMetrics({ feed, hub, blockWindow: () => stats });
    feed.healthValue = { ...feed.healthValue, counters: { bus_messages: 1, 'a.b': 7, a_b: 8 } };

    let families = await read(metrics);
    assert.equal(sampleValue(families, 'chainprice_feed_bus_messages'), 1);
    assert.equal(
      sampleValue(families, 'chainprice_feed_a_b'),
      7,
      'two keys spelt alike: the first keeps the name',
    );
    for (const name of BLOCK_WINDOW_FAMILIES) assert.equal(families.has(name), false, name);

    hub.counters.messagesSent = 500;
    hub.clientCount = 1;
    feed.healthValue = { ...feed.healthValue, counters: { bus_messages: 9, transactions_received: 77 } };
    stats = { blocks: 1, transactions: 2, candidateOutputs: 3, bytes: 4 };
    families = await read(metrics);
    assert.equal(sampleValue(families, 'chainprice_ws_messages_sent_total'), 500);
    assert.equal(sampleValue(families, 'chainprice_ws_clients'), 1);
    assert.equal(sampleValue(families, 'chainprice_feed_bus_messages'), 9);
    assert.equal(sampleValue(families, 'chainprice_transactions_received_total'), 77);
    assert.equal(families.has('chainprice_feed_a_b'), false, 'a counter the feed no longer keeps goes');
    assert.equal(families.has('chainprice_feed_transactions_received'), false);
    assert.equal(sampleValue(families, 'chainprice_block_window_bytes'), 4);

    stats = null;
    families = await read(metrics);
    for (const name of BLOCK_WINDOW_FAMILIES) assert.equal(families.has(name), false, name);

    // The node link's gauges while the source reports one (a node feed once running), as /health.
    for (const name of NODE_LINK_FAMILIES) assert.equal(families.has(name), false, name);
    feed.healthValue = {
      ...feed.healthValue,
      node: { rpcAnswering: false, lastRpcAnswerAgeSeconds: 8.5, zmqQuietSeconds: null },
    };
    families = await read(metrics);
    assert.equal(sampleValue(families, 'chainprice_node_rpc_answering'), 0);
    assert.equal(sampleValue(families, 'chainprice_node_rpc_answer_age_seconds'), 8.5);
    assert.equal(sampleValue(families, 'chainprice_node_zmq_quiet_seconds'), 0);
    feed.healthValue = {
      ...feed.healthValue,
      node: { rpcAnswering: true, lastRpcAnswerAgeSeconds: null, zmqQuietSeconds: 40 },
    };
    families = await read(metrics);
    assert.equal(sampleValue(families, 'chainprice_node_rpc_answering'), 1);
    assert.ok(Number.isNaN(sampleValue(families, 'chainprice_node_rpc_answer_age_seconds')));
    assert.equal(sampleValue(families, 'chainprice_node_zmq_quiet_seconds'), 40);
    feed.healthValue = { ...feed.healthValue, node: undefined };
    families = await read(metrics);
    for (const name of NODE_LINK_FAMILIES) assert.equal(families.has(name), false, name);
    metrics.close();
  });
});

describe('one registry per app', () => {
  test("each app counts its own requests and serves the process's metrics once", async () => {
    const one = await build();
    const two = await build();
    one.feed.emit(numberedPoints(1, 2), { estimateMs: 3 });
    await one.app.inject({ url: '/api/v1/price' });
    await one.app.inject({ url: '/nothing-here' });

    const first = await scrape(one.app);
    const second = await scrape(two.app);
    const price = { method: 'GET', route: '/api/v1/price', status: '200' };
    assert.equal(sampleValue(first, 'chainprice_http_requests_total', price), 1);
    assert.equal(
      sampleValue(first, 'chainprice_http_requests_total', { ...price, route: 'unmatched', status: '404' }),
      1,
    );
    assert.equal(sampleValue(second, 'chainprice_http_requests_total', price), undefined);
    assert.equal(sampleValue(first, 'chainprice_estimate_duration_seconds_count'), 1);
    assert.equal(sampleValue(second, 'chainprice_estimate_duration_seconds_count'), 0);
    // A scrape is counted once it is answered: the next one shows it.
    const again = await scrape(one.app);
    assert.equal(
      sampleValue(again, 'chainprice_http_requests_total', {
        method: 'GET',
        route: '/metrics',
        status: '200',
      }),
      1,
    );

    // prom-client's default metrics, registered once in the process and merged into every app's page.
    const defaults = (await processWatch().registry.getMetricsAsJSON()).map((m) => m.name);
    assert.ok(defaults.includes('process_resident_memory_bytes'));
    assert.ok(defaults.includes('nodejs_eventloop_lag_p99_seconds'));
    for (const families of [first, second]) {
      for (const name of defaults) assert.ok(families.has(name), name);
    }
  });

  test("the registry's content type, behind the token", async () => {
    const { app } = await build({ token: 'abc123' });
    assert.equal((await app.inject({ url: '/metrics' })).statusCode, 401);
    const res = await app.inject({ url: '/metrics', headers: { authorization: 'Bearer abc123' } });
    assert.equal(res.statusCode, 200);
    assert.equal(res.headers['content-type'], Registry.PROMETHEUS_CONTENT_TYPE);
    assert.ok(parseExposition(res.body).has('chainprice_info'));
  });
});

describe('the exposition reader', () => {
  test('refuses what a scraper would refuse or what breaks our habits', () => {
    const good =
      '# HELP a_total A.\n# TYPE a_total counter\na_total{x="q\\"y"} 3\n\n# HELP b B.\n# TYPE b gauge\nb Nan\n';
    const families = parseExposition(good);
    assert.deepEqual(families.get('a_total')?.samples, [{ name: 'a_total', labels: { x: 'q"y' }, value: 3 }]);
    assert.ok(Number.isNaN(sampleValue(families, 'b')));
    for (const bad of [
      '# HELP a A.\n# TYPE a gauge\na 1', // no final newline
      '# HELP a A.\n# TYPE a gauge\na 1\n# HELP a A.\n# TYPE a gauge\na 2\n', // declared twice
      '# HELP a A.\n# TYPE a gauge\nb 1\n', // outside its family
      '# TYPE a gauge\na 1\n', // no HELP
      '# HELP a A.\n# TYPE a gauge\na one\n', // not a number
      '# HELP a A.\n# TYPE a gauge\na{x="1} 1\n', // bad labels
      '# HELP h H.\n# TYPE h histogram\nh_bucket{le="1"} 2\nh_bucket{le="+Inf"} 1\nh_sum 1\nh_count 1\n', // not cumulative
      '# HELP h H.\n# TYPE h histogram\nh_bucket{le="1"} 1\nh_sum 1\nh_count 1\n', // no +Inf
    ])
      assert.throws(() => parseExposition(bad), Error, bad);
  });
});
