// An edge whose WebSocket clients never read, against the real programs: nats-server, a publishing
// estimator (`chainprice serve --demo --nats`) and two `chainprice edge` processes. On edge A, raw
// TCP clients upgrade to /ws/mempool asking for the largest snapshot, ask for it again as often as
// the rate limit allows, and never read a byte (the socket is paused: the kernel's buffers fill,
// then the edge's own). Half of them are silent; the other half send a pong every few seconds
// without reading, hoping to look alive. Edge B has ordinary readers, and so has edge A.
// Measured before and while the never-readers are there (until the heartbeat has cut off all of
// them): every reader's update intervals and seq (no gap, no resync); the publisher's publish
// intervals, seq and delivery lag as a plain NATS subscriber sees them, and its event-loop lag;
// edge A's RSS and external (Buffer) memory; nats-server's slow consumers and the largest pending
// bytes of any connection. The figures are printed (`# …` lines).

import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { connect as natsConnect } from '@nats-io/transport-node';
import type { BusMessage } from '../../../src/bus/bus-protocol.ts';
import { DEFAULT_HUB_LIMITS } from '../../../src/server/mempool-hub.ts';
import { type RawClient, rawConnect } from '../../server/raw-socket.ts';
import { sleep, waitFor } from '../../support/wait.ts';
import { healthy, logsOf, type Run, runCli, servedAt, waitForLine } from './cli-run.ts';
import { intervals, MiB, metric, quantile, reader, rssMiB, samePace, shown } from './measure.ts';
import { NatsServer, NO_NATS } from './nats-server.ts';

/** Never-reading clients on edge A, of each kind (silent, and ponging blindly). */
const SLOW_EACH = 60;
/** How long the baseline is measured, before the never-readers come. */
const BASELINE_MS = 12_000;
/** After they came: the first seconds are the burst of snapshots; memory must not grow after them. */
const BURST_MS = 15_000;
/** The largest snapshot a client may ask for (the hub's cap): the most it can make the edge queue at once. */
const BIG = DEFAULT_HUB_LIMITS.maxSnapshotLimit;

/** Upgrades, asks for the biggest snapshot a burst of times, and never reads; pongs blindly every `pongEveryMs`. */
async function neverReader(port: number, pongEveryMs: number | null): Promise<RawClient> {
  const client = await rawConnect(port, `/ws/mempool?limit=${BIG}`, { paused: true });
  client.socket.on('error', () => {}); // its writes fail once it is cut off
  for (let i = 0; i < DEFAULT_HUB_LIMITS.messageBurst; i++)
    client.sendText(JSON.stringify({ type: 'snapshot', limit: BIG }));
  if (pongEveryMs !== null) {
    const timer = setInterval(() => {
      if (client.socket.destroyed) clearInterval(timer);
      else client.sendPong();
    }, pongEveryMs);
    timer.unref();
  }
  return client;
}

