// One estimator on the demo source publishing over a real nats-server, two edges serving from it
// (all in this process, each a real server on a real port): clients on both edges receive the same
// price and evidence sequence, and the same snapshots, as the estimator's own clients; an edge that
// loses NATS says so (503, a notice on the stream), keeps its clients, and recovers with a fresh
// snapshot when NATS is back; an edge that goes away does not disturb the other; the history and
// block-price API answers through NATS; an edge with no estimator says why it is unhealthy; an edge
// asking a frozen holder for its state follows the stand-by as soon as it takes the lease.

import assert from 'node:assert/strict';
import type { AddressInfo } from 'node:net';
import { after, before, describe, test } from 'node:test';
import type { FastifyInstance } from 'fastify';
import { BusBlocks, BusFeed, BusHistory } from '../../../src/bus/bus-feed.ts';
import { subjects } from '../../../src/bus/bus-protocol.ts';
import { type Bus, openBus } from '../../../src/bus/bus-start.ts';
import { natsTarget } from '../../../src/bus/nats-target.ts';
import { BusPublisher } from '../../../src/bus/publisher.ts';
import type { BlockPrice, HistoryReader } from '../../../src/live/readers.ts';
import { buildApp } from '../../../src/server/app.ts';
import type { PriceMessage, ServerMessage } from '../../../src/server/protocol.ts';
import { createDemoFeed, type DemoFeed } from '../../../src/sim/demo-feed.ts';
import { openClient, type TestClient } from '../../server/ws-client.ts';
import { waitFor } from '../../support/wait.ts';
import { NatsServer, NO_NATS } from './nats-server.ts';

const isPrice = (m: ServerMessage): m is PriceMessage => m.type === 'snapshot' || m.type === 'update';
/** What two servers must agree on: everything but the client's own seq, who serves it, and the histogram's timing. */
function comparable(m: PriceMessage) {
  const { seq: _seq, served_by: _by, histogram: _h, ...rest } = m;
  return rest;
}

interface Served {
  app: FastifyInstance;
  http: string;
  ws: string;
  close: () => Promise<void>;
}

async function listen(app: FastifyInstance): Promise<{ http: string; ws: string }> {
  await app.listen({ host: '127.0.0.1', port: 0 });
  const port = (app.server.address() as AddressInfo).port;
  return { http: `http://127.0.0.1:${port}`, ws: `ws://127.0.0.1:${port}/ws/mempool` };
}

/** Fast hubs: no merging of updates, so every server's message sequence follows the feed one for one. */
const HUB = { minUpdateIntervalMs: 20 };

const HISTORY: HistoryReader = {
  estimates: (q) => [{ timestamp: q.from, price: 61_000.5, confidence: 0.9 }],
};

const estimatorLogs: string[] = [];

async function startEstimator(
  url: string,
  feed: DemoFeed,
): Promise<Served & { publisher: BusPublisher; bus: Bus }> {
  const bus = await openBus(natsTarget(url, {}, '--nats', ''), 'estimator');
  const publisher = new BusPublisher({
    nc: bus.nc,
    kv: bus.kv,
    network: 'demo',
    feed,
    history: HISTORY,
    blocks: feed.blockPrices,
    instance: bus.instance,
    log: (line) => estimatorLogs.push(`${new Date().toISOString()} ${line}`),
  });
  const app = await buildApp({
    feed,
    history: HISTORY,
    blocks: feed.blockPrices,
    webRoot: null,
    log: () => {},
    hub: HUB,
    shutdownGraceMs: 200,
    servedBy: bus.instance,
  });
  const urls = await listen(app);
  publisher.start();
  return {
    app,
    publisher,
    bus,
    ...urls,
    close: async () => {
      await app.close();
      await publisher.stop();
      await bus.nc.close();
    },
  };
}

