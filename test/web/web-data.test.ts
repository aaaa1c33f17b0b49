// The page's pure data structures: the typed-array point store, the estimate series, hover
// hit-testing, the price axis range, reconnect backoff and when to announce a price.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { ANNOUNCE_MIN_GAP_MS, shouldAnnounce } from '../../web/announce-policy.ts';
import { BACKOFF_BASE_MS, BACKOFF_MAX_MS, backoffDelay } from '../../web/backoff.ts';
import { mix, parseColor } from '../../web/color.ts';
import { EstimateSeries } from '../../web/estimate-series.ts';
import { occupiedRange } from '../../web/histogram-range.ts';
import { PointStore } from '../../web/point-store.ts';
import { neededRange, nextRange } from '../../web/price-range.ts';
import { SpatialGrid } from '../../web/spatial-grid.ts';

test('the point store keeps points in order, drops the oldest when full, and forgets by age', () => {
  const store = new PointStore(8);
  const v0 = store.version;
  const kept = store.append([
    { timestamp: 10, price: 100, usd: 5 },
    { timestamp: 11, price: Number.NaN, usd: 5 },
    { timestamp: 12, price: -1, usd: 5 },
    { timestamp: 13, price: 101, usd: 10 },
  ]);
  assert.equal(kept, 2);
  assert.ok(store.version > v0);
  assert.deepEqual([store.minTime, store.maxTime, store.length], [10, 13, 2]);
  store.append(Array.from({ length: 10 }, (_, i) => ({ timestamp: 20 + i, price: 200 + i, usd: 20 })));
  assert.ok(store.length <= 8);
  assert.equal(store.time[store.length - 1], 29);
  assert.equal(store.maxTime, 29);
  for (let i = 1; i < store.length; i++) assert.ok(store.time[i] > store.time[i - 1]);
  const dropped = store.dropOlderThan(25);
  assert.equal(store.time[0], 25);
  assert.equal(store.minTime, 25);
  assert.ok(dropped > 0);
  store.clear();
  assert.equal(store.length, 0);
  assert.ok(Number.isNaN(store.minTime));
});

test('the robust price range leaves stray outliers out', () => {
  const store = new PointStore(20_000);
  const points = Array.from({ length: 10_000 }, (_, i) => ({
    timestamp: i,
    price: 60_000 + (i % 100),
    usd: 10,
  }));
  points[5000].price = 1_000_000;
  points[6000].price = 1;
  store.append(points);
  const r = store.robustPriceRange(0.005);
  assert.ok(r !== null && r.low >= 60_000 && r.high <= 60_100, JSON.stringify(r));
});

test('the estimate series ignores repeats and breaks the line where there was no estimate', () => {
  const s = new EstimateSeries(4);
  s.append(1, 100);
  s.append(1, 999);
  s.append(2, null);
  s.append(3, 102);
  assert.equal(s.length, 3);
  assert.ok(Number.isNaN(s.price[1]));
  assert.equal(s.latest(), 102);
  s.append(4, 103);
  s.append(5, 104);
  assert.ok(s.length <= 4);
  assert.equal(s.time[s.length - 1], 5);
  s.replace([
    { time: 9, price: 1 },
    { time: 7, price: 2 },
  ]);
  assert.deepEqual([...s.time.subarray(0, s.length)], [7, 9]);
  s.dropOlderThan(8);
  assert.deepEqual([...s.time.subarray(0, s.length)], [9]);
});

test('hover hit-testing finds the nearest point within the radius, as a brute-force search would', () => {
  let seed = 3;
  const rand = () => {
    seed = (Math.imul(seed, 1_103_515_245) + 12_345) >>> 0;
    return seed / 2 ** 32;
  };
  const n = 5000;
  const xs = new Float32Array(n);
  const ys = new Float32Array(n);
  for (let i = 0; i < n; i++) {
    xs[i] = rand() * 900 - 10; // some points fall outside the area
    ys[i] = rand() * 400;
  }
  const grid = new SpatialGrid(xs, ys, n, 880, 400, 8);
  for (let q = 0; q < 500; q++) {
    const x = rand() * 880;
    const y = rand() * 400;
    let best = -1;
    let bestD = 8 * 8;
    for (let i = 0; i < n; i++) {
      if (!(xs[i] >= 0 && xs[i] < 880)) continue;
      const d = (xs[i] - x) ** 2 + (ys[i] - y) ** 2;
      if (d < bestD || (d === bestD && i > best)) {
        bestD = d;
        best = i;
      }
    }
    assert.equal(grid.nearest(x, y, 8), best, `query ${x},${y}`);
  }
});

