// The page's pure helpers for words and numbers: prices with thousands separators, amounts, times in
// local and UTC, confidence words, tick positions.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { confidenceLevel, confidenceWords } from '../../web/confidence.ts';
import {
  formatDuration,
  formatLocalTime,
  formatRoundUsd,
  formatSats,
  formatSatsDecade,
  formatUsd,
  formatUsdTick,
  formatUtcDateTime,
} from '../../web/format.ts';
import { niceTicks, timeTicks } from '../../web/ticks.ts';

const english = new Intl.NumberFormat().resolvedOptions().locale.startsWith('en');

test('prices are whole dollars with thousands separators', () => {
  if (english) {
    assert.equal(formatUsd(97_250.4), '$97,250');
    assert.equal(formatUsd(104_999.6), '$105,000');
    assert.equal(formatUsdTick(97_250, 250), '$97,250');
    assert.equal(formatUsdTick(0.5, 0.5), '$0.5');
    assert.equal(formatUsdTick(12.25, 0.05), '$12.25');
    assert.equal(formatRoundUsd(100), '$100');
    assert.equal(formatRoundUsd(2500), '$2,500');
    assert.equal(formatSats(12_345.4), '12,345 sats');
  } else {
    assert.match(formatUsd(97_250.4), /97\D250/);
  }
  assert.match(formatSats(25_000_000), /^0.25 BTC$|^0,25 BTC$/);
  assert.equal(formatSatsDecade(4), '10k sats');
  assert.match(formatSatsDecade(7), /^0.1 BTC$|^0,1 BTC$/);
});

test('times: UTC spelled out, local as a clock, durations short', () => {
  assert.equal(formatUtcDateTime(1_714_521_600 + 3 * 3600 + 4 * 60 + 5), '2024-05-01 03:04:05 UTC');
  assert.match(formatLocalTime(1_714_521_600), /^\d\d:\d\d$/);
  assert.match(formatLocalTime(1_714_521_600, true), /^\d\d:\d\d:\d\d$/);
  assert.equal(formatDuration(42), '42 s');
  assert.equal(formatDuration(3 * 3600 + 5 * 60), '3 h 05 min');
});

test('confidence in words, from high to very low', () => {
  assert.deepEqual([0.95, 0.6, 0.3, 0.05].map(confidenceLevel), ['high', 'medium', 'low', 'very-low']);
  assert.equal(confidenceWords(0.8), 'high confidence');
  assert.equal(confidenceWords(0), 'very low confidence');
});

test('price ticks are 1-2-5 steps inside the range, never more than asked', () => {
  for (const [lo, hi, n] of [
    [96_830, 98_120, 6],
    [59_000, 61_500, 10],
    [0.2, 0.9, 4],
    [99_990, 100_010, 5],
  ]) {
    const t = niceTicks(lo, hi, n);
    assert.ok(t.values.length >= 1 && t.values.length <= n + 1, `${t.values.length} ticks for ${lo}..${hi}`);
    const mantissa = t.step / 10 ** Math.floor(Math.log10(t.step));
    assert.ok(
      [1, 2, 5].some((m) => Math.abs(mantissa - m) < 1e-9),
      `step ${t.step}`,
    );
    for (const v of t.values) {
      assert.ok(v >= lo - 1e-9 && v <= hi + 1e-9, `${v} outside ${lo}..${hi}`);
      assert.ok(Math.abs(v / t.step - Math.round(v / t.step)) < 1e-6, `${v} is not a multiple of ${t.step}`);
    }
  }
  assert.deepEqual(niceTicks(5, 5, 4).values, [5]);
});

test('time ticks fall on round minutes and hours of the local clock', () => {
  const t0 = 1_714_521_600 + 7 * 60 + 13;
  const hour = timeTicks(t0, t0 + 3 * 3600, 6, 0);
  assert.equal(hour.step, 1800);
  for (const v of hour.values) assert.equal(v % 1800, 0);
  // UTC+5:30: ticks are round in that zone, so 30 minutes off the UTC hour.
  const india = timeTicks(t0, t0 + 6 * 3600, 6, 5.5 * 3600);
  for (const v of india.values) assert.equal((v + 5.5 * 3600) % india.step, 0);
  assert.ok(india.values.every((v) => v >= t0 && v <= t0 + 6 * 3600));
});
