// The live window's membership, kept in step with the node: ZMQ events in (raw transactions,
// sequence events, connected blocks), calls on a WindowSink (the orchestrator) out. Keyed by txid:
// first-seen time and whether the transaction is mined. The window is "first seen in the last
// `windowSeconds`, and still in the mempool or already mined": A adds, R removes (replaced,
// evicted, conflicted, expired), a connected block marks its transactions mined (they stay until
// they age out) and adds the ones never seen in the mempool. A transaction's body comes on the
// `rawtx` topic and its acceptance on `sequence`; the two may arrive in either order, so each
// waits briefly for the other. After a lost message, a reconnect or a reorg the caller
// resynchronises from RPC: `beginResync` buffers events, `finishResync` makes the window equal to
// the node's snapshot (removing what is gone, adding what is new, never twice) and replays the
// buffered events on top. No I/O here; the clock is passed in.

import type { Transaction } from '../bitcoin/transaction.ts';
import type { SequenceEvent } from './sequence-event.ts';
import { TxidEntries } from './txid-entries.ts';

/** What the tracker drives: the orchestrator's inputs. */
export interface WindowSink {
  addTransaction(tx: Transaction, firstSeen: number): void;
  removeTransaction(txid: string): void;
  markMined(txids: Iterable<string>, blockTime: number): void;
  count(counter: string, by?: number): void;
}

export interface TrackedBlock {
  hash: string;
  time: number;
  transactions: Transaction[];
}

/** One transaction of a resync snapshot. `tx` may be left out when the tracker already has the txid. */
export interface SnapshotEntry {
  txid: string;
  firstSeen: number;
  mined: boolean;
  tx?: Transaction;
}

type Buffered =
  | { kind: 'rawtx'; tx: Transaction; at: number }
  | { kind: 'sequence'; event: SequenceEvent; at: number }
  | { kind: 'block'; block: TrackedBlock; at: number };

export interface TrackerOptions {
  now: () => number;
  windowSeconds: number;
  /**
   * Called when an A event's mempool sequence number skips ahead of the expected one: an
   * announcement was lost (even right after a resync, before any ZMQ message gave a baseline).
   */
  onMempoolSequenceGap?: (expected: bigint, received: bigint) => void;
}

/**
 * A raw transaction with no matching A after this long was not (or no longer) for the mempool:
 * the node also sends `rawtx` for every transaction of a connected block.
 */
const UNMATCHED_BODY_SECONDS = 60;
/** Events kept during a resync: about ten seconds of peak mainnet traffic (a few hundred MB at most). */
const MAX_BUFFERED_EVENTS = 50_000;

export class MempoolTracker {
  /** The window's transactions: first-seen time and mined flag (typed arrays: txid-entries.ts). */
  private readonly entries = new TxidEntries();
  /** Raw transactions that arrived before their A. */
  private readonly bodies = new Map<string, { tx: Transaction; at: number }>();
  /** A events that arrived before their raw transaction: txid → when. */
  private readonly pendingAdds = new Map<string, number>();
  private buffer: Buffered[] | null = null;
  /** Times the resync buffer was emptied because it was full (see `keep`). */
  bufferOverflows = 0;
  /**
   * The mempool sequence number the next A or R should carry, when known: set by a snapshot
   * (`getrawmempool` with `mempool_sequence`) and by each A/R; unknown after a block (the node
   * counts the removals of mined transactions without announcing them).
   */
  private nextMempoolSequence: bigint | null = null;
  /**
   * The mempool sequence of the last snapshot: A/R events below it are already in the window (late
   * messages from a link that stalled while the window was resynchronised by polling), so skipped.
   */
  private snapshotSequence: bigint | null = null;
  private readonly sink: WindowSink;
  private readonly now: () => number;
  private readonly windowSeconds: number;
  private readonly onMempoolSequenceGap: TrackerOptions['onMempoolSequenceGap'];

  constructor(sink: WindowSink, options: TrackerOptions) {
    this.sink = sink;
    this.now = options.now;
    this.windowSeconds = options.windowSeconds;
    this.onMempoolSequenceGap = options.onMempoolSequenceGap;
  }