async function startEdge(url: string, logs: string[] = []): Promise<Served & { feed: BusFeed }> {
  const bus = await openBus(natsTarget(url, {}, '--nats', ''), 'edge');
  const feed = new BusFeed({ nc: bus.nc, kv: bus.kv, network: 'demo', shown: url, log: (l) => logs.push(l) });
  const app = await buildApp({
    feed,
    history: new BusHistory(bus.nc, 'demo'),
    blocks: new BusBlocks(bus.nc, 'demo'),
    webRoot: null,
    log: () => {},
    hub: HUB,
    shutdownGraceMs: 200,
    servedBy: bus.instance,
  });
  const urls = await listen(app);
  await feed.start();
  return {
    app,
    feed,
    ...urls,
    close: async () => {
      await app.close();
      await feed.stop();
      await bus.nc.close();
    },
  };
}

async function until(
  what: string,
  check: () => boolean | Promise<boolean>,
  timeoutMs = 10_000,
): Promise<void> {
  await waitFor(check, { what, timeoutMs, everyMs: 50 });
}

const healthOf = async (served: Served) => {
  const response = await fetch(`${served.http}/health`);
  return { status: response.status, body: (await response.json()) as Record<string, unknown> };
};

describe('one estimator, two edges, over a real nats-server', { skip: NO_NATS, timeout: 120_000 }, () => {
  let nats: NatsServer;
  let feed: DemoFeed;
  let estimator: Awaited<ReturnType<typeof startEstimator>>;
  let edges: Awaited<ReturnType<typeof startEdge>>[];
  const edgeLogs: string[] = [];
  const otherEdgeLogs: string[] = [];
  const clients: TestClient[] = [];
  const blocks: BlockPrice[] = [];

  before(async () => {
    nats = await NatsServer.start();
    // Half an hour of demo network at 8 transactions a real second: updates every 500 ms, thousands of points.
    feed = createDemoFeed({ windowSeconds: 1_800, prefillSeconds: 1_800, speed: 2, txPerSecond: 4, seed: 5 });
    feed.onBlock((block) => blocks.push(block));
    estimator = await startEstimator(nats.url, feed);
    await feed.start();
    edges = [await startEdge(nats.url, edgeLogs), await startEdge(nats.url, otherEdgeLogs)];
    await until('the estimator to publish', () => estimator.publisher.publishing);
    await waitFor(
      async () =>
        (await Promise.all(edges.map(healthOf))).map((h) => ({
          status: h.status,
          problems: h.body.problems,
        })),
      {
        what: 'both edges to be healthy',
        until: (healths) => healths.every((h) => h.status === 200),
        timeoutMs: 10_000,
      },
    );
  });

  after(async () => {
    for (const client of clients) client.close();
    for (const edge of edges ?? []) await edge.close().catch(() => {});
    await estimator?.close().catch(() => {});
    await feed?.stop();
    await nats?.dispose();
  });

  const connect = async (served: Served, query = '') => {
    const client = await openClient(`${served.ws}${query}`);
    clients.push(client);
    return client;
  };

  test('clients on both edges get the same price and evidence sequence as the estimator’s own', async () => {
    const own = await connect(estimator);
    const viaEdges = [await connect(edges[0]), await connect(edges[1])];
    const all = [own, ...viaEdges];
    await Promise.all(all.map((c) => c.message(0)));
    const snapshots = all.map((c) => c.messages[0] as PriceMessage);
    for (const s of snapshots) assert.equal(s.type, 'snapshot');
    // From the newest of the three snapshots on, every update is the same everywhere, in the same order.
    const from = Math.max(...snapshots.map((s) => s.timestamp));
    const updatesOf = (c: TestClient) =>
      c.messages.filter((m): m is PriceMessage => isPrice(m) && m.type === 'update' && m.timestamp > from);
    // Four updates from the estimator within 3 s (updates come every 500 ms), then the edges until
    // they passed on the fourth: the three sequences end at the same update.
    const fourth = await waitFor(() => updatesOf(own)[3], {
      what: 'the estimator’s fourth update after the snapshots (within 3 s)',
      timeoutMs: 3_000,
    });
    await waitFor(() => viaEdges.every((c) => updatesOf(c).some((m) => m.timestamp >= fourth.timestamp)), {
      what: 'both edges to pass on the estimator’s fourth update',
      timeoutMs: 5_000,
    });
    const sequences = all.map((c) =>
      updatesOf(c)
        .filter((m) => m.timestamp <= fourth.timestamp)
        .map(comparable),
    );
    assert.ok(sequences[0].length >= 4, `the estimator sent ${sequences[0].length} updates in 3 s`);
    assert.ok(
      sequences[0].some((u) => u.transactions.length > 0),
      'the updates carry new evidence',
    );
    assert.deepEqual(sequences[1], sequences[0], 'edge 1 streams what the estimator streams');
    assert.deepEqual(sequences[2], sequences[0], 'edge 2 streams what the estimator streams');
    // The seq of each client rises by one.
    for (const c of all)
      assert.deepEqual(
        c.messages.filter(isPrice).map((m) => m.seq),
        c.messages.map((_, i) => i + 1),
      );
    // Only served_by tells them apart.
    assert.equal(snapshots[0].served_by, estimator.publisher.lease.epoch?.replace(/-\d+$/, ''));
    assert.match(String(snapshots[1].served_by), /^edge@/);
    assert.notEqual(snapshots[1].served_by, snapshots[2].served_by);
  });

  test('a snapshot from an edge is the estimator’s snapshot (all points of the window)', async () => {
    for (let attempt = 0; ; attempt++) {
      const probe = await connect(estimator);
      await probe.message(1, 5_000); // just after an update: the next is ~500 ms away
      const [a, b, c] = await Promise.all([
        connect(estimator, '?limit=5000'),
        connect(edges[0], '?limit=5000'),
        connect(edges[1], '?limit=5000'),
      ]);
      const [sa, sb, sc] = (await Promise.all([a.message(0), b.message(0), c.message(0)])) as PriceMessage[];
      probe.close();
      if (!(sa.timestamp === sb.timestamp && sb.timestamp === sc.timestamp) && attempt < 5) continue;
      assert.ok(sa.transactions.length > 1_000, `${sa.transactions.length} points in the window`);
      assert.deepEqual(comparable(sb), comparable(sa));
      assert.deepEqual(comparable(sc), comparable(sa));
      assert.ok(
        sb.histogram && sb.histogram.counts.length > 0,
        'the edge sends the histogram in its snapshot',
      );
      return;
    }
  });

  test('the API answers the same on an edge: price, history and block prices through NATS', async () => {
    const get = async (served: Served, path: string) => {
      const response = await fetch(`${served.http}${path}`);
      return { status: response.status, body: await response.json() };
    };
    await until('a demo block', () => blocks.length > 0, 30_000);
    const height = blocks.at(-1)!.height;
    for (const path of [
      '/api/v1/history?from=1700000000&to=1700003600&step=60',
      `/api/v1/blocks/${height}/price`,
      '/api/v1/blocks/1/price',
      '/api/v1/blocks/x/price',
    ]) {
      const [mine, theirs] = await Promise.all([get(estimator, path), get(edges[0], path)]);
      assert.deepEqual(theirs, mine, path);
    }
    const health = await healthOf(edges[0]);
    assert.equal(health.status, 200);
    assert.equal(health.body.source, 'demo');
    assert.match(String(health.body.served_by), /^edge@/);
    const metrics = await (await fetch(`${edges[0].http}/metrics`)).text();
    assert.match(metrics, /chainprice_feed_bus_messages(_total)? \d+/);
  });

  test("the estimator's node stops answering, then answers again: an edge's clients are told, as the estimator's own are", async () => {
    const client = await connect(edges[1]);
    await client.message(0);
    const from = client.messages.length;
    // The estimator's health as a node feed's during a hang (it goes to the edges with every beat).
    const health = feed.health.bind(feed);
    const node = { rpcAnswering: false, lastRpcAnswerAgeSeconds: 9, zmqQuietSeconds: null };
    feed.health = () => ({ ...health(), node });
    try {
      const silent = await client.waitFor((m) => m.type === 'error', from, 5_000);
      assert.equal(silent.type === 'error' && silent.code, 'node_unavailable');
      // A page that opens during the hang is told right after its snapshot.
      const late = await connect(edges[1]);
      assert.equal((await late.message(0)).type, 'snapshot');
      const told = await late.message(1);
      assert.equal(told.type === 'error' && told.code, 'node_unavailable');
      node.rpcAnswering = true;
      const back = await client.waitFor(
        (m) => m.type === 'error' && m.code === 'node_available',
        from,
        5_000,
      );
      assert.match(back.type === 'error' ? back.message : '', /answers again/);
    } finally {
      feed.health = health;
    }
  });

  test('NATS goes away: the edge says so (503 and a notice), keeps its clients, and recovers with a fresh snapshot', async () => {
    const client = await connect(edges[0]);
    const own = await connect(estimator);
    await client.message(0);
    await nats.stop(true);
    const notice = await client.waitFor((m) => m.type === 'error', 0, 5_000);
    assert.equal(notice.type === 'error' && notice.code, 'bus_unavailable');
    const down = await healthOf(edges[0]);
    assert.equal(down.status, 503);
    assert.match(String(down.body.detail), /lost the connection to NATS/);
    const sent = own.messages.length;
    await waitFor(() => own.messages.length > sent, {
      what: 'the estimator’s own clients to be served all along (a message while NATS is down)',
      timeoutMs: 3_000,
    });

    const before = client.messages.length;
    await nats.restart();
    const fresh = await client.waitFor((m) => m.type === 'snapshot', before, 10_000);
    // Told it is back, before the fresh snapshot (no notice after it: nothing is gone any more).
    const back = client.messages.findIndex(
      (m, i) => i >= before && m.type === 'error' && m.code === 'bus_available',
    );
    assert.ok(back >= 0 && back < client.messages.indexOf(fresh), 'bus_available before the fresh snapshot');
    const priceMessages = client.messages.filter(isPrice);
    assert.ok(
      isPrice(fresh) && fresh.seq === priceMessages.indexOf(fresh) + 1,
      'seq goes on from where it was',
    );
    await until('the edge to be healthy again', async () => (await healthOf(edges[0])).status === 200);
    assert.equal(client.ws.readyState, WebSocket.OPEN, 'the client never lost its connection');
    // And it streams again: updates after the fresh snapshot.
    await client.waitFor((m) => m.type === 'update', client.messages.indexOf(fresh), 5_000);
    assert.ok(
      edgeLogs.some((l) => /lost the connection/.test(l)) && edgeLogs.some((l) => /reconnected/.test(l)),
    );
  });

  test('an edge going away does not disturb the other', async () => {
    await until('the other edge to be healthy', async () => (await healthOf(edges[1])).status === 200);
    const other = await connect(edges[1]);
    await other.message(0);
    const gone = await connect(edges[0]);
    await gone.message(0);
    const edge = edges.shift()!;
    await edge.close();
    assert.equal((await gone.closed).code, 1001);
    const at = other.messages.length;
    await other
      .waitFor((m) => m.type === 'update', at, 10_000)
      .catch((error) => {
        throw new Error(
          `${error.message}\nestimator:\n${estimatorLogs.join('\n')}\nedge:\n${otherEdgeLogs.join('\n')}`,
        );
      });
  });
});

