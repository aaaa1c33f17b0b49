import assert from 'node:assert/strict';
import { test } from 'node:test';
import { Histogram, metricName, PrometheusText } from '../../src/server/prometheus-text.ts';

test('counters, gauges and labels in the text format', () => {
  const text = new PrometheusText()
    .counter('x_total', 'An "x".', 3)
    .gauge('y', 'A gauge.\nTwo lines.', null, { a: 'q"uote\\' })
    .toString();
  assert.equal(
    text,
    '# HELP x_total An "x".\n# TYPE x_total counter\nx_total 3\n' +
      '# HELP y A gauge.\\nTwo lines.\n# TYPE y gauge\ny{a="q\\"uote\\\\"} NaN\n',
  );
});

test('histograms are cumulative with +Inf, sum and count', () => {
  const h = new Histogram([1, 0.1, 10]);
  for (const v of [0.05, 0.5, 0.5, 20, Number.NaN]) h.observe(v);
  const text = new PrometheusText().histogram('d_seconds', 'Durations.', h).toString();
  assert.ok(text.includes('d_seconds_bucket{le="0.1"} 1\n'));
  assert.ok(text.includes('d_seconds_bucket{le="1"} 3\n'));
  assert.ok(text.includes('d_seconds_bucket{le="10"} 3\n'));
  assert.ok(text.includes('d_seconds_bucket{le="+Inf"} 4\n'));
  assert.ok(text.includes('d_seconds_sum 21.05\n'));
  assert.ok(text.includes('d_seconds_count 4\n'));
});

test('metric names from free-form keys', () => {
  assert.equal(metricName('zmq.gaps-rawtx'), 'zmq_gaps_rawtx');
  assert.equal(metricName('2x'), '_2x');
});
