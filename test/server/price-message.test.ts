import assert from 'node:assert/strict';
import { test } from 'node:test';
import { frame, priceBody, serialiseBody } from '../../src/server/price-message.ts';
import { makeState } from './fake-feed.ts';

test('a frame is the body with its type and seq in front, valid JSON', () => {
  const body = priceBody({
    state: makeState({ price: 65_432.109, confidence: 0.123456, timestamp: 1_700_000_000.12345 }),
    source: 'node',
    points: [{ timestamp: 1_700_000_000.98765, price: 65_000.555, usd: 20 }],
    nowSeconds: 0,
  });
  const message = JSON.parse(frame('update', 7, serialiseBody(body)));
  assert.equal(message.type, 'update');
  assert.equal(message.seq, 7);
  assert.deepEqual(Object.keys(message).slice(0, 2), ['type', 'seq']);
  assert.equal(message.price, 65_432.11);
  assert.equal(message.confidence, 0.1235);
  assert.equal(message.timestamp, 1_700_000_000.123);
  assert.deepEqual(message.transactions, [{ timestamp: 1_700_000_000.988, price: 65_000.56, usd: 20 }]);
  assert.equal(message.source, 'node');
  assert.equal('histogram' in message, false);
});

test('without an estimate: price null, zero stats, the given time', () => {
  const body = priceBody({ state: null, source: 'demo', points: [], nowSeconds: 42.5, missedUpdates: 0 });
  assert.equal(body.price, null);
  assert.equal(body.timestamp, 42.5);
  assert.equal(body.stats.total_received, 0);
  assert.equal(body.missed_updates, 0);
});
