// Two periodic checks of the node over RPC, for faults ZMQ alone does not show. In: the RPC client
// and what the mempool sync knows (when the last ZMQ message came, the last snapshot, the mempool
// sequence it expects). Out: health (NodeLinkHealth and one-sentence problems) and calls to
// resynchronise the window.
//   1. Does the node answer? A cheap call (getmempoolinfo) on a connection of its own, with a short
//      timeout, one at a time: a node that hangs (kill -STOP, a dead disk) is reported within
//      seconds, and no queue of calls builds up while it does not answer.
//   2. Does ZMQ keep up? Only when ZMQ has been silent for a whole check interval (never on a busy
//      mainnet node): the node's mempool sequence number and tip are read; when they moved while
//      ZMQ said nothing (against the sequence the next announcement should carry, or against the
//      previous check), ZMQ is "quiet". The window is then resynchronised from RPC at every check
//      in which the node's mempool moved (polling), until a ZMQ message or a reconnect ends it.

import type { RpcClient } from './rpc-client.ts';
import { RpcError, RpcTransportError, type TransportKind } from './rpc-errors.ts';

/** How often the node is asked whether it answers; with the timeout below it bounds the detection time. */
const LIVENESS_INTERVAL_MS = 2000;
/**
 * A node answers getmempoolinfo in milliseconds; no reply in 5 s, plus up to 2 s until the next
 * check, says "the node does not answer" within 10 s of it stopping.
 */
const LIVENESS_TIMEOUT_MS = 5000;
/**
 * ZMQ silent this long makes a check of the node's mempool: mainnet announces a transaction every
 * second or so, so there it costs nothing; and at most three checks (silence seen, baseline, change)
 * plus the grace below, about 32 s, find ZMQ quiet: well within the promised minute.
 */
const MEMPOOL_CHECK_MS = 10_000;
/** A change seen by RPC may have its announcement on the way: wait this long for it before calling ZMQ quiet. */
const ANNOUNCE_GRACE_MS = 2000;

/** Transport failures in which the node did answer (with an HTTP refusal): it is alive. */
const ANSWERS = new Set<TransportKind>(['auth', 'forbidden', 'busy']);

/** The node's state at one instant, as read over RPC. */
export interface NodeSnapshotMark {
  /** getrawmempool's mempool_sequence. */
  sequence: bigint;
  tip: string;
  /** performance.now() when it was read. */
  atMs: number;
}

/** The node side's health, reported by node feeds (see FeedHealth.node). */
export interface NodeLinkReport {
  rpcAnswering: boolean;
  lastRpcAnswerAgeSeconds: number | null;
  zmqQuietSeconds: number | null;
  problems: string[];
}

export interface NodeWatchOptions {
  rpc: RpcClient;
  /** performance.now() of the last ZMQ message or (re)connection, null before the first. */
  lastMessageMs: () => number | null;
  zmqConnected: () => boolean;
  /** The mempool sequence the next A/R should carry, when known. */
  expectedSequence: () => bigint | null;
  /** The last snapshot the window was synchronised to. */
  lastSnapshot: () => NodeSnapshotMark | null;
  /** A resync is running or waiting: the window is being fixed already. */
  resyncing: () => boolean;
  /** Resynchronise the window from RPC now (resolves when done). */
  resync: () => Promise<void>;
  log: (line: string) => void;
  /** The node answers again after it did not (called at its first answer without an error). */
  onAnswerAgain?: () => void;
  /** The node stopped answering RPC (called once per silence, when it is found). */
  onSilent?: () => void;
  /** Test settings; the defaults are the constants above. */
  livenessIntervalMs?: number;
  livenessTimeoutMs?: number;
  mempoolCheckMs?: number;
  announceGraceMs?: number;
}

export class NodeWatch {
  private readonly options: NodeWatchOptions;
  private readonly timers: ReturnType<typeof setInterval>[] = [];
  private livenessRunning = false;
  private checkRunning = false;
  /** performance.now() of the first check that went unanswered, while the node does not answer. */
  private unansweredSince: number | null = null;
  private lastAnswerMs: number | null = null;
  /** The node did not answer; `onAnswerAgain` waits for its first full answer (not "warming up"). */
  private backPending = false;
  private failure: string | null = null;
  /** performance.now() of the last ZMQ message (or of the start) when ZMQ was found quiet; null: not quiet. */
  private quietSince: number | null = null;
  private baseline: NodeSnapshotMark | null = null;
  private readonly startedMs = performance.now();
  private stopped = false;

  constructor(options: NodeWatchOptions) {
    this.options = options;
  }

  start(): void {
    const every = (ms: number, run: () => Promise<void>) => {
      const timer = setInterval(() => void run(), ms);
      timer.unref?.();
      this.timers.push(timer);
    };
    every(this.options.livenessIntervalMs ?? LIVENESS_INTERVAL_MS, () => this.checkLiveness());
    every(this.options.mempoolCheckMs ?? MEMPOOL_CHECK_MS, () => this.checkMempool());
  }

  stop(): void {
    this.stopped = true;
    for (const timer of this.timers) clearInterval(timer);
    this.timers.length = 0;
  }

  get answering(): boolean {
    return this.unansweredSince === null;
  }

  get quiet(): boolean {
    return this.quietSince !== null;
  }

  /** A ZMQ message came, or ZMQ reconnected: it speaks again. */
  heard(what: string): void {
    if (this.quietSince === null) return;
    const seconds = Math.round((performance.now() - this.quietSince) / 1000);
    this.quietSince = null;
    this.baseline = null;
    this.options.log(`${what} after ${seconds} s of silence; following the node's ZMQ notifications again`);
  }