  get size(): number {
    return this.entries.size;
  }

  has(txid: string): boolean {
    return this.entries.has(txid);
  }

  firstSeen(txid: string): number | undefined {
    return this.entries.firstSeen(txid);
  }

  txids(): Set<string> {
    return new Set(this.entries.txidList());
  }

  get resyncing(): boolean {
    return this.buffer !== null;
  }

  /** The mempool sequence number the node's next A or R will carry, when known (see nextMempoolSequence). */
  get expectedMempoolSequence(): bigint | null {
    return this.nextMempoolSequence;
  }

  // ---- live events ------------------------------------------------------------------------------

  rawTransaction(tx: Transaction): void {
    const at = this.now();
    if (this.buffer) {
      this.keep({ kind: 'rawtx', tx, at });
      return;
    }
    this.applyRawTransaction(tx, at);
  }

  sequence(event: SequenceEvent): void {
    const at = this.now();
    if (this.buffer) {
      this.keep({ kind: 'sequence', event, at });
      return;
    }
    this.applySequence(event, at);
  }

  block(block: TrackedBlock): void {
    const at = this.now();
    if (this.buffer) {
      this.keep({ kind: 'block', block, at });
      return;
    }
    this.applyBlock(block, at);
  }

  /** Txids announced by an A more than `seconds` ago whose raw transaction never came (fetch them by RPC). */
  bodiesOverdue(seconds: number): string[] {
    const before = this.now() - seconds;
    const overdue: string[] = [];
    for (const [txid, at] of this.pendingAdds) if (at <= before) overdue.push(txid);
    return overdue;
  }

  /** A body fetched for an overdue A; ignored when the transaction left meanwhile. */
  bodyFetched(tx: Transaction): void {
    const at = this.pendingAdds.get(tx.txid);
    if (at === undefined || this.buffer) return;
    this.pendingAdds.delete(tx.txid);
    this.enter(tx, at, false);
  }

  /** An overdue A whose transaction the node no longer has. */
  bodyGone(txid: string): void {
    this.pendingAdds.delete(txid);
  }

  /** Ages out entries first seen before the window and forgets stale unmatched bodies. */
  prune(): void {
    const now = this.now();
    const oldest = now - this.windowSeconds;
    this.entries.deleteOlderThan(oldest);
    for (const [txid, body] of this.bodies)
      if (body.at < now - UNMATCHED_BODY_SECONDS) this.bodies.delete(txid);
  }

  // ---- resync -----------------------------------------------------------------------------------

  /**
   * From now on, events are kept aside until `finishResync` (start this before taking the snapshot).
   * When a resync fails, call it again for the next attempt: the buffer is kept, not lost.
   */
  beginResync(): void {
    if (this.buffer === null) this.buffer = [];
  }

  /**
   * Makes the window equal to `snapshot` (the node's mempool plus the transactions of the blocks in
   * the window's span, taken after `beginResync`), then replays the events that came meanwhile.
   * With `mempoolSequence` (the node's `mempool_sequence` taken atomically with the mempool's
   * txids) the replay skips the A/R events the snapshot already reflects, and the next A must
   * carry exactly that number. Returns how many transactions were added and removed to get there.
   */
  finishResync(
    snapshot: Iterable<SnapshotEntry>,
    mempoolSequence: bigint | null = null,
  ): { added: number; removed: number; missingBodies: number } {
    const oldest = this.now() - this.windowSeconds;
    const wanted = new Map<string, SnapshotEntry>();
    for (const entry of snapshot) if (entry.firstSeen >= oldest) wanted.set(entry.txid, entry);
    let removed = 0;
    let added = 0;
    let missingBodies = 0;
    for (const txid of this.entries.txidList()) {
      if (wanted.has(txid)) continue;
      this.entries.delete(txid);
      this.sink.removeTransaction(txid);
      removed++;
    }
    for (const [txid, entry] of wanted) {
      if (this.entries.setMined(txid, entry.mined)) continue;
      if (!entry.tx) {
        missingBodies++;
        continue;
      }
      this.entries.add(txid, entry.firstSeen, entry.mined);
      this.sink.addTransaction(entry.tx, entry.firstSeen);
      added++;
    }
    this.bodies.clear();
    this.pendingAdds.clear();
    const buffered = this.buffer ?? [];
    this.buffer = null;
    this.nextMempoolSequence = mempoolSequence;
    this.snapshotSequence = mempoolSequence;
    for (const item of buffered) {
      if (item.kind === 'rawtx') this.applyRawTransaction(item.tx, item.at);
      else if (item.kind === 'block') this.applyBlock(item.block, item.at);
      else {
        const event = item.event;
        const before =
          mempoolSequence !== null &&
          (event.kind === 'added' || event.kind === 'removed') &&
          event.mempoolSequence < mempoolSequence;
        if (!before) this.applySequence(event, item.at);
      }
    }
    return { added, removed, missingBodies };
  }

