// The demo feed end to end: the demo network's raw bytes go through the real parser, window,
// estimator and orchestrator; the live estimate recovers the demo's market price within 1 % after
// a few simulated minutes, blocks are priced and seed the live estimate, replaced transactions
// leave the window, everything is labelled "demo", and simulated time runs at the chosen speed.

import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ManualClock, ScaledClock } from '../../src/sim/clock.ts';
import type { DemoBlockPrice } from '../../src/sim/demo-blocks.ts';
import { createDemoFeed } from '../../src/sim/demo-feed.ts';
import { DemoGenerator } from '../../src/sim/generator.ts';
import { sleep, waitFor } from '../support/wait.ts';

const T0 = 1_760_000_000;

function within(actual: number, expected: number, share: number, what: string): void {
  const error = Math.abs(actual / expected - 1);
  assert.ok(
    error <= share,
    `${what}: ${actual.toFixed(2)} vs ${expected.toFixed(2)} (${(error * 100).toFixed(2)} % off)`,
  );
}

describe('demo feed', () => {
  for (const [seed, startPrice] of [
    [11, 68_000],
    [12, 2_450],
    [13, 310_000],
    [14, 23_700],
  ] as const) {
    it(`recovers the demo price within 1 % after five simulated minutes (start $${startPrice})`, async () => {
      const clock = new ManualClock(T0);
      const feed = createDemoFeed({ clock, seed, startPrice, prefillSeconds: 300 });
      await feed.start();
      try {
        const state = feed.current();
        assert.ok(state !== null, 'an estimate right after start');
        assert.equal(state.source, 'demo');
        assert.ok(state.price !== null, `no price: ${state.reason}`);
        within(state.price, feed.generator.price(), 0.01, 'live estimate');
        assert.ok(feed.evidence(100_000).length > 50);
      } finally {
        await feed.stop();
      }
    });
  }

  it('prices its blocks, seeds the live estimate with them, and follows the walk', async () => {
    const clock = new ManualClock(T0);
    const feed = createDemoFeed({ clock, seed: 21, prefillSeconds: 1800, startPrice: 41_000 });
    const blocks: DemoBlockPrice[] = [];
    feed.onBlock((b) => blocks.push(b));
    await feed.start();
    try {
      for (let i = 0; i < 24; i++) {
        clock.advance(300);
        feed.step();
      }
      feed.orchestrator.tick();
      assert.ok(blocks.length >= 6, `${blocks.length} blocks in 2.5 simulated hours`);
      const priced = blocks.filter((b) => b.price !== null);
      assert.ok(priced.length >= blocks.length - 1, 'nearly every demo block has a price');
      for (const b of priced.filter((p) => p.confidence >= 0.5)) {
        within(b.price!, feed.generator.priceAt(clock.now()), 0.05, `block ${b.height}`);
      }
      const last = blocks[blocks.length - 1];
      assert.deepEqual(await feed.blockPrices.priceOf(String(last.height)), last);
      assert.deepEqual(await feed.blockPrices.priceOf(last.hash.toUpperCase()), last);
      assert.equal(await feed.blockPrices.priceOf('1'), null);
      const state = feed.current()!;
      assert.ok(state.blockWindowPrice !== null);
      within(state.blockWindowPrice, feed.generator.price(), 0.02, 'block-window price');
      within(state.price!, feed.generator.price(), 0.01, 'live estimate');
      assert.equal(state.stats.uptime_seconds, 24 * 300);
      assert.ok(feed.health().counters.blocks_connected >= blocks.length);
    } finally {
      await feed.stop();
    }
  });

  it('keeps replaced transactions out of the window and ages old ones out', async () => {
    const clock = new ManualClock(T0);
    const seed = 31;
    const feed = createDemoFeed({ clock, seed, prefillSeconds: 3600, windowSeconds: 1800 });
    await feed.start();
    try {
      feed.orchestrator.tick();
      // The same network, replayed: which transactions were replaced, and by which.
      const replay = new DemoGenerator({ startTime: T0 - 3600, seed, startPrice: 68_000 });
      const replaced = new Set<string>();
      const replacements = new Set<string>();
      const seenAt = new Map<string, number>();
      for (const e of replay.advanceTo(T0)) {
        if (e.type !== 'tx') continue;
        seenAt.set(e.txid, e.time);
        if (e.replaces !== null) {
          replaced.add(e.replaces);
          replacements.add(e.txid);
        }
      }
      assert.ok(replaced.size > 10, `${replaced.size} replacements in an hour`);
      const window = feed.orchestrator.windowTxids();
      for (const txid of replaced) assert.ok(!window.has(txid), 'a replaced transaction left the window');
      for (const txid of replacements) {
        if (!replaced.has(txid) && seenAt.get(txid)! > T0 - 1800 + 1) assert.ok(window.has(txid));
      }
      for (const txid of window) assert.ok(seenAt.get(txid)! >= T0 - 1800, 'nothing older than the window');
      // Every replaced transaction that was in the window (seen within it) was removed from it.
      const inWindow = [...replaced].filter((txid) => seenAt.get(txid)! >= T0 - 1800);
      assert.ok(feed.health().counters.transactions_removed >= inWindow.length);
    } finally {
      await feed.stop();
    }
  });

  it('is labelled demo everywhere and stops when told', async () => {
    const clock = new ManualClock(T0);
    const feed = createDemoFeed({ clock, seed: 5, prefillSeconds: 120, tickMs: 10, updateIntervalMs: 20 });
    let updates = 0;
    feed.onUpdate(() => updates++);
    await feed.start();
    const health = feed.health();
    assert.equal(feed.source, 'demo');
    assert.equal(health.source, 'demo');
    assert.equal(health.connected, true);
    assert.match(health.detail ?? '', /demo/);
    clock.advance(30);
    await waitFor(() => updates, {
      what: 'the timers to move the network on',
      until: (n) => n >= 2,
      timeoutMs: 5_000,
    });
    await feed.stop();
    const after = updates;
    clock.advance(30);
    await sleep(120); // the assertion: twelve ticks of 10 ms pass without an update
    assert.equal(updates, after, 'no update after stop');
  });

  it('fills the window on start and gives a first estimate within seconds, on the real clock', async () => {
    const started = performance.now();
    const feed = createDemoFeed({ seed: 8, prefillSeconds: 3600, speed: 1 });
    await feed.start();
    try {
      const seconds = (performance.now() - started) / 1000;
      const state = feed.current();
      assert.ok(state?.price != null, 'an estimate once started');
      assert.ok(seconds < 30, `start took ${seconds.toFixed(1)} s`);
      assert.ok(state.stats.active_in_window > 10_000);
    } finally {
      await feed.stop();
    }
  });

  it('runs simulated time at the chosen speed', () => {
    let real = 1_000_000;
    const clock = new ScaledClock({ speed: 10, start: T0, realNow: () => real });
    assert.equal(clock.now(), T0);
    real += 1500;
    assert.equal(clock.now(), T0 + 15);
    assert.throws(() => new ScaledClock({ speed: 0 }), /speed/);
    const manual = new ManualClock(T0);
    assert.throws(() => manual.set(T0 - 1), /backwards/);
  });

  it('rejects bad options with a clear message', () => {
    assert.throws(() => createDemoFeed({ speed: -1 }), /demo speed must be a positive number/);
    assert.throws(() => createDemoFeed({ txPerSecond: Number.NaN }), /transactions per second/);
    assert.throws(() => createDemoFeed({ startPrice: 0 }), /start price/);
    assert.throws(() => createDemoFeed({ prefillSeconds: -5 }), /pre-fill/);
  });
});