describe('an edge with no estimator', { skip: NO_NATS, timeout: 30_000 }, () => {
  test('is unhealthy and says why; the API says no estimate yet', async () => {
    const nats = await NatsServer.start();
    const edge = await startEdge(nats.url);
    try {
      const health = await waitFor(() => healthOf(edge), {
        what: 'the edge to find no lease holder',
        until: (h) => /no estimator publishes/.test(String(h.body.detail)),
        timeoutMs: 10_000,
      });
      assert.equal(health.status, 503);
      const price = await fetch(`${edge.http}/api/v1/price`);
      assert.equal(price.status, 503);
      const history = await fetch(`${edge.http}/api/v1/history`);
      assert.equal(history.status, 503);
      assert.match(
        ((await history.json()) as { message: string }).message,
        /no estimator answered through NATS/,
      );
    } finally {
      await edge.close();
      await nats.dispose();
    }
  });
});

describe('a lease holder that froze (paused: connected, subscribed, silent)', {
  skip: NO_NATS,
  timeout: 60_000,
}, () => {
  const { leaseKey, state } = subjects('demo');

  /** nats-server, a demo feed, and a frozen holder: it holds the lease and takes state requests, answering none. */
  async function withFrozenHolder(
    run: (
      nats: NatsServer,
      feed: DemoFeed,
      asked: number[],
      closing: (() => Promise<unknown>)[],
    ) => Promise<void>,
  ): Promise<void> {
    const nats = await NatsServer.start();
    const frozen = await openBus(natsTarget(nats.url, {}, '--nats', ''), 'estimator');
    const feed = createDemoFeed({ prefillSeconds: 600, seed: 3 });
    const closing: (() => Promise<unknown>)[] = [() => frozen.nc.close(), () => feed.stop()];
    try {
      await frozen.kv.create(leaseKey, `${frozen.instance}-1`);
      const asked: number[] = [];
      frozen.nc.subscribe(state, {
        callback: () => {
          asked.push(Date.now());
        },
      });
      await frozen.nc.flush();
      await feed.start();
      await run(nats, feed, asked, closing);
    } finally {
      for (const close of closing) await close().catch(() => {});
      await nats.dispose();
    }
  }

  /** A stand-by that calls a lease unchanged for 500 ms free: it takes over within about a second. */
  async function startStandBy(
    nats: NatsServer,
    feed: DemoFeed,
    logs: string[],
    closing: (() => Promise<unknown>)[],
  ): Promise<{ publisher: BusPublisher; bus: Bus }> {
    const bus = await openBus(natsTarget(nats.url, {}, '--nats', ''), 'estimator');
    const publisher = new BusPublisher({
      nc: bus.nc,
      kv: bus.kv,
      network: 'demo',
      feed,
      instance: bus.instance,
      log: (line) => logs.push(`stand-by: ${line}`),
      leaseExpireMs: 500,
    });
    closing.unshift(async () => {
      await publisher.stop();
      await bus.nc.close();
    });
    publisher.start();
    await bus.nc.flush();
    return { publisher, bus };
  }

  test('an edge asking it for its state follows the stand-by as soon as it takes the lease', async () => {
    await withFrozenHolder(async (nats, feed, asked, closing) => {
      const edgeLogs: string[] = [];
      const edge = await startEdge(nats.url, edgeLogs);
      closing.unshift(() => edge.close());
      await waitFor(() => asked.length > 0, { what: 'the edge to ask the frozen holder', timeoutMs: 10_000 });

      // The stand-by takes over well inside the edge's 3 s state request to the frozen holder.
      const standBy = (await startStandBy(nats, feed, edgeLogs, closing)).publisher;
      await waitFor(() => standBy.publishing, { what: 'the stand-by to take the lease', timeoutMs: 10_000 });
      const acquired = Date.now();
      await waitFor(() => edge.feed.live, {
        what: 'the edge to follow the stand-by',
        timeoutMs: 10_000,
        detail: () => edgeLogs.join('\n'),
      });
      const tookMs = Date.now() - acquired;
      // Waiting out the request instead took 2-3 s here.
      assert.ok(tookMs < 1_000, `the edge followed ${tookMs} ms after the stand-by took the lease`);
      assert.equal((await healthOf(edge)).status, 200);
      const client = await openClient(edge.ws);
      const snapshot = (await client.message(0)) as PriceMessage;
      client.close();
      assert.equal(snapshot.type, 'snapshot');
      assert.ok(snapshot.transactions.length > 0, 'the stand-by’s window (the frozen holder never answered)');
    });
  });

  test('a state request that came just before a stand-by took the lease is answered by it', async () => {
    await withFrozenHolder(async (nats, feed, _asked, closing) => {
      // An edge that read the lease the moment it named the stand-by asks before the stand-by knows
      // it holds it (and the frozen holder, still subscribed, never answers).
      const { publisher, bus } = await startStandBy(nats, feed, [], closing);
      const started = Date.now();
      const reply = await bus.nc.request(state, '', { timeout: 3_000 });
      const answeredMs = Date.now() - started;
      const answer = reply.json<{ epoch: string; points: unknown[] }>();
      assert.equal(answer.epoch, publisher.lease.epoch, 'the stand-by, now the holder, answered');
      assert.ok(answer.points.length > 0);
      assert.ok(answeredMs < 2_500, `answered ${answeredMs} ms after asking (the take-over takes ~1 s)`);
    });
  });
});
