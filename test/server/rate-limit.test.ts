import assert from 'node:assert/strict';
import { test } from 'node:test';
import { TokenBucket } from '../../src/server/rate-limit.ts';

test('a burst, then the refill rate', () => {
  const bucket = new TokenBucket(3, 2, 0);
  assert.deepEqual(
    [0, 0, 0, 0].map(() => bucket.take(0)),
    [true, true, true, false],
  );
  assert.equal(bucket.take(400), false, '0.8 of a token after 400 ms');
  assert.equal(bucket.take(500), true, 'one token after 500 ms at 2/s');
  assert.equal(bucket.take(10_000), true);
  assert.equal(bucket.take(10_000), true);
  assert.equal(bucket.take(10_000), true);
  assert.equal(bucket.take(10_000), false, 'never more than the capacity');
});
