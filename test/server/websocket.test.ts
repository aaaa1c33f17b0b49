// WS /ws/mempool with real clients on a real port: snapshot then updates, seq, merging of fast feed
// updates, snapshot sizes, token and origin checks, bad client messages, slow and dead clients,
// and the going-away close on shutdown.

import assert from 'node:assert/strict';
import type { AddressInfo } from 'node:net';
import { after, describe, test } from 'node:test';
import type { FastifyInstance } from 'fastify';
import { type AppOptions, buildApp } from '../../src/server/app.ts';
import type { ErrorMessage, PriceMessage, ServerMessage } from '../../src/server/protocol.ts';
import { sleep, waitFor } from '../support/wait.ts';
import { FakeFeed, numberedPoints } from './fake-feed.ts';
import { rawConnect } from './raw-socket.ts';
import { expectRefused, openClient } from './ws-client.ts';

interface Running {
  app: FastifyInstance;
  feed: FakeFeed;
  port: number;
  url: (query?: string) => string;
}

const running: Running[] = [];
after(async () => {
  for (const r of running) await r.app.close();
});

async function start(options: Partial<AppOptions> = {}, feed = new FakeFeed()): Promise<Running> {
  const app = await buildApp({ webRoot: null, log: () => {}, shutdownGraceMs: 200, ...options, feed });
  await app.listen({ host: '127.0.0.1', port: 0 });
  const port = (app.server.address() as AddressInfo).port;
  const r: Running = { app, feed, port, url: (query = '') => `ws://127.0.0.1:${port}/ws/mempool${query}` };
  running.push(r);
  return r;
}

const isPrice = (m: ServerMessage): m is PriceMessage => m.type === 'snapshot' || m.type === 'update';
const usdOf = (m: PriceMessage) => m.transactions.map((t) => t.usd);

