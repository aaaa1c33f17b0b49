// The mempool tracker: sequence events and raw transactions in any order, blocks, resync.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { Transaction } from '../../src/bitcoin/transaction.ts';
import { MempoolTracker, type WindowSink } from '../../src/node/mempool-tracker.ts';
import { parseSequenceEvent, type SequenceEvent } from '../../src/node/sequence-event.ts';

class FakeSink implements WindowSink {
  readonly window = new Map<string, number>();
  readonly log: string[] = [];
  mined: string[] = [];
  addTransaction(tx: Transaction, firstSeen: number): void {
    assert.ok(!this.window.has(tx.txid), `${tx.txid} added twice`);
    this.window.set(tx.txid, firstSeen);
    this.log.push(`+${tx.txid}`);
  }
  removeTransaction(txid: string): void {
    if (this.window.delete(txid)) this.log.push(`-${txid}`);
  }
  markMined(txids: Iterable<string>): void {
    this.mined.push(...txids);
  }
  count(): void {}
}

const tx = (txid: string) => ({ txid }) as Transaction;
const added = (txid: string): SequenceEvent => ({ kind: 'added', txid, mempoolSequence: 0n });
const removed = (txid: string): SequenceEvent => ({ kind: 'removed', txid, mempoolSequence: 0n });

function setup(windowSeconds = 3600) {
  let clock = 10_000;
  const sink = new FakeSink();
  const tracker = new MempoolTracker(sink, { now: () => clock, windowSeconds });
  return { sink, tracker, tick: (s: number) => (clock += s), time: () => clock };
}

describe('mempool tracker', () => {
  it('adds a transaction once both its body and its A arrived, in either order', () => {
    const { sink, tracker, tick } = setup();
    tracker.rawTransaction(tx('a'));
    assert.equal(sink.window.size, 0, 'a body alone is not a mempool entry (blocks send bodies too)');
    tick(1);
    tracker.sequence(added('a'));
    tracker.sequence(added('b'));
    assert.deepEqual([...sink.window.keys()], ['a']);
    assert.equal(sink.window.get('a'), 10_000, 'first seen is the earlier of the two');
    tracker.rawTransaction(tx('b'));
    tracker.rawTransaction(tx('b'));
    tracker.sequence(added('b'));
    assert.deepEqual([...sink.window.keys()].sort(), ['a', 'b']);
  });

  it('removes replaced transactions but keeps mined ones', () => {
    const { sink, tracker } = setup();
    for (const id of ['a', 'b', 'c']) {
      tracker.rawTransaction(tx(id));
      tracker.sequence(added(id));
    }
    tracker.block({ hash: 'h1', time: 10_000, transactions: [tx('cb'), tx('a')] });
    assert.deepEqual(sink.mined, ['cb', 'a']);
    tracker.sequence(removed('a'));
    tracker.sequence(removed('b'));
    assert.deepEqual([...sink.window.keys()].sort(), ['a', 'c', 'cb']);
    assert.deepEqual([...tracker.txids()].sort(), ['a', 'c', 'cb']);
  });

  it('keeps old blocks (a node catching up) out of the window', () => {
    const { sink, tracker, time } = setup(3600);
    tracker.block({ hash: 'old', time: time() - 7200, transactions: [tx('o1'), tx('o2')] });
    assert.equal(sink.window.size, 0);
    tracker.block({ hash: 'new', time: time() - 60, transactions: [tx('n1')] });
    assert.equal(sink.window.get('n1'), time() - 60, 'an unseen transaction counts from its block');
  });

  it('does not let a removal before the body arrives resurrect the transaction', () => {
    const { sink, tracker } = setup();
    tracker.sequence(added('x'));
    tracker.sequence(removed('x'));
    tracker.rawTransaction(tx('x'));
    assert.equal(sink.window.size, 0);
  });

  it('ages entries out and refuses ones first seen before the window', () => {
    const { tracker, tick } = setup(100);
    tracker.rawTransaction(tx('a'));
    tracker.sequence(added('a'));
    tick(101);
    tracker.prune();
    assert.equal(tracker.size, 0);
  });

  it('resyncs to a snapshot without doubling, then replays what came meanwhile', () => {
    const { sink, tracker, time } = setup();
    for (const id of ['keep', 'gone']) {
      tracker.rawTransaction(tx(id));
      tracker.sequence(added(id));
    }
    tracker.beginResync();
    tracker.rawTransaction(tx('late'));
    tracker.sequence(added('late'));
    tracker.sequence(removed('keep'));
    assert.equal(sink.window.has('late'), false, 'buffered while resyncing');
    const result = tracker.finishResync([
      { txid: 'keep', firstSeen: time(), mined: false },
      { txid: 'new', firstSeen: time(), mined: true, tx: tx('new') },
      { txid: 'nobody', firstSeen: time(), mined: false },
    ]);
    assert.deepEqual(result, { added: 1, removed: 1, missingBodies: 1 });
    assert.deepEqual([...sink.window.keys()].sort(), ['late', 'new']);
    assert.deepEqual([...tracker.txids()].sort(), ['late', 'new']);
  });

  it('empties a full resync buffer without losing anything the next snapshot holds', () => {
    const { sink, tracker, time } = setup();
    tracker.beginResync();
    for (let i = 0; i < 50_001; i++) tracker.rawTransaction(tx(`b${i}`));
    assert.equal(tracker.bufferOverflows, 1);
    tracker.sequence(added('b50000'));
    tracker.finishResync([{ txid: 'snap', firstSeen: time(), mined: false, tx: tx('snap') }]);
    assert.deepEqual([...sink.window.keys()].sort(), ['b50000', 'snap']);
  });

  it('reports A events whose body never came', () => {
    const { tracker, tick, sink } = setup();
    tracker.sequence(added('slow'));
    tick(5);
    assert.deepEqual(tracker.bodiesOverdue(3), ['slow']);
    tracker.bodyFetched(tx('slow'));
    assert.ok(sink.window.has('slow'));
    assert.deepEqual(tracker.bodiesOverdue(0), []);
  });
});

