// Finding a UTC day's blocks by binary search on header times, with times that are not monotonic.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { UserError } from '../../src/errors.ts';
import type { BlockInfo } from '../../src/node/block-source.ts';
import { blocksOfDay, utcDayBounds } from '../../src/node/day-blocks.ts';

/** A fake chain: block h has time times[h]. */
function chain(times: number[]) {
  const info = (h: number): BlockInfo => ({
    hash: `h${h}`,
    height: h,
    time: times[h],
    medianTime: times[h],
    previousHash: h > 0 ? `h${h - 1}` : null,
    txCount: 1,
  });
  return {
    tipHeight: async () => times.length - 1,
    infoAt: async (heights: readonly number[]) =>
      heights.map((h) => (h >= 0 && h < times.length ? info(h) : null)),
  };
}

describe('UTC day bounds', () => {
  it("gives the day's start and the next day's start", () => {
    assert.deepEqual(utcDayBounds('2024-04-20'), { start: 1713571200, end: 1713657600 });
  });
  it('rejects what is not a date', () => {
    for (const bad of ['2024-02-30', '2024-4-20', '20240420', 'yesterday', '2024-13-01']) {
      assert.throws(() => utcDayBounds(bad), UserError, bad);
    }
  });
});

describe('blocks of a day', () => {
  const { start, end } = utcDayBounds('2024-04-20');
  it('finds every block whose header time is in the day, even out of order', async () => {
    // 10-minute blocks from 6 hours before the day to 6 hours after, with two blocks dated out of order.
    const times: number[] = [];
    for (let t = start - 6 * 3600; t < end + 6 * 3600; t += 600) times.push(t);
    const firstInDay = times.findIndex((t) => t >= start);
    const lastInDay = times.findLastIndex((t) => t < end);
    times[firstInDay - 2] = start + 300; // dated ahead: belongs to the day
    times[lastInDay + 3] = end - 60; // likewise, after the day's last block
    times[firstInDay + 5] = start - 1200; // dated behind: not in the day
    const found = await blocksOfDay(chain(times), start, end);
    const expected = times
      .map((t, h) => ({ t, h }))
      .filter(({ t }) => t >= start && t < end)
      .map(({ h }) => h);
    assert.deepEqual(
      found.map((b) => b.height),
      expected,
    );
    assert.ok(
      expected.includes(firstInDay - 2) &&
        expected.includes(lastInDay + 3) &&
        !expected.includes(firstInDay + 5),
    );
  });

  it('is empty for a day before the chain or after its tip', async () => {
    const times = Array.from({ length: 50 }, (_, i) => end + 86_400 + i * 600);
    assert.deepEqual(await blocksOfDay(chain(times), start, end), []);
    const early = Array.from({ length: 50 }, (_, i) => start - 10 * 86_400 + i * 600);
    assert.deepEqual(await blocksOfDay(chain(early), start, end), []);
  });
});
