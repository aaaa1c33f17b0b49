// Seeding that cannot trap the live service. A seeded search looks only within ±30 % of its seed,
// so a wrong seed would hold the live estimate on a wrong price at high confidence. The
// orchestrator, with a real PriceWindow fed synthetic payments at a known price: a wrong seed (÷10,
// ×5, from a hint, the history or a confident block window) is left by the cold check, which says
// so in the log and in health; an unconfident block-window price is shown but does not seed; the
// history's last confident (and recent) price seeds a restart until the chain gives one. Each case
// first shows the trap is real: without the guard, the same window reads the wrong price.

import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { Orchestrator, type OrchestratorOptions } from '../../src/live/orchestrator.ts';
import { chooseStartSeed, HISTORY_SEED_MAX_AGE_SECONDS } from '../../src/live/start-seed.ts';
import { DEFAULT_HEALTH_LIMITS, healthReport } from '../../src/server/health.ts';
import { HistoryStore } from '../../src/store/history.ts';
import { syntheticTransactions } from '../oracle/synthetic.ts';

const T0 = 1_750_000_000;
/** Not a round number, so round-dollar outputs are not round-bitcoin outputs. */
const TRUE_PRICE = 65_432.1;

function within(price: number | null | undefined, target: number, tolerance = 0.01): boolean {
  return typeof price === 'number' && Math.abs(price / target - 1) <= tolerance;
}

/** An orchestrator on a manual clock at T0 + 3600, its window holding an hour of payments at TRUE_PRICE. */
function orchestrator(options: Partial<OrchestratorOptions> = {}, count = 3_000) {
  let now = T0 + 3_600;
  const lines: string[] = [];
  const o = new Orchestrator({
    source: 'node',
    now: () => now,
    log: (line) => lines.push(line),
    ...options,
  });
  for (const { tx, time } of syntheticTransactions(TRUE_PRICE, count, {
    seed: 5,
    startTime: T0,
    spacing: 3_600 / count,
  })) {
    o.addTransaction(tx, time);
  }
  return {
    o,
    lines,
    advance: (seconds: number) => {
      now += seconds;
    },
    /** More payments at the true price, so the window changes. */
    more: (n: number, batch: number) => {
      for (const { tx, time } of syntheticTransactions(TRUE_PRICE, n, { seed: batch, batch, startTime: now }))
        o.addTransaction(tx, time);
    },
  };
}

const root = mkdtempSync(join(tmpdir(), 'chainprice-seeding-'));
after(() => rmSync(root, { recursive: true, force: true }));