  report(): NodeLinkReport {
    const now = performance.now();
    const problems: string[] = [];
    if (this.unansweredSince !== null) {
      const seconds = Math.round((now - this.unansweredSince) / 1000);
      problems.push(
        `the node does not answer RPC for ${seconds} s (${this.failure}); the last price is still served, with its age`,
      );
    }
    if (this.quietSince !== null) {
      const seconds = Math.round((now - this.quietSince) / 1000);
      problems.push(
        `no ZMQ messages from the node for ${seconds} s while its mempool changed; the window is kept in step by polling the node over RPC every ${Math.round((this.options.mempoolCheckMs ?? MEMPOOL_CHECK_MS) / 1000)} s (check the node's zmqpub… settings and the network between here and the node)`,
      );
    }
    return {
      rpcAnswering: this.unansweredSince === null,
      lastRpcAnswerAgeSeconds: this.lastAnswerMs === null ? null : (now - this.lastAnswerMs) / 1000,
      zmqQuietSeconds: this.quietSince === null ? null : (now - this.quietSince) / 1000,
      problems,
    };
  }

  // ---- 1. liveness ------------------------------------------------------------------------------

  private async checkLiveness(): Promise<void> {
    if (this.livenessRunning || this.stopped) return;
    this.livenessRunning = true;
    const sentAt = performance.now();
    try {
      await this.options.rpc.call('getmempoolinfo', [], {
        timeoutMs: this.options.livenessTimeoutMs ?? LIVENESS_TIMEOUT_MS,
        ownConnection: true,
      });
      this.answered(true);
    } catch (error) {
      // An RPC error is an answer (a node warming up says so), and so is a refusal (credentials,
      // rpcwhitelist, a full work queue): the node is there. Anything else is silence.
      if (error instanceof RpcError || (error instanceof RpcTransportError && ANSWERS.has(error.kind)))
        this.answered(false);
      else this.unanswered(sentAt, error);
    } finally {
      this.livenessRunning = false;
    }
  }

  /** The node answered; `ready` false when it answered with an error (e.g. still warming up). */
  private answered(ready: boolean): void {
    if (this.stopped) return;
    if (this.unansweredSince !== null) {
      const seconds = Math.round((performance.now() - this.unansweredSince) / 1000);
      this.options.log(`the node answers RPC again after ${seconds} s`);
      this.backPending = true;
    }
    this.unansweredSince = null;
    this.failure = null;
    this.lastAnswerMs = performance.now();
    if (ready && this.backPending) {
      this.backPending = false;
      this.options.onAnswerAgain?.();
    }
  }

  private unanswered(sentAt: number, error: unknown): void {
    if (this.stopped) return;
    this.failure = error instanceof Error ? error.message : String(error);
    if (this.unansweredSince !== null) return;
    this.unansweredSince = sentAt;
    this.options.log(`the node does not answer RPC (${this.failure}); waiting for it`);
    this.options.onSilent?.();
  }

  // ---- 2. ZMQ keeping up ------------------------------------------------------------------------

  private async checkMempool(): Promise<void> {
    const o = this.options;
    if (this.checkRunning || this.stopped || !this.answering || o.resyncing()) return;
    const lastMessage = o.lastMessageMs();
    const now = performance.now();
    const heardSince = (ms: number | null) => {
      const m = o.lastMessageMs();
      return m !== null && (ms === null || m > ms);
    };
    const speaking = o.zmqConnected() && lastMessage !== null && now - lastMessage < this.checkMs;
    if (speaking && this.quietSince === null) {
      this.baseline = null;
      return;
    }
    this.checkRunning = true;
    try {
      const mark = await this.readNode();
      if (this.stopped) return;
      if (this.quietSince !== null) {
        // Polling: follow the node's mempool and tip from RPC while ZMQ says nothing.
        const last = o.lastSnapshot();
        if (last === null || last.sequence !== mark.sequence || last.tip !== mark.tip) await o.resync();
        return;
      }
      const expected = o.expectedSequence();
      const base = this.baseline ?? o.lastSnapshot();
      const moved =
        (expected !== null && mark.sequence !== expected) ||
        (base !== null &&
          !heardSince(base.atMs) &&
          (base.sequence !== mark.sequence || base.tip !== mark.tip));
      this.baseline = mark;
      if (!moved) return;
      // Its announcement may be on the way.
      await sleep(o.announceGraceMs ?? ANNOUNCE_GRACE_MS);
      if (this.stopped || heardSince(lastMessage) || o.resyncing() || this.quietSince !== null) return;
      this.quietSince = o.lastMessageMs() ?? this.startedMs;
      const seconds = Math.round((performance.now() - this.quietSince) / 1000);
      o.log(
        `no ZMQ messages from the node for ${seconds} s while its mempool changed (mempool sequence ${mark.sequence}); resynchronising from RPC, and polling every ${Math.round(this.checkMs / 1000)} s until ZMQ speaks again`,
      );
      await o.resync();
    } catch (error) {
      // The liveness check reports a node that does not answer; anything else is worth a line.
      if (!(error instanceof RpcError)) return;
      o.log(`could not check the node's mempool: ${error.message}`);
    } finally {
      this.checkRunning = false;
    }
  }

  private get checkMs(): number {
    return this.options.mempoolCheckMs ?? MEMPOOL_CHECK_MS;
  }

  private async readNode(): Promise<NodeSnapshotMark> {
    const { rpc } = this.options;
    const atMs = performance.now();
    const [listing, tip] = await Promise.all([
      rpc.call<{ mempool_sequence: number }>('getrawmempool', [false, true]),
      rpc.call<string>('getbestblockhash'),
    ]);
    return { sequence: BigInt(listing.mempool_sequence), tip, atMs };
  }
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
