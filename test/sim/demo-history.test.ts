// The demo's simulated past (serve --demo's History view): months of demo days mined and priced
// through the history build's own day pricing into the chain tables of a real history database, in
// seconds; the days' prices follow the walk to the live demo's start price; heights run up to just
// below the live demo's first block; a second run replaces the first's rows.

import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { HistoryTables } from '../../src/history/history-tables.ts';
import { MIN_SEED_CONFIDENCE } from '../../src/oracle/seed-price.ts';
import { buildDemoHistory } from '../../src/sim/demo-history.ts';
import { DEFAULT_START_HEIGHT } from '../../src/sim/generator.ts';
import { HistoryStore } from '../../src/store/history.ts';

describe('demo history', () => {
  const dir = mkdtempSync(join(tmpdir(), 'chainprice-demo-history-'));
  const store = HistoryStore.open({ dataDir: dir, source: 'demo' });
  const tables = new HistoryTables(store.database);
  after(() => {
    store.close();
    rmSync(dir, { recursive: true, force: true });
  });
  const endTime = Date.parse('2026-03-01T12:00:00Z') / 1000;

  it('prices 60 simulated days into the chain tables, ending at the live start price', async () => {
    const lines: string[] = [];
    const summary = await buildDemoHistory({
      tables,
      endTime,
      days: 60,
      endPrice: 68_000,
      onStatus: (l) => lines.push(l),
    });
    assert.ok(summary.seconds < 30, `took ${summary.seconds} s`);
    assert.match(lines.join('\n'), /^demo: simulated \d+ days of history/);
    const days = tables.days('0000-01-01', '9999-12-31');
    assert.equal(days.length, summary.days);
    assert.ok(days.length >= 50, `${days.length} days`); // a day may have no block (Poisson)
    assert.ok(
      days[0].day >= '2025-12-31' && days.at(-1)!.day <= '2026-02-28',
      `${days[0].day}..${days.at(-1)!.day}`,
    );
    const confident = days.filter((d) => d.price !== null && d.confidence >= MIN_SEED_CONFIDENCE);
    assert.ok(confident.length >= days.length * 0.7, `${confident.length} of ${days.length} days confident`);
    const last = confident.at(-1)!;
    assert.ok(Math.abs(last.price! / 68_000 - 1) < 0.1, `last confident day ${last.day} at ${last.price}`);
    for (let i = 1; i < confident.length; i++) {
      const r = confident[i].price! / confident[i - 1].price!;
      assert.ok(r > 0.8 && r < 1.25, `${confident[i - 1].day} → ${confident[i].day}: ×${r.toFixed(3)}`);
    }
    const blocks = tables.blocksByHeight(0, 1e9, 100_000);
    assert.equal(blocks.length, summary.blocks);
    assert.equal(blocks.at(-1)!.height, DEFAULT_START_HEIGHT - 1);
    assert.equal(blocks[0].height, DEFAULT_START_HEIGHT - blocks.length);
    const priced = blocks.filter((b) => b.price !== null);
    assert.ok(priced.length >= blocks.length * 0.6, `${priced.length} of ${blocks.length} blocks priced`);
  });

  it('a second start replaces the first run’s rows', async () => {
    const summary = await buildDemoHistory({ tables, endTime: endTime + 10 * 86_400, days: 5 });
    const days = tables.days('0000-01-01', '9999-12-31');
    assert.equal(days.length, summary.days);
    assert.ok(days[0].day >= '2026-03-06', days[0].day);
  });
});
