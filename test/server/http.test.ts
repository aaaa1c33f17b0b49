// The HTTP side through Fastify's inject: /health, the API and its 400s, /metrics, the token, and
// the browser's files (TypeScript served as JavaScript).

import assert from 'node:assert/strict';
import { mkdtemp, rm, utimes, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import type { FastifyInstance } from 'fastify';
import type { BlockPrice, HistoryQuery } from '../../src/live/readers.ts';
import { type AppOptions, buildApp } from '../../src/server/app.ts';
import { FakeFeed, numberedPoints } from './fake-feed.ts';

const apps: FastifyInstance[] = [];
after(async () => {
  for (const app of apps) await app.close();
});

async function build(options: Partial<AppOptions> = {}, feed = new FakeFeed()) {
  const app = await buildApp({ webRoot: null, log: () => {}, ...options, feed });
  apps.push(app);
  return { app, feed };
}

const json = (body: string) => JSON.parse(body) as Record<string, unknown>;

describe('/health', () => {
  test('200 when connected and estimating, 503 with the reasons when not', async () => {
    const { app, feed } = await build({}, new FakeFeed({ source: 'node' }));
    let res = await app.inject({ url: '/health' });
    assert.equal(res.statusCode, 503);
    assert.deepEqual(json(res.body).problems, ['no estimate yet']);

    feed.emit(numberedPoints(1, 3));
    res = await app.inject({ url: '/health' });
    assert.equal(res.statusCode, 200);
    const body = json(res.body);
    assert.equal(body.status, 'ok');
    assert.equal(body.source, 'node');
    assert.equal(body.window_size, 3);
    assert.deepEqual(body.node, { connected: true });
    assert.equal(typeof body.last_message_age_seconds, 'number');
    assert.equal(body.last_estimate_age_seconds, 0);

    feed.healthValue = { ...feed.healthValue, connected: false, lastMessageAgeSeconds: 900 };
    res = await app.inject({ url: '/health' });
    assert.equal(res.statusCode, 503);
    assert.deepEqual(json(res.body).problems, [
      'not connected to the node',
      'no message from the source for 900 s',
    ]);
  });

  test("adds the node's own problems and checks (a node that does not answer, ZMQ quiet)", async () => {
    const { app, feed } = await build({}, new FakeFeed({ source: 'node' }));
    feed.emit(numberedPoints(1, 3));
    const quiet =
      'no ZMQ messages from the node for 70 s while its mempool changed; the window is kept in step by polling the node over RPC every 10 s';
    feed.healthValue = {
      ...feed.healthValue,
      node: { rpcAnswering: true, lastRpcAnswerAgeSeconds: 1.23456, zmqQuietSeconds: 70.0004 },
      problems: [quiet],
    };
    const res = await app.inject({ url: '/health' });
    assert.equal(res.statusCode, 503);
    const body = json(res.body);
    assert.deepEqual(body.problems, [quiet]);
    assert.deepEqual(body.node, { connected: true }, 'node stays as it was; the checks come beside it');
    assert.deepEqual(body.node_link, {
      rpc_answering: true,
      last_rpc_answer_age_seconds: 1.235,
      zmq_quiet_seconds: 70,
    });
    // A node that does not answer: its own sentence stands for the generic connection and silence lines.
    const hung = 'the node does not answer RPC for 6 s (…); the last price is still served, with its age';
    feed.healthValue = {
      ...feed.healthValue,
      connected: false,
      lastMessageAgeSeconds: 900,
      node: { rpcAnswering: false, lastRpcAnswerAgeSeconds: 6, zmqQuietSeconds: null },
      problems: [hung],
    };
    assert.deepEqual(json((await app.inject({ url: '/health' })).body).problems, [hung]);
    feed.healthValue = {
      ...feed.healthValue,
      connected: true,
      lastMessageAgeSeconds: 0,
      node: undefined,
      problems: undefined,
    };
    assert.equal((await app.inject({ url: '/health' })).statusCode, 200);
    assert.ok(!('node_link' in json((await app.inject({ url: '/health' })).body)));
  });

  test('stays open when a token is set, and shows no secret', async () => {
    const { app, feed } = await build({ token: 'hunter2hunter2' });
    feed.emit([]);
    const res = await app.inject({ url: '/health' });
    assert.equal(res.statusCode, 200);
    assert.ok(!res.body.includes('hunter2'));
  });
});

describe('/api/v1/price', () => {
  test('the current estimate with its window statistics', async () => {
    const { app, feed } = await build();
    feed.emit([], {
      price: 64_321.5,
      confidence: 0.9,
      blockWindowPrice: 64_000,
      stats: { total_received: 10, total_filtered: 4, active_in_window: 6, uptime_seconds: 12 },
    });
    const res = await app.inject({ url: '/api/v1/price' });
    assert.equal(res.statusCode, 200);
    assert.match(String(res.headers['content-type']), /application\/json/);
    assert.equal(res.headers['cache-control'], 'no-store');
    const body = json(res.body);
    assert.equal(body.price, 64_321.5);
    assert.equal(body.confidence, 0.9);
    assert.equal(body.block_window_price, 64_000);
    assert.equal(body.source, 'demo');
    assert.deepEqual(body.stats, {
      total_received: 10,
      total_filtered: 4,
      active_in_window: 6,
      uptime_seconds: 12,
    });
    assert.equal(typeof body.timestamp, 'number');
    assert.equal(body.age_seconds, 0);
    assert.equal(body.warning, null);
  });

  test('keeps serving the last price while the source is in trouble, with its age and why', async () => {
    const { app, feed } = await build({}, new FakeFeed({ source: 'node' }));
    feed.emit([], { price: 64_321.5, confidence: 0.9 });
    const trouble = 'the node does not answer: no RPC reply from 127.0.0.1:8332 for 8 s (…)';
    feed.healthValue = {
      ...feed.healthValue,
      connected: false,
      lastEstimateAgeSeconds: 42.00049,
      detail: trouble,
      problems: [trouble],
    };
    const body = json((await app.inject({ url: '/api/v1/price' })).body);
    assert.equal(body.price, 64_321.5);
    assert.equal(body.age_seconds, 42);
    assert.equal(body.warning, trouble);
    feed.healthValue = {
      ...feed.healthValue,
      detail: 'lost the ZMQ connection; reconnecting…',
      problems: [],
    };
    assert.equal(
      json((await app.inject({ url: '/api/v1/price' })).body).warning,
      'lost the ZMQ connection; reconnecting…',
      'without a problem of its own, a disconnected source gives its detail',
    );
  });

  test('503 with a sentence before the first estimate', async () => {
    const { app, feed } = await build();
    feed.healthValue = { ...feed.healthValue, detail: 'node warming up, retrying' };
    const res = await app.inject({ url: '/api/v1/price' });
    assert.equal(res.statusCode, 503);
    assert.deepEqual(json(res.body), {
      statusCode: 503,
      error: 'no_estimate',
      message: 'no estimate yet: node warming up, retrying',
    });
  });

  test('a window without signal answers 200 with price null and the reason', async () => {
    const { app, feed } = await build();
    feed.emit([], { price: null, confidence: 0, reason: 'too few outputs in the window' });
    const body = json((await app.inject({ url: '/api/v1/price' })).body);
    assert.equal(body.price, null);
    assert.equal(body.reason, 'too few outputs in the window');
  });
});

describe('/api/v1/history', () => {
  const asked: HistoryQuery[] = [];
  const history = {
    estimates(query: HistoryQuery) {
      asked.push(query);
      return [
        { timestamp: query.from, price: 60_000, confidence: 0.7, extra: 'not passed on' },
        { timestamp: query.from + query.step, price: 60_100, confidence: 0.8, extra: 'x' },
      ];
    },
  };

  test('passes from, to and step to the reader and returns its estimates', async () => {
    const { app } = await build({ history, now: () => 1_714_600_000_000 });
    const res = await app.inject({ url: '/api/v1/history?from=2024-05-01&to=1714600000&step=1h' });
    assert.equal(res.statusCode, 200);
    const body = json(res.body);
    assert.deepEqual(asked.at(-1), { from: 1_714_521_600, to: 1_714_600_000, step: 3_600 });
    assert.equal(body.step, 3_600);
    assert.deepEqual(body.estimates, [
      { timestamp: 1_714_521_600, price: 60_000, confidence: 0.7 },
      { timestamp: 1_714_525_200, price: 60_100, confidence: 0.8 },
    ]);
  });

  test('defaults: the last day at a step of about 720 points', async () => {
    const { app } = await build({ history, now: () => 1_714_600_000_000 });
    const res = await app.inject({ url: '/api/v1/history' });
    assert.equal(res.statusCode, 200);
    assert.deepEqual(asked.at(-1), { from: 1_714_600_000 - 86_400, to: 1_714_600_000, step: 120 });
  });

  for (const [query, pattern] of [
    ['from=yesterday', /from: expected Unix seconds or an ISO 8601 date/],
    ['to=1714600000000', /Unix seconds, not milliseconds/],
    ['from=1714600000&to=1714500000', /must be before to/],
    ['step=0', /step: expected at least 1 second/],
    ['step=5x', /step: expected/],
    ['from=1704067200&to=1714600000&step=1', /more than 10000: raise step or narrow the range/],
    ['form=1714500000', /unknown parameter "form"/],
    ['step=60&step=120', /step is given 2 times/],
  ] as const) {
    test(`400 for ${query}`, async () => {
      const { app } = await build({ history, now: () => 1_714_600_000_000 });
      const res = await app.inject({ url: `/api/v1/history?${query}` });
      assert.equal(res.statusCode, 400);
      const body = json(res.body);
      assert.equal(body.error, 'bad_request');
      assert.match(String(body.message), pattern);
    });
  }

  test('503 when the server keeps no history', async () => {
    const { app } = await build();
    const res = await app.inject({ url: '/api/v1/history' });
    assert.equal(res.statusCode, 503);
    assert.equal(json(res.body).error, 'history_unavailable');
  });
});

describe('/api/v1/blocks/:heightOrHash/price', () => {
  const hash = `00000000000000000002${'ab'.repeat(22)}`;
  const block: BlockPrice = { height: 840_000, hash, time: 1_713_571_767, price: 63_900.2, confidence: 0.8 };
  const blocks = {
    asked: [] as string[],
    async priceOf(id: string) {
      this.asked.push(id);
      if (id === '840000' || id === hash) return { ...block, outputs: 1234 };
      if (id === '1') throw Object.assign(new Error('node is warming up (RPC -28)'), { statusCode: 503 });
      if (id === '2') throw new Error('connect ECONNREFUSED 127.0.0.1:8332');
      return null;
    },
  };

  test('by height and by hash (any case), extra fields passed through', async () => {
    const { app } = await build({ blocks });
    for (const id of ['840000', '0840000', hash.toUpperCase()]) {
      const res = await app.inject({ url: `/api/v1/blocks/${id}/price` });
      assert.equal(res.statusCode, 200, id);
      const body = json(res.body);
      assert.equal(body.price, 63_900.2);
      assert.equal(body.outputs, 1234);
      assert.equal(body.source, 'demo');
    }
    assert.deepEqual(blocks.asked.slice(0, 3), ['840000', '840000', hash]);
  });

  test('404 for a block the chain does not have; reader failures keep their sentence', async () => {
    const { app } = await build({ blocks });
    const missing = await app.inject({ url: '/api/v1/blocks/999999/price' });
    assert.equal(missing.statusCode, 404);
    assert.equal(json(missing.body).error, 'block_not_found');
    const warming = await app.inject({ url: '/api/v1/blocks/1/price' });
    assert.equal(warming.statusCode, 503);
    assert.match(String(json(warming.body).message), /warming up/);
    const down = await app.inject({ url: '/api/v1/blocks/2/price' });
    assert.equal(down.statusCode, 502);
    assert.ok(!down.body.includes('    at '), 'no stack trace');
  });

  for (const id of ['tip', '-1', '1.5', '123456789', 'ab'.repeat(31), `${hash}00`]) {
    test(`400 for "${id}"`, async () => {
      const { app } = await build({ blocks });
      const res = await app.inject({ url: `/api/v1/blocks/${id}/price` });
      assert.equal(res.statusCode, 400);
      assert.match(String(json(res.body).message), /not a block height or a 64-hex-digit block hash/);
    });
  }

  test('503 at once, without asking the reader, while the node does not answer RPC', async () => {
    const { app, feed } = await build({ blocks });
    feed.healthValue = {
      ...feed.healthValue,
      node: { rpcAnswering: false, lastRpcAnswerAgeSeconds: 9, zmqQuietSeconds: null },
    };
    const before = blocks.asked.length;
    const res = await app.inject({ url: '/api/v1/blocks/840000/price' });
    assert.equal(res.statusCode, 503);
    assert.equal(
      json(res.body).message,
      'block 840000: the node does not answer RPC now (see /health); try again once it does',
    );
    assert.equal(blocks.asked.length, before, 'the reader (and the node) was not asked');
    feed.healthValue = {
      ...feed.healthValue,
      node: { rpcAnswering: true, lastRpcAnswerAgeSeconds: 1, zmqQuietSeconds: null },
    };
    assert.equal((await app.inject({ url: '/api/v1/blocks/840000/price' })).statusCode, 200);
  });

  test('503 when there is no block source', async () => {
    const { app } = await build();
    assert.equal((await app.inject({ url: '/api/v1/blocks/840000/price' })).statusCode, 503);
  });
});

describe('errors', () => {
  test('unknown API paths and methods answer JSON 404', async () => {
    const { app } = await build();
    for (const [method, url] of [
      ['GET', '/api/v2/price'],
      ['POST', '/api/v1/price'],
      ['GET', '/api/v1/price/extra'],
    ] as const) {
      const res = await app.inject({ method, url });
      assert.equal(res.statusCode, 404, url);
      assert.equal(json(res.body).error, 'not_found');
    }
  });

  test('a plain GET of the stream says it is a WebSocket (426)', async () => {
    const { app } = await build();
    const res = await app.inject({ url: '/ws/mempool' });
    assert.equal(res.statusCode, 426);
    assert.equal(json(res.body).error, 'upgrade_required');
  });
});

describe('token', () => {
  test('the API and /metrics need it; Bearer header and ?token= both work', async () => {
    const { app, feed } = await build({ token: 'correct horse' });
    feed.emit([]);
    for (const url of ['/api/v1/price', '/metrics', '/api/v1/history', '/api/v2/anything']) {
      const res = await app.inject({ url });
      assert.equal(res.statusCode, 401, url);
      assert.equal(res.headers['www-authenticate'], 'Bearer realm="chainprice"');
      assert.equal(json(res.body).error, 'unauthorized');
    }
    const wrong = await app.inject({ url: '/api/v1/price', headers: { authorization: 'Bearer correct' } });
    assert.equal(wrong.statusCode, 401);
    const header = await app.inject({
      url: '/api/v1/price',
      headers: { authorization: 'Bearer correct horse' },
    });
    assert.equal(header.statusCode, 401, 'a token with a space cannot be sent as a bearer header');
    const query = await app.inject({ url: '/api/v1/price?token=correct%20horse' });
    assert.equal(query.statusCode, 200);
  });

  test('a bearer header passes', async () => {
    const { app, feed } = await build({ token: 'abc123' });
    feed.emit([]);
    const res = await app.inject({ url: '/api/v1/price', headers: { authorization: 'Bearer abc123' } });
    assert.equal(res.statusCode, 200);
    const history = await app.inject({ url: '/api/v1/history?token=abc123&step=1h' });
    assert.equal(history.statusCode, 503, 'token is not an unknown parameter (503: no history here)');
  });
});

describe('/metrics', () => {
  test('Prometheus text with the feed, estimate, WebSocket and HTTP figures', async () => {
    const { app, feed } = await build();
    feed.healthValue = { ...feed.healthValue, counters: { zmq_reconnects: 2, 'mempool.resyncs': 1 } };
    feed.emit(numberedPoints(1, 2), {
      price: 65_000,
      confidence: 0.5,
      estimateMs: 7,
      stats: { total_received: 100, total_filtered: 40, active_in_window: 60, uptime_seconds: 5 },
    });
    await app.inject({ url: '/api/v1/price' });
    const res = await app.inject({ url: '/metrics' });
    assert.equal(res.statusCode, 200);
    assert.match(String(res.headers['content-type']), /^text\/plain; version=0.0.4/);
    const text = res.body;
    for (const line of [
      'chainprice_transactions_received_total 100',
      'chainprice_transactions_filtered_total 40',
      'chainprice_transactions_in_window 60',
      'chainprice_price_usd 65000',
      'chainprice_confidence 0.5',
      'chainprice_estimate_duration_seconds_bucket{le="0.01"} 1',
      'chainprice_estimate_duration_seconds_bucket{le="0.005"} 0',
      'chainprice_estimate_duration_seconds_count 1',
      'chainprice_zmq_reconnects_total 2',
      'chainprice_zmq_gaps_total 0',
      'chainprice_feed_mempool_resyncs 1',
      'chainprice_ws_clients 0',
      'chainprice_http_requests_total{method="GET",route="/api/v1/price",status="200"} 1',
    ]) {
      assert.ok(text.split('\n').includes(line), `missing: ${line}`);
    }
    // The text format allows blank lines between families, and reads NaN in any case (prom-client writes `Nan`).
    for (const line of text.trim().split('\n')) {
      if (line === '') continue;
      assert.match(line, /^(# (HELP|TYPE) \w+ .+|\w+(\{[^}]*\})? (-?[\d.e+-]+|NaN|Nan|\+Inf))$/, line);
    }
  });
});

describe('web files', () => {
  let root = '';
  before(async () => {
    root = await mkdtemp(join(tmpdir(), 'chainprice-web-'));
    await writeFile(
      join(root, 'index.html'),
      '<!doctype html><script type="module" src="./main.ts"></script>',
    );
    await writeFile(join(root, 'style.css'), 'body { color: black }');
    await writeFile(
      join(root, 'main.ts'),
      "import type { X } from './x.ts';\nimport { f } from './util.ts';\nconst n: number = f(2);\nexport { n };\n",
    );
    await writeFile(join(root, 'broken.ts'), 'enum Colour { Red }\n');
    await writeFile(join(root, '.secret.ts'), 'export const s = 1;\n');
    await writeFile(join(root, 'notes.md'), '# notes');
  });
  after(() => rm(root, { recursive: true, force: true }));

  test('/ is index.html with a content security policy', async () => {
    const { app } = await build({ webRoot: root });
    const res = await app.inject({ url: '/' });
    assert.equal(res.statusCode, 200);
    assert.match(String(res.headers['content-type']), /^text\/html/);
    assert.match(String(res.headers['content-security-policy']), /default-src 'self'/);
    assert.match(res.body, /main\.ts/);
    const css = await app.inject({ url: '/style.css' });
    assert.match(String(css.headers['content-type']), /^text\/css/);
  });

  test('TypeScript modules are served as JavaScript with the types stripped, cached until they change', async () => {
    const { app } = await build({ webRoot: root });
    const res = await app.inject({ url: '/main.ts' });
    assert.equal(res.statusCode, 200);
    assert.equal(res.headers['content-type'], 'text/javascript; charset=utf-8');
    assert.ok(!res.body.includes('import type'));
    assert.ok(!res.body.includes(': number'));
    assert.match(res.body, /import \{ f \} from '\.\/util\.ts';/);
    assert.equal(res.body.split('\n').length, 5, 'line numbers are kept');
    const etag = String(res.headers.etag);
    const again = await app.inject({ url: '/main.ts', headers: { 'if-none-match': etag } });
    assert.equal(again.statusCode, 304);

    await writeFile(join(root, 'main.ts'), 'export const n: number = 3;\n');
    const later = new Date(Date.now() + 5_000);
    await utimes(join(root, 'main.ts'), later, later);
    const changed = await app.inject({ url: '/main.ts', headers: { 'if-none-match': etag } });
    assert.equal(changed.statusCode, 200);
    assert.match(changed.body, /^export const n += +3;$/m);
  });

  test('a module that cannot be stripped is a 500 with the file named, not a crash', async () => {
    const lines: string[] = [];
    const { app } = await build({ webRoot: root, log: (line) => lines.push(line) });
    const res = await app.inject({ url: '/broken.ts' });
    assert.equal(res.statusCode, 500);
    assert.match(String(json(res.body).message), /web\/broken\.ts/);
    assert.equal(lines.length, 1);
  });

  for (const url of [
    '/.secret.ts',
    '/notes.md',
    '/../package.json',
    '/%2e%2e/package.json',
    '/missing.ts',
    '/nope.css',
  ]) {
    test(`404 for ${url}`, async () => {
      const { app } = await build({ webRoot: root });
      const res = await app.inject({ url });
      assert.ok([404, 403].includes(res.statusCode), `${url}: ${res.statusCode}`);
      assert.ok(!res.body.includes('"name"'), 'nothing outside the web root leaks');
    });
  }
});
