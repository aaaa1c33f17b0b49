import assert from 'node:assert/strict';
import { test } from 'node:test';
import {
  BURST_TRANSACTIONS,
  BurstRelease,
  CALM_TRANSACTIONS,
  UNCALM_CHECKS,
} from '../../src/runtime/burst-release.ts';

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
  // A short burst: 8,000 a second for 8 s. Nothing while it lasts, once when it calms.
  const burst = new BurstRelease(received);
  const during: boolean[] = [];
  for (let i = 0; i < UNCALM_CHECKS; i++) {
    received += 16_000;
    during.push(burst.check(received));
  }
  assert.deepEqual(during, Array(UNCALM_CHECKS).fill(false));
  received += CALM_TRANSACTIONS - 1;
  assert.equal(burst.check(received), true);
  assert.equal(burst.check(received + 10), false, 'once per burst');
  // A flow that never calms (400 a second, the demo at speed 96): a release every so often anyway,
  // UNCALM_CHECKS checks after each 25,000.
  const flood = new BurstRelease(received);
  const at: number[] = [];
  for (let i = 0; i < 300; i++) {
    received += 800;
    if (flood.check(received)) at.push(i);
  }
  const checksToCount = Math.ceil(BURST_TRANSACTIONS / 800);
  assert.equal(at[0], checksToCount - 1 + UNCALM_CHECKS, 'the first, UNCALM_CHECKS after the count');
  assert.ok(at.length >= 6 && at.length <= 9, `${at.length} releases in 10 minutes of 400 a second`);
  // Fewer than a burst's worth since: never.
  const small = new BurstRelease();
  assert.equal(small.check(BURST_TRANSACTIONS - 1), false);
  assert.equal(small.check(BURST_TRANSACTIONS - 1), false);
});