describe('snapshot then updates', () => {
  test('a client gets the newest 2,000 points, then only new points, with seq rising by one', async () => {
    const { feed, url } = await start({ hub: { minUpdateIntervalMs: 20 } });
    feed.emit(numberedPoints(1, 2_500), { price: 61_234.567 });
    const client = await openClient(url());
    const snapshot = (await client.message(0)) as PriceMessage;
    assert.equal(snapshot.type, 'snapshot');
    assert.equal(snapshot.seq, 1);
    assert.equal(snapshot.transactions.length, 2_000);
    assert.equal(snapshot.transactions[0].usd, 501, 'the snapshot holds the newest points, oldest first');
    assert.equal(snapshot.transactions.at(-1)?.usd, 2_500);
    assert.equal(snapshot.price, 61_234.57, 'prices are rounded to the cent');
    assert.equal(snapshot.source, 'demo');
    assert.deepEqual(Object.keys(snapshot.stats).sort(), [
      'active_in_window',
      'total_filtered',
      'total_received',
      'uptime_seconds',
    ]);

    feed.emit(numberedPoints(2_501, 3));
    const first = (await client.message(1)) as PriceMessage;
    assert.equal(first.type, 'update');
    assert.equal(first.seq, 2);
    assert.deepEqual(usdOf(first), [2_501, 2_502, 2_503]);

    feed.emit(numberedPoints(2_504, 1), { price: 62_000 });
    const second = (await client.message(2)) as PriceMessage;
    assert.equal(second.seq, 3);
    assert.deepEqual(usdOf(second), [2_504]);
    assert.equal(second.price, 62_000);
    client.close();
  });

  test('fast feed updates are merged: at most one message per interval, every point exactly once', async () => {
    const interval = 150;
    const { feed, url } = await start({ hub: { minUpdateIntervalMs: interval } });
    feed.emit(numberedPoints(1, 10));
    const client = await openClient(url());
    await client.message(0);
    let next = 11;
    const arrivals: number[] = [];
    client.ws.addEventListener('message', () => arrivals.push(performance.now()));
    const emitting = performance.now();
    for (let i = 0; i < 40; i++) {
      feed.emit(numberedPoints(next, 2));
      next += 2;
      await sleep(15); // the feed's pace (the input): about ten updates per hub interval
    }
    const emitted = performance.now() - emitting;
    await client.waitFor((m) => isPrice(m) && usdOf(m).includes(next - 1));
    const updates = client.messages.slice(1).filter(isPrice);
    assert.deepEqual(
      updates.flatMap(usdOf),
      Array.from({ length: next - 11 }, (_, i) => 11 + i),
      'no point lost or repeated',
    );
    assert.ok(
      updates.length <= Math.ceil(emitted / interval) + 1,
      `40 feed updates in ${Math.round(emitted)} ms became ${updates.length} messages`,
    );
    // Messages keep to a fixed schedule one interval apart (a late timer does not push the next one back).
    const meanGap = (arrivals.at(-1)! - arrivals[0]) / (arrivals.length - 1);
    // (A quarter of slack: a stalled machine may deliver the first message late.)
    assert.ok(meanGap >= interval * 0.75, `messages came ${Math.round(meanGap)} ms apart on average`);
    const seqs = client.messages.filter(isPrice).map((m) => m.seq);
    assert.deepEqual(
      seqs,
      seqs.map((_, i) => i + 1),
    );
    client.close();
  });

  test('a client connecting while an update is pending gets each point once', async () => {
    const { feed, url } = await start({ hub: { minUpdateIntervalMs: 300 } });
    feed.emit(numberedPoints(1, 5)); // flushed at once: no message was sent recently
    await new Promise((resolve) => setImmediate(resolve)); // the hub flushes at the next turn
    feed.emit(numberedPoints(6, 5)); // pending for ~300 ms
    const client = await openClient(url());
    const snapshot = (await client.message(0)) as PriceMessage;
    assert.deepEqual(usdOf(snapshot), [1, 2, 3, 4, 5, 6, 7, 8, 9, 10]);
    feed.emit(numberedPoints(11, 2));
    const update = (await client.message(1)) as PriceMessage;
    assert.deepEqual(usdOf(update), [11, 12], 'points already in the snapshot are not sent again');
    client.close();
  });

  test('?limit= and {"type":"snapshot","limit"} choose the snapshot size, capped by the server', async () => {
    const { feed, url } = await start({ hub: { maxSnapshotLimit: 300 } });
    feed.emit(numberedPoints(1, 1_000));
    const small = await openClient(url('?limit=10'));
    assert.equal(((await small.message(0)) as PriceMessage).transactions.length, 10);
    small.ws.send(JSON.stringify({ type: 'snapshot', limit: 5_000 }));
    const again = (await small.message(1)) as PriceMessage;
    assert.equal(again.type, 'snapshot');
    assert.equal(again.seq, 2);
    assert.equal(again.transactions.length, 300, 'capped at maxSnapshotLimit');
    const none = await openClient(url('?limit=0'));
    assert.equal(((await none.message(0)) as PriceMessage).transactions.length, 0);
    small.close();
    none.close();
  });

  test('before the first estimate the snapshot says so, with price null', async () => {
    const { url } = await start();
    const client = await openClient(url());
    const snapshot = (await client.message(0)) as PriceMessage;
    assert.equal(snapshot.price, null);
    assert.equal(snapshot.confidence, 0);
    assert.match(snapshot.reason ?? '', /no estimate yet/);
    client.close();
  });

  test('the histogram comes with the snapshot and, when it changed, at most every histogramIntervalMs', async () => {
    const { feed, url } = await start({ hub: { minUpdateIntervalMs: 10, histogramIntervalMs: 200 } });
    feed.histogramValue = {
      binsPerDecade: 200,
      firstLog10Sats: 3,
      counts: [1, 2, 3],
      comb: [{ usd: 100, weight: 1 }],
    };
    feed.emit(numberedPoints(1, 1));
    const client = await openClient(url());
    assert.deepEqual(((await client.message(0)) as PriceMessage).histogram?.counts, [1, 2, 3]);
    feed.histogramValue = { ...feed.histogramValue, counts: [1, 2, 4] };
    feed.emit(numberedPoints(2, 1));
    await client.message(1);
    feed.emit(numberedPoints(3, 1));
    await client.message(2);
    const withHistogram = client.messages.slice(1).filter((m) => isPrice(m) && m.histogram !== undefined);
    assert.ok(withHistogram.length <= 1, 'sent at most once in 200 ms');
    await sleep(220); // time is the input: the 200 ms histogram interval passes
    feed.emit(numberedPoints(4, 1));
    const later = (await client.message(3)) as PriceMessage;
    const all = [...withHistogram, later].filter((m) => isPrice(m) && m.histogram !== undefined);
    assert.equal(all.length, 1, 'the changed histogram is sent once, not repeated while unchanged');
    assert.deepEqual((all[0] as PriceMessage).histogram?.counts, [1, 2, 4]);
    client.close();
  });
});

