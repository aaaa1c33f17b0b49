import assert from 'node:assert/strict';
import { test } from 'node:test';
import { grouped } from '../../src/format/number.ts';

test('grouped matches en-US toLocaleString with fixed decimals', () => {
  const cases: [number, number][] = [
    [0, 0],
    [7, 0],
    [999, 0],
    [1000, 0],
    [1234567, 0],
    [-1234567, 0],
    [52238.75, 2],
    [100000, 2],
    [0.5, 2],
    [999999.999, 2],
    [123456789012, 0],
  ];
  for (const [n, d] of cases)
    assert.equal(
      grouped(n, d),
      n.toLocaleString('en-US', { minimumFractionDigits: d, maximumFractionDigits: d }),
      `${n} with ${d} decimals`,
    );
  assert.equal(grouped(Number.NaN), 'NaN');
});
