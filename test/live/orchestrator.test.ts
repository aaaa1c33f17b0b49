import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { parseTransaction } from '../../src/bitcoin/transaction.ts';
import type { LiveUpdate } from '../../src/live/feed.ts';
import { Orchestrator } from '../../src/live/orchestrator.ts';
import { PriceWindow } from '../../src/oracle/window.ts';
import { DemoGenerator } from '../../src/sim/generator.ts';

const START = 1_750_000_000;

/** An orchestrator on a manual clock, fed `seconds` of demo transactions. */
function fed(seconds: number, windowSeconds = 3 * 3600) {
  let now = START;
  const orchestrator = new Orchestrator({ source: 'demo', now: () => now, windowSeconds });
  const generator = new DemoGenerator({ startTime: START, seed: 7, txPerSecond: 3 });
  const added: { txid: string; bytes: Uint8Array; time: number }[] = [];
  for (const event of generator.advanceTo(START + seconds)) {
    if (event.type !== 'tx') continue;
    orchestrator.addTransaction(parseTransaction(event.bytes), event.time);
    added.push({ txid: event.txid, bytes: event.bytes, time: event.time });
  }
  now = START + seconds;
  return {
    orchestrator,
    generator,
    added,
    setNow: (t: number) => {
      now = t;
    },
  };
}

describe('Orchestrator', () => {
  it('estimates like a PriceWindow fed the same transactions, and reports its stats', () => {
    const { orchestrator, added } = fed(3600);
    const update = orchestrator.tick();
    assert.ok(update, 'the first tick must emit');
    const window = new PriceWindow();
    for (const a of added) window.add(parseTransaction(a.bytes), a.time);
    const direct = window.estimate();
    assert.equal(update.state.price, direct.ok ? direct.price : null);
    assert.equal(update.state.stats.total_received, added.length);
    assert.equal(update.state.stats.active_in_window, window.size);
    assert.ok(update.state.stats.total_filtered > 0 && update.state.stats.total_filtered < added.length);
    assert.equal(update.state.source, 'demo');
    if (direct.ok) assert.equal(update.newEvidence.length, direct.evidence.length);
  });

  it('emits only when something changed, and then only the new evidence points', () => {
    const { orchestrator, generator } = fed(3600);
    const updates: LiveUpdate[] = [];
    orchestrator.onUpdate((u) => updates.push(u));
    const first = orchestrator.tick();
    assert.ok(first);
    assert.equal(orchestrator.tick(), null, 'no change, no update');
    const before = orchestrator.evidence(Number.MAX_SAFE_INTEGER).length;
    for (const event of generator.advanceTo(START + 3600 + 600)) {
      if (event.type === 'tx') orchestrator.addTransaction(parseTransaction(event.bytes), event.time);
    }
    const second = orchestrator.tick();
    assert.ok(second);
    assert.equal(updates.length, 2);
    const after = orchestrator.evidence(Number.MAX_SAFE_INTEGER);
    assert.ok(second.newEvidence.length > 0 && second.newEvidence.length < after.length);
    assert.ok(after.length >= before);
  });

  it('ages transactions out of the window and then has no estimate', () => {
    const { orchestrator, setNow } = fed(3600, 3600);
    assert.ok(orchestrator.tick()?.state.price);
    setNow(START + 3 * 3600);
    const update = orchestrator.tick();
    assert.ok(update);
    assert.equal(update.state.stats.active_in_window, 0);
    assert.equal(update.state.price, null);
    assert.match(update.state.reason ?? '', /\w/);
    assert.ok((orchestrator.health().counters.transactions_aged_out ?? 0) > 0);
  });

  it('replaceAll leaves exactly the given transactions; removeTransaction drops one', () => {
    const { orchestrator, added } = fed(1800);
    const keep = added.slice(0, Math.floor(added.length / 2));
    orchestrator.replaceAll(keep.map((a) => ({ tx: parseTransaction(a.bytes), firstSeen: a.time })));
    assert.deepEqual([...orchestrator.windowTxids()].sort(), keep.map((a) => a.txid).sort());
    orchestrator.removeTransaction(keep[0].txid);
    assert.equal(orchestrator.windowTxids().has(keep[0].txid), false);
    assert.equal(orchestrator.windowTxids().size, keep.length - 1);
  });

  it('evidence(limit) gives the newest points, oldest first; histogram carries the comb', () => {
    const { orchestrator } = fed(3600);
    orchestrator.tick();
    const all = orchestrator.evidence(Number.MAX_SAFE_INTEGER);
    const last = orchestrator.evidence(10);
    assert.deepEqual(last, all.slice(-10));
    for (let i = 1; i < all.length; i++) assert.ok(all[i].timestamp >= all[i - 1].timestamp);
    const h = orchestrator.histogram();
    assert.ok(h.counts.reduce((a, b) => a + b, 0) > 0);
    assert.ok(h.comb.length > 3);
  });

  it('ignores a nonsensical block-window price', () => {
    const { orchestrator } = fed(600);
    orchestrator.tick();
    orchestrator.setBlockWindowPrice(Number.NaN, 0.9);
    assert.equal(orchestrator.tick(), null);
    orchestrator.setBlockWindowPrice(-5, 0.9);
    assert.equal(orchestrator.tick(), null);
  });
});