describe('access', () => {
  test('with a token, the stream needs ?token= or a bearer header', async () => {
    const { url } = await start({ token: 's3cret' });
    await expectRefused(url());
    await expectRefused(url('?token=wrong'));
    const byQuery = await openClient(url('?token=s3cret'));
    assert.equal((await byQuery.message(0)).type, 'snapshot');
    const byHeader = await openClient(url(), { headers: { authorization: 'Bearer s3cret' } });
    assert.equal((await byHeader.message(0)).type, 'snapshot');
    byQuery.close();
    byHeader.close();
  });

  test('pages from another origin are refused unless allowed; programs without Origin are let in', async () => {
    const { url, port } = await start({ allowedOrigins: ['https://chart.example'] });
    await expectRefused(url(), { headers: { origin: 'http://evil.example' } });
    await expectRefused(url(), { headers: { origin: 'null' } });
    const same = await openClient(url(), { headers: { origin: `http://127.0.0.1:${port}` } });
    const allowed = await openClient(url(), { headers: { origin: 'https://chart.example' } });
    const program = await openClient(url());
    for (const c of [same, allowed, program]) {
      assert.equal((await c.message(0)).type, 'snapshot');
      c.close();
    }
  });

  test('a bad ?limit= or an unknown parameter refuses the upgrade', async () => {
    const { url } = await start();
    await expectRefused(url('?limit=lots'));
    await expectRefused(url('?limt=10'));
  });

  test('upgrades anywhere else are refused', async () => {
    const { port } = await start();
    await expectRefused(`ws://127.0.0.1:${port}/ws/other`);
    await expectRefused(`ws://127.0.0.1:${port}/api/v1/price`);
    await expectRefused(`ws://127.0.0.1:${port}/`);
  });
});

