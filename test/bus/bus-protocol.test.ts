// The evidence window's diff (pure): whatever leaves and enters a time-ordered window — oldest
// points, points in the middle (the band follows the price), new points anywhere, points sharing a
// millisecond — applying the diff rebuilds the new window exactly, and a copy that has drifted is
// caught by the length and checksum instead of being served.

import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import {
  applyWindowDiff,
  checksum,
  diffWindow,
  subjects,
  type WirePoint,
  wirePoint,
} from '../../src/bus/bus-protocol.ts';
import { random as rng } from '../oracle/synthetic.ts';

const byTime = (a: WirePoint, b: WirePoint) => a[0] - b[0];

/** A window of `n` points at times with many ties (one per 5 ms, 3 ms steps). */
function window(random: () => number, n: number, t0: number): WirePoint[] {
  const out: WirePoint[] = [];
  for (let i = 0; i < n; i++) {
    out.push(
      wirePoint({
        timestamp: t0 + Math.floor(random() * n * 3) / 1000,
        price: 60_000 + random() * 2_000,
        usd: [10, 20, 50, 100][Math.floor(random() * 4)],
      }),
    );
  }
  return out.sort(byTime);
}

describe('window diff', () => {
  test('random edits: drop old, drop from the middle, add anywhere — rebuilt exactly', () => {
    const random = rng(7);
    let before = window(random, 500, 1_700_000_000);
    for (let round = 0; round < 200; round++) {
      // A stable filter and a stable merge keep the order of the points that stay, as the window does.
      const kept = before.filter((_, i) => i >= round % 7 && random() > 0.05);
      const fresh = window(random, Math.floor(random() * 20), 1_700_000_000 + random() * 2);
      const after = [...kept, ...fresh].sort(byTime);
      const diff = diffWindow(before, after);
      assert.deepEqual(applyWindowDiff(before, diff), after, `round ${round}`);
      assert.ok(diff.removed.length + diff.added.length <= before.length - kept.length + fresh.length);
      before = after;
    }
  });

  test('no change is an empty diff; from and to nothing', () => {
    const random = rng(3);
    const w = window(random, 50, 1_700_000_000);
    const none = diffWindow(w, w);
    assert.deepEqual([none.removed, none.added], [[], []]);
    assert.deepEqual(applyWindowDiff(w, diffWindow(w, [])), []);
    assert.deepEqual(applyWindowDiff([], diffWindow([], w)), w);
  });

  test('a copy that drifted is refused, not served', () => {
    const random = rng(11);
    const before = window(random, 100, 1_700_000_000);
    const after = [...before.slice(10), ...window(random, 5, 1_700_000_100)];
    const diff = diffWindow(before, after);
    const drifted = before.slice();
    drifted[50] = [drifted[50][0], drifted[50][1] + 0.01, drifted[50][2]];
    assert.equal(applyWindowDiff(drifted, diff), null, 'a changed point');
    assert.equal(applyWindowDiff(before.slice(1), diff), null, 'a missing point');
    assert.notEqual(checksum(before), checksum(drifted));
  });

  test('points travel as the stream shows them: ms and cents', () => {
    assert.deepEqual(wirePoint({ timestamp: 1.23456, price: 61_234.5678, usd: 20 }), [1.235, 61_234.57, 20]);
  });

  test('subjects per network', () => {
    assert.deepEqual(subjects('demo'), {
      update: 'chainprice.demo.update',
      state: 'chainprice.demo.state',
      history: 'chainprice.demo.history',
      block: 'chainprice.demo.block',
      leaseKey: 'demo',
    });
  });
});
