// The tracker's typed entries against a plain Map doing the same, through growth and slot reuse.
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { describe, it } from 'node:test';
import { TxidEntries } from '../../src/node/txid-entries.ts';

const txid = (n: number) => createHash('sha256').update(String(n)).digest('hex');

describe('TxidEntries', () => {
  it('holds what a Map would, through growth, deletes, ageing out and reused slots', () => {
    const entries = new TxidEntries();
    const model = new Map<string, { seen: number; mined: boolean }>();
    let next = 0;
    for (let round = 0; round < 6; round++) {
      for (let i = 0; i < 1500; i++, next++) {
        const id = txid(next);
        entries.add(id, next, next % 3 === 0);
        model.set(id, { seen: next, mined: next % 3 === 0 });
      }
      // Delete every fifth of this round, mark every seventh mined, age out the oldest third.
      for (let n = next - 1500; n < next; n += 5) {
        assert.equal(entries.delete(txid(n)), true);
        model.delete(txid(n));
      }
      for (let n = next - 1500; n < next; n += 7) {
        assert.equal(entries.setMined(txid(n), true), model.has(txid(n)));
        const held = model.get(txid(n));
        if (held) held.mined = true;
      }
      const oldest = next / 3;
      entries.deleteOlderThan(oldest);
      for (const [id, { seen }] of model) if (seen < oldest) model.delete(id);
      assert.equal(entries.size, model.size);
      assert.deepEqual(entries.txidList().sort(), [...model.keys()].sort());
    }
    for (let n = 0; n < next; n++) {
      const id = txid(n);
      const want = model.get(id);
      assert.equal(entries.has(id), want !== undefined);
      assert.equal(entries.firstSeen(id), want?.seen);
      assert.equal(entries.isMined(id), want?.mined);
    }
    assert.equal(entries.has(txid(-1)), false);
    assert.equal(entries.delete(txid(-1)), false);
    assert.throws(() => entries.add(txid(next - 1), 0, false), /held already/);
  });

  it('keeps names that are not txids too, and finds a txid in either letter case', () => {
    const entries = new TxidEntries();
    entries.add('snap', 5, false);
    entries.add(txid(1), 6, true);
    assert.equal(entries.firstSeen('snap'), 5);
    assert.equal(entries.isMined(txid(1).toUpperCase()), true);
    assert.deepEqual(entries.txidList().sort(), [txid(1), 'snap'].sort());
    assert.equal(entries.delete('snap'), true);
    assert.equal(entries.size, 1);
  });
});