describe('seeding the live estimate', () => {
  for (const [name, factor] of [
    ['÷10', 0.1],
    ['×5', 5],
  ] as const) {
    it(`leaves a wrong ${name} seed at the first cold check, and says so in the log and /health`, (t) => {
      const wrong = TRUE_PRICE * factor;
      const hint = { price: wrong, source: 'hint' as const, detail: `--price-hint ${wrong}` };

      // The trap: seeded wrongly and never checked, the window reads the wrong price (whatever
      // confidence the estimator gives it, the seeded search cannot reach the true price).
      const trapped = orchestrator({ startSeed: hint, coldCheckSeconds: 0 }).o.tick()?.state;
      assert.ok(trapped?.price, 'an estimate');
      assert.ok(
        within(trapped.price, wrong, 0.02),
        `the trap is real: seeded at ${wrong}, the window reads ${trapped.price}`,
      );

      // With the cold check (default every 60 s, and at once for a new seed): the true price.
      const { o, lines } = orchestrator({ startSeed: hint });
      const state = o.tick()?.state;
      assert.ok(within(state?.price, TRUE_PRICE), `live price ${state?.price}, true ${TRUE_PRICE}`);
      const health = o.health();
      assert.equal(health.seed.source, 'cold-check');
      assert.ok(within(health.seed.price, TRUE_PRICE), `the seed is now ${health.seed.price}`);
      assert.match(health.seed.detail ?? '', /cold check .* outside ±30 % of the seed .* --price-hint/);
      assert.equal(health.seed.since, T0 + 3_600);
      assert.equal(health.counters.cold_check_reseeds, 1);
      assert.equal(lines.length, 1, lines.join('\n'));
      assert.match(lines[0], /re-seeding the live estimate/);
      const body = healthReport(health, DEFAULT_HEALTH_LIMITS).body;
      assert.equal(body.seed.source, 'cold-check');
      assert.equal(body.seed.reseeded_at, T0 + 3_600);
      assert.ok(within(body.seed.price, TRUE_PRICE));
      assert.ok(body.cold_check !== null && within(body.cold_check.price, TRUE_PRICE));
      assert.ok(body.cold_check.confidence >= 0.5);
      t.diagnostic(
        `${name}: trapped at ${trapped.price.toFixed(2)} (${trapped.confidence.toFixed(3)}); ` +
          `with the cold check ${state?.price?.toFixed(2)} (${state?.confidence.toFixed(3)}); log: ${lines[0]}`,
      );
    });
  }

  it('runs the cold check every coldCheckSeconds, not on every tick, and then leaves a wrong seed', () => {
    // A wrong seed set while the window is still empty: the first cold check finds nothing.
    let now = T0;
    const lines: string[] = [];
    const o = new Orchestrator({
      source: 'node',
      now: () => now,
      coldCheckSeconds: 60,
      log: (l) => lines.push(l),
      startSeed: { price: TRUE_PRICE / 10, source: 'history', detail: 'the history' },
    });
    o.tick();
    assert.equal(o.health().counters.cold_checks, 1);
    assert.equal(o.health().seed.source, 'history');
    // Payments arrive; ticks within the minute estimate with the (wrong) seed and check nothing.
    const txs = syntheticTransactions(TRUE_PRICE, 3_000, { seed: 9, startTime: T0, spacing: 0.015 });
    for (let k = 0; k < 5; k++) {
      for (const { tx, time } of txs.slice(k * 600, (k + 1) * 600)) o.addTransaction(tx, time);
      now += 10;
      const state = o.tick()?.state;
      assert.ok(state);
      assert.equal(o.health().counters.cold_checks, 1, `no cold check ${now - T0} s after the last`);
      if (k === 4) assert.ok(within(state.price, TRUE_PRICE / 10, 0.02), `still trapped: ${state.price}`);
    }
    // A minute after the last check, the next tick checks, re-seeds and re-estimates at once.
    now = T0 + 60;
    const state = o.tick()?.state;
    assert.equal(o.health().counters.cold_checks, 2, 'a minute on, the cold check runs');
    assert.equal(o.health().seed.source, 'cold-check');
    assert.ok(within(state?.price, TRUE_PRICE), `re-seeded live price ${state?.price}`);
    assert.equal(lines.length, 1);
    // The re-seed itself triggers no check; the next one is a minute later, and only after a change.
    now += 1;
    o.removeTransaction(txs[1].tx.txid);
    assert.ok(within(o.tick()?.state.price, TRUE_PRICE));
    now += 30;
    o.tick();
    assert.equal(o.health().counters.cold_checks, 2, 'changed, but not a minute since the last check');
    now += 30;
    assert.equal(o.tick(), null, 'the cold check agrees: no re-seed, nothing new to estimate');
    assert.equal(o.health().counters.cold_checks, 3, 'a minute since the last check, and the window changed');
    now += 120;
    o.tick();
    assert.equal(o.health().counters.cold_checks, 3, 'the window is as the last check saw it');
    o.removeTransaction(txs[2].tx.txid);
    o.tick();
    assert.equal(o.health().counters.cold_checks, 4);
  });

  it('shows an unconfident block-window price but does not seed with it', () => {
    const wrong = TRUE_PRICE / 10;
    // The trap, were confidence ignored: a block-window "price" at ÷10 would hold the estimate there.
    const ignored = orchestrator({ coldCheckSeconds: 0 });
    ignored.o.setBlockWindowPrice(wrong, 0.9);
    assert.ok(within(ignored.o.tick()?.state.price, wrong, 0.02), 'a confident wrong seed traps');

    const { o } = orchestrator({ coldCheckSeconds: 0 });
    o.setBlockWindowPrice(wrong, 0.3);
    const state = o.tick()?.state;
    assert.ok(state);
    assert.equal(state.blockWindowPrice, wrong, 'the block-window price is shown');
    assert.ok(within(state.price, TRUE_PRICE), `live price ${state.price}: a cold search`);
    assert.deepEqual(
      { price: o.health().seed.price, source: o.health().seed.source },
      { price: null, source: null },
    );
    assert.equal(o.seedPrice, null);

    // A confident one seeds; a later unconfident one is shown and leaves that seed alone.
    o.setBlockWindowPrice(TRUE_PRICE * 1.004, 0.8);
    assert.equal(o.health().seed.source, 'block-window');
    assert.equal(o.seedPrice, TRUE_PRICE * 1.004);
    o.setBlockWindowPrice(wrong, 0.49);
    assert.equal(o.seedPrice, TRUE_PRICE * 1.004);
    const later = o.tick()?.state;
    assert.equal(later?.blockWindowPrice, wrong);
    assert.ok(within(later?.price, TRUE_PRICE));
  });

  it('leaves a confidently wrong block-window seed (×5) at once, however often it comes back', () => {
    const { o, lines } = orchestrator();
    for (let block = 0; block < 3; block++) {
      o.setBlockWindowPrice(TRUE_PRICE * 5, 0.9);
      const state = o.tick()?.state;
      assert.ok(within(state?.price, TRUE_PRICE), `block ${block}: live price ${state?.price}`);
      assert.equal(state?.blockWindowPrice, TRUE_PRICE * 5, 'still shown as what the blocks say');
      assert.equal(o.health().seed.source, 'cold-check');
    }
    assert.equal(o.health().counters.cold_check_reseeds, 3);
    assert.equal(lines.length, 3);
    assert.match(lines[0], /from the confirmed-block window/);
  });

  it('a right seed is kept: the cold check agrees and re-seeds nothing', () => {
    const { o, lines, advance, more } = orchestrator();
    o.setBlockWindowPrice(TRUE_PRICE * 1.05, 0.9);
    for (let k = 0; k < 4; k++) {
      more(200, 100 + k);
      advance(61);
      assert.ok(within(o.tick()?.state.price, TRUE_PRICE));
    }
    assert.equal(o.health().seed.source, 'block-window');
    assert.equal(o.health().counters.cold_checks, 4, 'one at the new seed, then one a minute');
    assert.equal(o.health().counters.cold_check_reseeds, 0);
    assert.deepEqual(lines, []);
  });

  it("seeds a restart from the history's last confident price of the past week", () => {
    const dataDir = join(root, 'restart');
    const wall = T0 + 10 * 86_400;
    // The service's first life: estimates recorded as serve records them.
    const first = HistoryStore.open({ dataDir, now: () => wall });
    first.recordEstimate({ price: 31_000, confidence: 0.95, timestamp: wall - 9 * 86_400 }); // too old
    first.recordEstimate({ price: TRUE_PRICE * 1.01, confidence: 0.8, timestamp: wall - 7_200 });
    first.recordEstimate({ price: 6_543, confidence: 0.2, timestamp: wall - 3_600 }); // not confident
    first.recordEstimate({ price: null, confidence: 0, timestamp: wall - 1_800 }); // no price: not recorded
    first.close();

    // The restart: the same directory, a new store and orchestrator.
    const store = HistoryStore.open({ dataDir, now: () => wall });
    const last = store.lastConfidentEstimate({
      minConfidence: 0.5,
      maxAgeSeconds: HISTORY_SEED_MAX_AGE_SECONDS,
    });
    assert.deepEqual(last && [last.price, last.confidence, last.timestamp], [
      TRUE_PRICE * 1.01,
      0.8,
      wall - 7_200,
    ]);
    const start = chooseStartSeed({ history: store, now: wall });
    assert.ok(start);
    assert.equal(start.source, 'history');
    assert.equal(start.price, TRUE_PRICE * 1.01);
    assert.match(start.detail, /history's last confident price \$66,?086\.42 \(confidence 0\.80, 2 h old\)/);
    // An explicit --price-hint wins over the stored price; older than a week, nothing seeds.
    assert.equal(chooseStartSeed({ hint: 70_000, history: store, now: wall })?.source, 'hint');
    const later = HistoryStore.open({ dataDir, now: () => wall + 8 * 86_400 });
    assert.equal(chooseStartSeed({ history: later, now: wall + 8 * 86_400 }), null);
    later.close();
    store.close();

    const { o } = orchestrator({ startSeed: start, coldCheckSeconds: 0 });
    assert.equal(o.seedPrice, TRUE_PRICE * 1.01, 'the restart is seeded before its first estimate');
    assert.equal(o.health().seed.source, 'history');
    assert.ok(within(o.tick()?.state.price, TRUE_PRICE));
    // Until the chain gives a confident price: an unconfident block window does not replace it...
    o.setBlockWindowPrice(TRUE_PRICE * 0.99, 0.4);
    assert.equal(o.health().seed.source, 'history');
    // ...a confident one does, and a start seed never replaces a chain seed again.
    o.setBlockWindowPrice(TRUE_PRICE * 0.995, 0.7);
    assert.equal(o.health().seed.source, 'block-window');
    o.setStartSeed({ price: 1_000, source: 'hint', detail: 'late' });
    assert.equal(o.seedPrice, TRUE_PRICE * 0.995);
  });

  it('a history seed that is wrong is left like any other', () => {
    const { o } = orchestrator({
      startSeed: { price: TRUE_PRICE * 0.1, source: 'history', detail: 'history' },
    });
    assert.ok(within(o.tick()?.state.price, TRUE_PRICE));
    assert.equal(o.health().seed.source, 'cold-check');
    assert.match(o.health().seed.detail ?? '', /from the history/);
  });

  it('refuses a nonsensical start seed or cold-check interval', () => {
    const o = new Orchestrator({ source: 'node' });
    assert.throws(() => o.setStartSeed({ price: Number.NaN, source: 'hint', detail: '' }), RangeError);
    assert.throws(() => o.setStartSeed({ price: -1, source: 'hint', detail: '' }), RangeError);
    assert.throws(() => new Orchestrator({ source: 'node', coldCheckSeconds: -1 }), RangeError);
  });
});