describe('mempool sequence numbers', () => {
  const a = (txid: string, n: bigint): SequenceEvent => ({ kind: 'added', txid, mempoolSequence: n });
  const r = (txid: string, n: bigint): SequenceEvent => ({ kind: 'removed', txid, mempoolSequence: n });

  it('skips buffered events the snapshot already holds and expects the next number after it', () => {
    let clock = 10_000;
    const sink = new FakeSink();
    const gaps: [bigint, bigint][] = [];
    const tracker = new MempoolTracker(sink, {
      now: () => clock,
      windowSeconds: 3600,
      onMempoolSequenceGap: (expected, received) => gaps.push([expected, received]),
    });
    tracker.beginResync();
    tracker.sequence(r('x', 4n)); // before the snapshot (which still lists x): already reflected
    tracker.rawTransaction(tx('y'));
    tracker.sequence(a('y', 7n)); // after it: replayed
    tracker.finishResync([{ txid: 'x', firstSeen: clock, mined: false, tx: tx('x') }], 7n);
    assert.deepEqual([...sink.window.keys()].sort(), ['x', 'y']);
    assert.deepEqual(gaps, []);
    clock++;
    tracker.sequence(a('z', 10n));
    assert.deepEqual(gaps, [[8n, 10n]], 'A #8 and #9 were lost');
  });

  it("skips late A/R events older than the last snapshot (a stalled link's backlog after polling)", () => {
    const sink = new FakeSink();
    const gaps: bigint[] = [];
    const tracker = new MempoolTracker(sink, {
      now: () => 1,
      windowSeconds: 3600,
      onMempoolSequenceGap: (_e, got) => gaps.push(got),
    });
    // The window was synchronised by polling up to mempool sequence 10: m left, n is in.
    tracker.finishResync([{ txid: 'n', firstSeen: 1, mined: false, tx: tx('n') }], 10n);
    assert.equal(tracker.expectedMempoolSequence, 10n);
    // The stalled link then delivers what it held back: m came (#3) and left (#6), n came (#8).
    tracker.rawTransaction(tx('m'));
    tracker.sequence(a('m', 3n));
    tracker.sequence(r('m', 6n));
    tracker.sequence(a('n', 8n));
    assert.deepEqual([...sink.window.keys()], ['n'], 'the late events changed nothing');
    assert.equal(tracker.expectedMempoolSequence, 10n);
    tracker.rawTransaction(tx('o'));
    tracker.sequence(a('o', 10n));
    assert.deepEqual([...sink.window.keys()].sort(), ['n', 'o']);
    assert.equal(tracker.expectedMempoolSequence, 11n);
    assert.deepEqual(gaps, [], 'no resync for numbers the snapshot had passed already');
  });

  it('does not call an R after unannounced block removals, or the first A after a block, a gap', () => {
    const sink = new FakeSink();
    const gaps: bigint[] = [];
    const tracker = new MempoolTracker(sink, {
      now: () => 1,
      windowSeconds: 3600,
      onMempoolSequenceGap: (_e, got) => gaps.push(got),
    });
    tracker.finishResync([], 1n);
    tracker.sequence(a('p', 1n));
    tracker.sequence(r('q', 9n)); // a conflict removed while a block's transactions left silently
    tracker.sequence({ kind: 'connected', blockHash: 'h' });
    tracker.sequence(a('s', 20n));
    tracker.sequence(a('t', 21n));
    assert.deepEqual(gaps, []);
    tracker.sequence(a('u', 23n));
    assert.deepEqual(gaps, [23n]);
  });
});

describe('sequence events', () => {
  it('decodes A/R with the mempool sequence and C/D with the block hash', () => {
    const hash = Buffer.alloc(32, 0xab);
    const a = Buffer.concat([hash, Buffer.from('A'), Buffer.from([5, 0, 0, 0, 0, 0, 0, 1])]);
    assert.deepEqual(parseSequenceEvent(a), {
      kind: 'added',
      txid: 'ab'.repeat(32),
      mempoolSequence: (1n << 56n) + 5n,
    });
    assert.deepEqual(parseSequenceEvent(Buffer.concat([hash, Buffer.from('D')])), {
      kind: 'disconnected',
      blockHash: 'ab'.repeat(32),
    });
    assert.equal(parseSequenceEvent(Buffer.concat([hash, Buffer.from('X')])), null);
    assert.equal(
      parseSequenceEvent(Buffer.concat([hash, Buffer.from('A')])),
      null,
      'A without its mempool sequence',
    );
  });
});
