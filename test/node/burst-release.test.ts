import assert from 'node:assert/strict';
import { test } from 'node:test';
import { BURST_TRANSACTIONS, BurstRelease, CALM_TRANSACTIONS } from '../../src/node/burst-release.ts';

test('releases once a burst is over, not during it, and not for the ordinary flow', () => {
  const b = new BurstRelease();
  // Mainnet's ordinary flow (10 a second, checks 2 s apart) for a day: one release every ~40 minutes.
  let received = 0;
  let releases = 0;
  for (let i = 0; i < (24 * 3600) / 2; i++) {
    received += 20;
    if (b.check(received)) releases++;
  }
  assert.ok(releases <= 35 && releases >= 30, `${releases} releases in a day of 10 tx/s`);
  // A burst: 8,000 a second. Nothing while it lasts, once when it calms.
  const burst = new BurstRelease(received);
  const during: boolean[] = [];
  for (let i = 0; i < 10; i++) {
    received += 40_000;
    during.push(burst.check(received));
  }
  assert.deepEqual(during, Array(10).fill(false));
  received += CALM_TRANSACTIONS - 1;
  assert.equal(burst.check(received), true);
  assert.equal(burst.check(received + 10), false, 'once per burst');
  // Fewer than a burst's worth since: never.
  const small = new BurstRelease();
  assert.equal(small.check(BURST_TRANSACTIONS - 1), false);
  assert.equal(small.check(BURST_TRANSACTIONS - 1), false);
});