  /**
   * Buffers an event during a resync. A resync that keeps failing (RPC down while ZMQ is up) must
   * not grow the buffer without end: past the cap it is emptied. That loses nothing, because the
   * snapshot that finally succeeds is taken after, and so already reflects every dropped event.
   */
  private keep(item: Buffered): void {
    const buffer = this.buffer as Buffered[];
    if (buffer.length >= MAX_BUFFERED_EVENTS) {
      buffer.length = 0;
      this.bufferOverflows++;
      this.sink.count('resync_buffer_overflows');
    }
    buffer.push(item);
  }

  // ---- applying events --------------------------------------------------------------------------

  private applyRawTransaction(tx: Transaction, at: number): void {
    const txid = tx.txid;
    if (this.entries.has(txid)) return;
    const announced = this.pendingAdds.get(txid);
    if (announced !== undefined) {
      this.pendingAdds.delete(txid);
      this.enter(tx, Math.min(announced, at), false);
      return;
    }
    this.bodies.set(txid, { tx, at });
  }

  private applySequence(event: SequenceEvent, at: number): void {
    if (event.kind === 'added' || event.kind === 'removed') {
      if (this.snapshotSequence !== null && event.mempoolSequence < this.snapshotSequence) return;
      const expected = this.nextMempoolSequence;
      // Only an A can prove a loss: an R may follow unannounced removals of a block being connected.
      if (event.kind === 'added' && expected !== null && event.mempoolSequence > expected) {
        this.onMempoolSequenceGap?.(expected, event.mempoolSequence);
      }
      this.nextMempoolSequence = event.mempoolSequence + 1n;
    } else {
      this.nextMempoolSequence = null;
    }
    switch (event.kind) {
      case 'added': {
        if (this.entries.has(event.txid)) return;
        const body = this.bodies.get(event.txid);
        if (body) {
          this.bodies.delete(event.txid);
          this.enter(body.tx, Math.min(body.at, at), false);
        } else {
          this.pendingAdds.set(event.txid, at);
        }
        return;
      }
      case 'removed': {
        this.bodies.delete(event.txid);
        this.pendingAdds.delete(event.txid);
        if (this.entries.isMined(event.txid) === false) {
          this.entries.delete(event.txid);
          this.sink.removeTransaction(event.txid);
        }
        return;
      }
      default:
        // Blocks arrive whole through `block`; a disconnect is handled by the caller with a resync.
        return;
    }
  }

  private applyBlock(block: TrackedBlock, at: number): void {
    // A transaction never seen in the mempool counts from its block's time (or from now, for a
    // block dated ahead): a node catching up on old blocks must not fill the window with them.
    const seen = Math.min(at, block.time);
    const txids: string[] = [];
    for (const tx of block.transactions) {
      const txid = tx.txid;
      txids.push(txid);
      this.bodies.delete(txid);
      this.pendingAdds.delete(txid);
      if (!this.entries.setMined(txid, true)) this.enter(tx, seen, true);
    }
    this.sink.markMined(txids, block.time);
  }

  private enter(tx: Transaction, firstSeen: number, mined: boolean): void {
    if (firstSeen < this.now() - this.windowSeconds) return;
    this.entries.add(tx.txid, firstSeen, mined);
    this.sink.addTransaction(tx, firstSeen);
  }
}