test('the price axis holds the cloud and the estimate, and stays put while it fits', () => {
  const needed = neededRange({ low: 60_000, high: 61_000 }, [61_500], 59_800, 61_500);
  assert.ok(needed !== null && needed.low < 59_800 && needed.high > 61_500);
  // A block-window price 30 % away is not pulled in (it would flatten the cloud).
  const far = neededRange({ low: 60_000, high: 61_000 }, [60_500], 42_000, 60_500);
  assert.ok(far !== null && far.low > 59_000);
  // A flat cloud still gets a readable span.
  const flat = neededRange({ low: 60_000, high: 60_000 }, [], null, null);
  assert.ok(flat !== null && flat.high - flat.low >= 300);
  assert.equal(neededRange(null, [null], null, null), null);
  const current = { low: 59_000, high: 62_000 };
  assert.equal(nextRange(current, { low: 59_500, high: 61_500 }), current);
  assert.deepEqual(nextRange(current, { low: 59_500, high: 62_500 }), { low: 59_500, high: 62_500 });
  assert.deepEqual(nextRange(current, { low: 60_400, high: 60_600 }), { low: 60_400, high: 60_600 });
});

test('reconnect delays grow exponentially up to a cap, with jitter', () => {
  assert.equal(backoffDelay(0, 0), BACKOFF_BASE_MS / 2);
  assert.equal(backoffDelay(0, 0.999_999), BACKOFF_BASE_MS);
  assert.ok(backoffDelay(3, 0.5) > backoffDelay(2, 0.5));
  assert.ok(backoffDelay(40, 0.999_999) <= BACKOFF_MAX_MS);
  assert.ok(backoffDelay(40, 0) >= BACKOFF_MAX_MS / 2);
});

test('the price is announced first, then only on a real move and not too often', () => {
  assert.equal(shouldAnnounce(null, 60_000, 0), true);
  assert.equal(shouldAnnounce(null, null, 0), false);
  const last = { price: 60_000, atMs: 0 };
  assert.equal(shouldAnnounce(last, 61_000, ANNOUNCE_MIN_GAP_MS - 1), false);
  assert.equal(shouldAnnounce(last, 60_100, ANNOUNCE_MIN_GAP_MS + 1), false);
  assert.equal(shouldAnnounce(last, 61_000, ANNOUNCE_MIN_GAP_MS + 1), true);
});

test('colours parse from the forms style.css uses', () => {
  assert.deepEqual(parseColor('#4c8dff'), { r: 76, g: 141, b: 255 });
  assert.deepEqual(parseColor(' #fff '), { r: 255, g: 255, b: 255 });
  assert.deepEqual(parseColor('rgb(22 27 34 / 85%)'), { r: 22, g: 27, b: 34 });
  assert.deepEqual(parseColor('rgba(1, 2, 3, 0.5)'), { r: 1, g: 2, b: 3 });
  assert.equal(parseColor('blue'), null);
  assert.deepEqual(mix({ r: 0, g: 0, b: 0 }, { r: 200, g: 100, b: 50 }, 0.5), { r: 100, g: 50, b: 25 });
});

test('the histogram shows the bins holding nearly all outputs, not a lone giant transfer', () => {
  const counts = new Array<number>(1000).fill(0);
  for (let i = 200; i < 700; i++) counts[i] = 10;
  counts[990] = 1;
  counts[5] = 1;
  assert.deepEqual(occupiedRange(counts), [200, 699]);
  assert.deepEqual(occupiedRange([0, 0, 3, 0]), [2, 2]);
  assert.deepEqual(occupiedRange([0, 0]), [-1, -1]);
});