describe('client messages', () => {
  test('an unknown message gets an error frame and the connection stays', async () => {
    const { url } = await start();
    const client = await openClient(url());
    await client.message(0);
    client.ws.send(JSON.stringify({ type: 'subscribe', channel: 'x' }));
    const error = (await client.message(1)) as ErrorMessage;
    assert.equal(error.type, 'error');
    assert.equal(error.code, 'unknown_message');
    client.ws.send(JSON.stringify({ type: 'snapshot', limit: -1 }));
    assert.equal(((await client.message(2)) as ErrorMessage).code, 'bad_request');
    client.ws.send(JSON.stringify({ type: 'ping' }));
    const pong = await client.message(3);
    assert.equal(pong.type, 'pong');
    assert.equal(client.ws.readyState, WebSocket.OPEN);
    client.close();
  });

  for (const [name, payload] of [
    ['not JSON', 'hello'],
    ['a JSON array', '[1,2]'],
    ['an object without type', '{"limit":3}'],
    ['a binary frame', new Uint8Array([1, 2, 3])],
  ] as const) {
    test(`a malformed message (${name}) closes with 1008`, async () => {
      const { url } = await start();
      const client = await openClient(url());
      await client.message(0);
      client.ws.send(payload);
      const { code } = await client.closed;
      assert.equal(code, 1008);
    });
  }

  test('a client beyond the most allowed is closed with 1013 and a reason; a place freed is taken again', async () => {
    const { app, url } = await start({ hub: { maxClients: 2 } });
    const first = await openClient(url());
    const second = await openClient(url());
    await first.message(0);
    await second.message(0);
    const third = await openClient(url());
    assert.deepEqual(await third.closed, {
      code: 1013,
      reason: '2 clients connected already; try again later',
    });
    first.ws.close();
    await first.closed;
    // The hub forgets a client when its socket's close event comes.
    const fourth = await waitFor(
      async () => {
        const c = await openClient(url());
        const outcome = await Promise.race([
          c.message(0).then(
            () => 'served',
            () => 'refused',
          ),
          c.closed.then(() => 'refused'),
        ]);
        return { c, outcome };
      },
      { what: 'a place to be free again', until: (r) => r.outcome === 'served', timeoutMs: 5_000 },
    );
    assert.equal((await fourth.c.message(0)).type, 'snapshot');
    const metrics = await app.inject({ url: '/metrics' });
    assert.match(metrics.body, /^chainprice_ws_connections_refused_total [1-9]\d*$/m);
    second.ws.close();
    fourth.c.ws.close();
  });

  test("the source's notices: to every client at once, and an unavailable one after each newcomer's snapshot until it is available again", async () => {
    const { feed, url } = await start();
    feed.emit(numberedPoints(1, 5));
    const early = await openClient(url());
    await early.message(0);
    feed.event({ type: 'notice', code: 'node_unavailable', message: 'the node does not answer' });
    const told = await early.waitFor((m) => m.type === 'error');
    assert.deepEqual(told, { type: 'error', code: 'node_unavailable', message: 'the node does not answer' });
    // A page opened during the hang hears it too, right after its snapshot.
    const late = await openClient(url());
    assert.equal((await late.message(0)).type, 'snapshot');
    assert.deepEqual(await late.message(1), told);
    feed.event({ type: 'notice', code: 'node_available', message: 'the node answers again' });
    await late.waitFor((m) => m.type === 'error' && m.code === 'node_available');
    const after = await openClient(url());
    assert.equal((await after.message(0)).type, 'snapshot');
    feed.emit(numberedPoints(6, 1));
    assert.equal((await after.message(1)).type, 'update', 'no notice once it is available again');
    for (const c of [early, late, after]) c.close();
  });

  test('an oversize message closes with 1009', async () => {
    const { url } = await start({ maxClientMessageBytes: 1024 });
    const client = await openClient(url());
    await client.message(0);
    client.ws.send(JSON.stringify({ type: 'ping', padding: 'x'.repeat(2_000) }));
    assert.equal((await client.closed).code, 1009);
  });

  test('too many messages: an error frame, then a 1008 close if the client keeps flooding', async () => {
    const { url } = await start({ hub: { messageBurst: 3, messagesPerSecond: 1, maxRefusedInARow: 10 } });
    const client = await openClient(url());
    await client.message(0);
    for (let i = 0; i < 4; i++) client.ws.send('{"type":"ping"}');
    const limited = (await client.waitFor((m) => m.type === 'error')) as ErrorMessage;
    assert.equal(limited.code, 'rate_limited');
    assert.equal(client.messages.filter((m) => m.type === 'pong').length <= 3, true);
    for (let i = 0; i < 20; i++) client.ws.send('{"type":"ping"}');
    assert.equal((await client.closed).code, 1008);
  });
});