describe('an edge whose clients never read', { skip: NO_NATS, timeout: 240_000 }, () => {
  test('slows neither the other edge, nor its own readers, nor the publisher; it stays bounded in memory and cuts them off', async () => {
    const nats = await NatsServer.start({ config: 'http: "127.0.0.1:-1"' });
    const slow: RawClient[] = [];
    const readers: ReturnType<typeof reader>[] = [];
    const bus = await natsConnect({ servers: nats.url, name: 'test bus watcher' });
    const runs: Record<string, Run> = {};
    const logs = () => logsOf(runs);
    let sampler: NodeJS.Timeout | undefined;
    try {
      const monitor = nats.monitorUrl;
      assert.ok(monitor, 'nats-server says where it monitors');
      const publisher = runCli(['serve', '--demo', '--no-history', '--port', '0', '--nats', nats.url]);
      runs.publisher = publisher;
      await waitForLine(publisher, /lease for demo: acquired/, 60_000);
      await waitForLine(publisher, /demo: \d+ transactions and \d+ blocks in/, 60_000);
      const publisherUrl = await servedAt(publisher);
      const edgeA = runCli(['edge', '--nats', nats.url, '--network', 'demo', '--port', '0']);
      const edgeB = runCli(['edge', '--nats', nats.url, '--network', 'demo', '--port', '0']);
      Object.assign(runs, { edgeA, edgeB });
      const [urlA, urlB] = [await servedAt(edgeA), await servedAt(edgeB)];
      await Promise.all([healthy(edgeA, urlA), healthy(edgeB, urlB)]);
      const pidA = edgeA.child.pid as number;

      // A plain subscriber on the bus: what the publisher publishes, when, and when it arrives.
      const published: { seq: number; sent: number; at: number; epoch: string }[] = [];
      bus.subscribe('chainprice.demo.update', {
        callback: (_error, msg) => {
          const m = msg.json<BusMessage>();
          if (m.kind === 'update')
            published.push({ seq: m.seq, sent: m.sent * 1000, at: Date.now(), epoch: m.epoch });
        },
      });
      const ws = (url: string) => `${url.replace('http', 'ws')}ws/mempool`;
      for (const url of [urlB, urlB, urlA]) readers.push(reader(ws(url)));
      await Promise.all(readers.map((r) => r.opened));
      const [b1, b2, a1] = readers;

      const snapshotBytes = await new Promise<number>((resolve, reject) => {
        const probe = new WebSocket(`${ws(urlA)}?limit=${BIG}`);
        probe.addEventListener('message', (event) => {
          resolve(Buffer.byteLength(String(event.data)));
          probe.close();
        });
        probe.addEventListener('error', () => reject(new Error('the probe could not connect')));
      });

      // Sampled every 500 ms throughout: edge A's memory, nats-server's view of its clients.
      const samples: { at: number; rss: number; external: number }[] = [];
      let maxPending = 0;
      let slowConsumers = 0;
      sampler = setInterval(() => {
        const at = performance.now();
        const rss = rssMiB(pidA);
        void metric(urlA, 'nodejs_external_memory_bytes')
          .then((external) => samples.push({ at, rss, external: external / MiB }))
          .catch(() => {});
        void (async () => {
          const varz = (await (await fetch(`${monitor}/varz`)).json()) as { slow_consumers: number };
          const connz = (await (await fetch(`${monitor}/connz`)).json()) as {
            connections: { pending_bytes: number }[];
          };
          slowConsumers = Math.max(slowConsumers, varz.slow_consumers);
          maxPending = Math.max(maxPending, ...connz.connections.map((c) => c.pending_bytes));
        })().catch(() => {});
      }, 500);

      // ---- phase 1: the baseline.
      const t0 = performance.now();
      await sleep(BASELINE_MS); // the length of the baseline is the measurement
      const t1 = performance.now();
      const lagBefore = await metric(publisherUrl, 'nodejs_eventloop_lag_p99_seconds');
      const sentBeforeA = await metric(urlA, 'chainprice_ws_bytes_sent_total');

      // ---- phase 2: the never-readers come to edge A, and stay until the heartbeat cuts them off.
      const portA = Number(new URL(urlA).port);
      const arriving: Promise<RawClient>[] = [];
      for (let i = 0; i < SLOW_EACH; i++) arriving.push(neverReader(portA, null), neverReader(portA, 5_000));
      slow.push(...(await Promise.all(arriving)));
      const behind = await waitFor(() => metric(urlA, 'chainprice_ws_clients_behind'), {
        what: 'edge A to find the never-readers behind',
        until: (n) => n >= SLOW_EACH,
        timeoutMs: 30_000,
        detail: logs,
      });
      // Silent or ponging blindly, every one is cut off: no pong echoing a ping for a whole interval.
      const cut = await waitFor(() => metric(urlA, 'chainprice_ws_heartbeat_timeouts_total'), {
        what: 'the heartbeat to cut off every never-reader',
        until: (n) => n >= 2 * SLOW_EACH,
        timeoutMs: 2 * DEFAULT_HUB_LIMITS.heartbeatMs + 15_000,
        detail: logs,
      });
      const tCut = performance.now();
      const dropped = await metric(urlA, 'chainprice_ws_updates_dropped_total');
      const snapshots = await metric(urlA, 'chainprice_ws_snapshots_sent_total');
      const sentToThem = (await metric(urlA, 'chainprice_ws_bytes_sent_total')) - sentBeforeA;
      await sleep(5_000); // and five seconds after: the readers go on, the memory settles
      const t2 = performance.now();
      const lagDuring = await metric(publisherUrl, 'nodejs_eventloop_lag_p99_seconds');
      clearInterval(sampler);

      // ---- the figures.
      const report: string[] = [
        `the largest snapshot (limit ${BIG}) is ${(snapshotBytes / 1024).toFixed(0)} KiB`,
        `edge A: ${behind} of ${2 * SLOW_EACH} never-readers behind; the heartbeat cut off ${cut} of them ` +
          `within ${((tCut - t1) / 1000).toFixed(1)} s of their coming; ${dropped} updates dropped for them (counted); ` +
          `${snapshots} snapshots and ${(sentToThem / MiB).toFixed(0)} MiB handed to their sockets before they were behind`,
      ];
      const during = (t: number) => t > t1 && t <= t2;
      const before = (t: number) => t > t0 && t <= t1;
      for (const [name, r] of [
        ['edge B reader 1', b1],
        ['edge B reader 2', b2],
        ['edge A reader', a1],
      ] as const) {
        const updates = r.arrivals.filter((m) => m.type === 'update');
        const base = intervals(updates.filter((m) => before(m.at)).map((m) => m.at));
        const now = intervals(updates.filter((m) => during(m.at)).map((m) => m.at));
        report.push(`${name}: updates before ${shown(base)}; with the never-readers ${shown(now)}`);
        const seqs = r.arrivals.map((m) => m.seq);
        assert.deepEqual(
          seqs,
          seqs.map((_, i) => i + 1),
          `${name}: seq without a gap`,
        );
        assert.deepEqual(
          r.arrivals.filter((m) => m.type !== 'update').map((m) => m.type),
          ['snapshot'],
          `${name}: its first snapshot, then only updates (no resync, no notice)`,
        );
        assert.ok(now.n >= 20, `${name}: ${now.n} updates while the never-readers were there`);
        assert.ok(samePace(now, base), `${name}: the same pace (${shown(now)}; before ${shown(base)})`);
        assert.ok(now.max < 3_000, `${name}: longest wait ${now.max.toFixed(0)} ms`);
      }

      // The publisher: every update published, at the same pace, delivered as quickly.
      const ours = published.filter((m) => m.epoch === published[0]?.epoch);
      assert.deepEqual(
        ours.map((m) => m.seq),
        ours.map((_, i) => ours[0].seq + i),
        'the publisher’s updates on the bus: no gap',
      );
      const wallOffset = Date.now() - performance.now(); // arrivals are wall-clock, phase marks are not
      const inPhase = (keep: (t: number) => boolean) => ours.filter((m) => keep(m.at - wallOffset));
      const [pubBefore, pubDuring] = [inPhase(before), inPhase(during)];
      const [paceBefore, paceDuring] = [pubBefore, pubDuring].map((part) =>
        intervals(part.map((m) => m.sent)),
      );
      const lag = (part: typeof ours) => part.map((m) => m.at - m.sent);
      const lagShown = (part: typeof ours) =>
        `p50 ${quantile(lag(part), 0.5).toFixed(0)} ms, max ${Math.max(...lag(part)).toFixed(0)} ms`;
      report.push(
        `publisher: published before ${shown(paceBefore)}; with the never-readers ${shown(paceDuring)}`,
        `publisher → NATS subscriber: before ${lagShown(pubBefore)}; with the never-readers ${lagShown(pubDuring)}`,
        `publisher event-loop lag p99: ${(lagBefore * 1000).toFixed(0)} ms before, ${(lagDuring * 1000).toFixed(0)} ms with the never-readers`,
      );
      assert.ok(samePace(paceDuring, paceBefore), 'the publisher publishes at the same pace');
      assert.ok(quantile(lag(pubDuring), 0.5) < 100, 'updates reach a NATS subscriber within 100 ms');

      // Edge A's memory: what the hub queues is bounded per client; nothing grows once the burst is over.
      const at = (from: number, to: number) => samples.filter((s) => s.at > from && s.at <= to);
      const peak = (part: typeof samples, key: 'rss' | 'external') => Math.max(...part.map((s) => s[key]));
      const base = at(t0, t1);
      const burst = at(t1, t1 + BURST_MS);
      const sitting = at(t1 + BURST_MS, tCut);
      const afterCut = at(tCut, t2);
      // Each never-reader holds at most 256 KiB of its own, and the snapshot it was sent is the one
      // Buffer every client shares (the hub sends each message's body without a copy per client).
      const queuedBound = (2 * SLOW_EACH * DEFAULT_HUB_LIMITS.slowClientBytes + snapshotBytes) / MiB;
      report.push(
        `edge A RSS: ${peak(base, 'rss').toFixed(0)} MiB before; ${peak(burst, 'rss').toFixed(0)} MiB at most in the first ` +
          `${BURST_MS / 1000} s of ${2 * SLOW_EACH} never-readers, ${peak(sitting, 'rss').toFixed(0)} MiB at most while they sat there, ` +
          `${peak(afterCut, 'rss').toFixed(0)} MiB once they were cut off`,
        `edge A external (Buffer) memory: ${peak(base, 'external').toFixed(1)} MiB before; ${peak([...burst, ...sitting], 'external').toFixed(1)} MiB at most ` +
          `with the never-readers (the hub's bound: ${queuedBound.toFixed(0)} MiB, 256 KiB each and one shared snapshot)`,
        `nats-server: ${slowConsumers} slow consumers; the largest pending bytes on any connection ${maxPending}`,
      );
      for (const line of report) console.log(`# ${line}`);
      assert.ok(sitting.length >= 10 && afterCut.length >= 5, 'memory was sampled throughout');
      assert.ok(
        peak([...burst, ...sitting], 'external') - peak(base, 'external') <= queuedBound,
        'the bytes queued for the never-readers stay within the hub’s bound',
      );
      // With a copy of its snapshot per client, the burst took edge A's RSS up by 209 MiB (measured).
      assert.ok(
        peak(burst, 'rss') - peak(base, 'rss') <= 64,
        `edge A's RSS grows by ${(peak(burst, 'rss') - peak(base, 'rss')).toFixed(0)} MiB with the never-readers' burst, at most 64`,
      );
      assert.ok(
        peak(sitting, 'rss') <= peak(burst, 'rss') + 16,
        'edge A’s RSS does not grow while the never-readers sit there',
      );
      assert.ok(peak(afterCut, 'rss') <= peak(burst, 'rss') + 16, 'nor after they are cut off');
      assert.ok(dropped > 0, 'updates were dropped for the never-readers, and counted');
      assert.equal(await metric(urlA, 'chainprice_ws_clients'), 1, 'only edge A’s reader is left');
      assert.equal(await metric(urlA, 'chainprice_ws_clients_behind'), 0);
      // NATS: no edge fell behind on the bus, and none lost an update.
      assert.equal(slowConsumers, 0, 'nats-server saw no slow consumer');
      for (const url of [urlA, urlB]) {
        assert.equal(await metric(url, 'chainprice_feed_bus_gaps(?:_total)?'), 0, `${url}: no bus gap`);
        assert.equal(
          await metric(url, 'chainprice_feed_bus_resyncs(?:_total)?'),
          1,
          `${url}: its first state only`,
        );
      }
    } finally {
      clearInterval(sampler);
      for (const c of slow) c.socket.destroy();
      for (const r of readers) r.close();
      await bus.close().catch(() => {});
      for (const run of Object.values(runs)) run.child.kill('SIGTERM');
      await nats.dispose();
    }
  });
});