describe('slow and dead clients', () => {
  test('a client that stops reading is skipped, the others keep their pace, and it resyncs with a snapshot', async () => {
    const { feed, port, url, app } = await start({
      hub: { minUpdateIntervalMs: 5, slowClientBytes: 64 * 1024, resumeBytes: 16 * 1024, resyncCheckMs: 50 },
    });
    feed.emit(numberedPoints(1, 10));
    const slow = await rawConnect(port, '/ws/mempool?limit=10', { paused: true });
    const fast = await openClient(url('?limit=10'));
    await fast.message(0);
    let next = 11;
    const sizeOfUpdate = 4_000; // about 200 kB of JSON per update
    let dropped = 0;
    for (let i = 0; i < 200 && dropped === 0; i++) {
      feed.emit(numberedPoints(next, sizeOfUpdate));
      next += sizeOfUpdate;
      await fast.waitFor((m) => isPrice(m) && usdOf(m).includes(next - 1), 0, 2_000);
      dropped = Number(/chainprice_ws_updates_dropped_total (\d+)/.exec(await metrics(app))?.[1]);
    }
    assert.ok(dropped > 0, 'the paused client was never skipped');
    // The fast client kept receiving every point while the slow one was skipped.
    const fastPoints = fast.messages.filter(isPrice).slice(1).flatMap(usdOf);
    assert.equal(fastPoints.length, next - 11);
    assert.equal(fastPoints.at(-1), next - 1);

    // The slow client reads again: it gets a fresh snapshot that says how many updates it missed.
    slow.socket.resume();
    const resync = await waitFor(() => slow.texts().find((m, i) => i > 0 && m.type === 'snapshot'), {
      what: 'a fresh snapshot after draining',
      timeoutMs: 5_000,
    });
    assert.ok(Number(resync.missed_updates) >= 1);
    assert.equal((resync.transactions as { usd: number }[]).at(-1)?.usd, next - 1, 'the snapshot is current');
    const seqs = slow.texts().map((m) => Number(m.seq));
    assert.deepEqual(
      seqs,
      seqs.map((_, i) => i + 1),
      'seq still rises by one per message',
    );
    // And it is back on updates afterwards.
    const before = slow.texts().length;
    feed.emit(numberedPoints(next, 1));
    const after = await waitFor(() => slow.texts().slice(before), {
      what: 'an update after the resync',
      until: (texts) => texts.length > 0,
      timeoutMs: 5_000,
    });
    assert.equal(after.at(-1)?.type, 'update');
    slow.socket.destroy();
    fast.close();
  });

  test('a client that does not answer pings is cut off', async () => {
    const { port } = await start({ hub: { heartbeatMs: 100 } });
    const silent = await rawConnect(port, '/ws/mempool');
    const started = Date.now();
    await silent.closed;
    const elapsed = Date.now() - started;
    assert.ok(elapsed >= 100 && elapsed < 2_000, `cut off after ${elapsed} ms`);
    assert.ok(
      silent.frames.some((f) => f.opcode === 0x9),
      'it was pinged first',
    );
  });

  test('a client that never reads is cut off even if it sends pongs blindly', async () => {
    const { port } = await start({ hub: { heartbeatMs: 100 } });
    const blind = await rawConnect(port, '/ws/mempool', { paused: true });
    blind.socket.on('error', () => {}); // its pongs fail once it is cut off
    let closed = false;
    void blind.closed.then(() => {
      closed = true;
    });
    // Pongs without reading: empty ones, and ones with a payload it could only have guessed.
    const timer = setInterval(() => {
      blind.sendPong();
      blind.sendPong(Buffer.from('guessed!'));
    }, 20);
    const started = Date.now();
    try {
      await waitFor(() => closed, { what: 'the blind ponger to be cut off', timeoutMs: 3_000 });
    } finally {
      clearInterval(timer);
      blind.socket.destroy();
    }
    const elapsed = Date.now() - started;
    assert.ok(elapsed >= 100, `cut off after ${elapsed} ms`);
  });

  test('a client that answers pings stays connected', async () => {
    const { url } = await start({ hub: { heartbeatMs: 50 } });
    const client = await openClient(url());
    await sleep(400); // the assertion: still connected after eight heartbeats
    assert.equal(client.ws.readyState, WebSocket.OPEN);
    client.close();
  });
});

test('shutdown closes every client with 1001 (going away)', async () => {
  const feed = new FakeFeed();
  const app = await buildApp({ feed, webRoot: null, log: () => {}, shutdownGraceMs: 500 });
  await app.listen({ host: '127.0.0.1', port: 0 });
  const port = (app.server.address() as AddressInfo).port;
  const clients = await Promise.all([1, 2, 3].map(() => openClient(`ws://127.0.0.1:${port}/ws/mempool`)));
  const silent = await rawConnect(port, '/ws/mempool', { paused: true });
  const started = Date.now();
  await app.close();
  assert.ok(Date.now() - started < 2_000, 'a client that ignores the close frame does not hold up shutdown');
  for (const c of clients) assert.equal((await c.closed).code, 1001);
  silent.socket.resume(); // a paused socket only notices the server's end once it reads again
  await silent.closed;
  assert.equal(feed.listenerCount, 0, 'the app unsubscribed from the feed');
});

async function metrics(app: FastifyInstance): Promise<string> {
  return (await app.inject({ url: '/metrics' })).body;
}
