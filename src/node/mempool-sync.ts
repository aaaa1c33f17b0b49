// Keeps the live window in step with the node: ZMQ messages in (parsed here), the MempoolTracker
// driven, the orchestrator told about the connection. At start and after every lost message
// (a jump in a topic's ZMQ sequence number or in the mempool sequence of the A events), reconnect
// or reorg it resynchronises from RPC: events are buffered, the node's mempool txids are read with
// the mempool sequence number of that instant, then the first-seen times, the transactions the
// window does not already hold (batched `getrawtransaction`) and the blocks mined in the window's
// span; the buffered events newer than the snapshot are replayed on top — so nothing is lost and
// nothing is counted twice. While the node is down it retries every half second and says so in
// the feed's health. A NodeWatch checks meanwhile that the node answers RPC and that ZMQ keeps up
// with its mempool, and resynchronises by polling while ZMQ is quiet.

import { readBlock } from '../bitcoin/block.ts';
import { ParseError } from '../bitcoin/parse-error.ts';
import { parseTransaction, type Transaction } from '../bitcoin/transaction.ts';
import { UserError } from '../errors.ts';
import type { BlockSource } from './block-source.ts';
import { MempoolTracker, type SnapshotEntry, type TrackedBlock, type WindowSink } from './mempool-tracker.ts';
import type { ZmqEndpoints } from './node-config.ts';
import { type NodeLinkReport, type NodeSnapshotMark, NodeWatch } from './node-watch.ts';
import type { RpcClient } from './rpc-client.ts';
import { isWarmingUp, RPC_CODE, type RpcError, RpcTransportError } from './rpc-errors.ts';
import { parseSequenceEvent } from './sequence-event.ts';
import { ZmqListener, type ZmqListenerOptions, type ZmqMessage } from './zmq-listener.ts';

/** The orchestrator's inputs this needs besides the window itself. */
export interface LiveSink extends WindowSink {
  setConnection(connected: boolean, detail: string | null): void;
  noteMessage(): void;
}

export interface MempoolSyncOptions {
  rpc: RpcClient;
  blocks: BlockSource;
  endpoints: ZmqEndpoints;
  sink: LiveSink;
  now: () => number;
  windowSeconds: number;
  /** The chain changed: a block was connected (after the tracker has seen it) or disconnected. */
  onChainChange?: () => void;
  /** The node answers RPC again after it did not (a hang, a restart): work that failed meanwhile may be redone. */
  onNodeBack?: () => void;
  /** The node stopped answering RPC (a hang, a restart): what is shown is no longer live. */
  onNodeSilent?: () => void;
  /** A block was connected; it comes with its parsed transactions. */
  onBlock?: (block: TrackedBlock) => void;
  /** Progress and trouble lines for the operator ("window synchronised with the node in 120 ms: …"). Never secrets. */
  log?: (line: string) => void;
  /** ZMQ socket settings (reconnect timing, receive queue). */
  zmq?: ZmqListenerOptions;
  /**
   * Resynchronise from RPC after a lost message (default true). The ingest benchmark, which has no
   * node behind its messages, turns it off and only counts the losses.
   */
  resyncOnLoss?: boolean;
}

/** Retry a failed resync this often: fast enough to be back within the promised 5 s of the node. */
const RESYNC_RETRY_MS = 500;
/** Give the publisher this long to apply our subscription after the ZMQ connection (at the start and on every reconnection), before the snapshot. */
const SUBSCRIPTION_SETTLE_MS = 100;
/** An A whose raw transaction has not come after this long is fetched by RPC instead. */
const BODY_OVERDUE_SECONDS = 2;
/** How often to look for overdue bodies and age the tracker. */
const HOUSEKEEPING_MS = 1000;
/** The initial connection to the ZMQ endpoints must succeed within this, or start() fails with a hint. */
const ZMQ_CONNECT_TIMEOUT_MS = 5000;
/**
 * getrawtransaction calls per request while filling the window: a few hundred kB of hex per reply
 * on mainnet, so few round trips; batches from 250 to 1000 fill equally fast, much smaller ones
 * pay a round trip too often (docs/performance.md).
 */
const FETCH_BATCH_SIZE = 500;
/** Requests in flight while filling the window: the node answers RPC with 4 threads by default. */
const FETCH_CONCURRENCY = 3;
/**
 * Up to this many transactions new to the window (and fewer than half the mempool), a resync asks
 * getmempoolentry for each one's first-seen time (a few hundred bytes each); more, or a start,
 * take one verbose getrawmempool, which lists the whole mempool (tens of MB on mainnet) in one
 * round trip. So the resyncs of polling (ZMQ quiet), which see seconds of new transactions, stay small.
 */
const FIRST_SEEN_BY_ENTRY_MAX = 1000;
/** Never walk back further than this many blocks for the window's span (regtest blocks may share one timestamp). */
const MAX_SPAN_BLOCKS = 2000;

export class MempoolSync {
  readonly tracker: MempoolTracker;
  private readonly options: MempoolSyncOptions;
  private listener: ZmqListener | null = null;
  private resyncWanted = false;
  private resyncRunning: Promise<void> | null = null;
  private housekeeping: ReturnType<typeof setInterval> | null = null;
  private stopped = false;
  private everConnected = false;
  private fetchingOverdue = false;
  private lastResyncAt: number | null = null;
  private readonly blockTxids = new Map<string, { time: number; txids: string[] }>();
  private watch: NodeWatch | null = null;
  /** performance.now() of the last ZMQ message or (re)connection. */
  private lastSignMs: number | null = null;
  /** The node's mempool sequence and tip at the last completed resync. */
  private lastSnapshot: NodeSnapshotMark | null = null;
  /** Resolves the first time every ZMQ socket has connected. */
  private zmqReady: Promise<void>;
  private markZmqReady: () => void = () => {};

  constructor(options: MempoolSyncOptions) {
    this.options = options;
    this.tracker = new MempoolTracker(options.sink, {
      now: options.now,
      windowSeconds: options.windowSeconds,
      onMempoolSequenceGap: (expected, received) => {
        options.sink.count('zmq_gaps');
        if (options.resyncOnLoss === false) return;
        this.log(
          `lost mempool announcements (expected mempool sequence ${expected}, got ${received}); resynchronising`,
        );
        this.requestResync();
      },
    });
    this.zmqReady = new Promise((resolve) => {
      this.markZmqReady = resolve;
    });
  }

  /** When the last completed resync finished (Unix seconds), or null. */
  get lastResync(): number | null {
    return this.lastResyncAt;
  }

  get connected(): boolean {
    return this.listener?.connected ?? false;
  }

  /** Subscribes, fills the window from the node, and keeps it in step until stop(). */
  async start(): Promise<void> {
    const { endpoints, sink } = this.options;
    this.tracker.beginResync();
    this.listener = new ZmqListener(
      endpoints,
      {
        message: (m) => this.handleMessage(m),
        gap: (topic, expected, received) => {
          sink.count('zmq_gaps');
          if (this.options.resyncOnLoss === false) return;
          this.log(`lost ZMQ ${topic} messages (expected #${expected}, got #${received}); resynchronising`);
          this.requestResync();
        },
        connection: (connected, endpoint) => this.onConnection(connected, endpoint),
      },
      this.options.zmq,
    );
    this.listener.start();
    const timeout = new Promise<'timeout'>((resolve) =>
      setTimeout(() => resolve('timeout'), ZMQ_CONNECT_TIMEOUT_MS).unref(),
    );
    if ((await Promise.race([this.zmqReady.then(() => 'ok' as const), timeout])) === 'timeout') {
      await this.stop();
      const list = Object.entries(endpoints)
        .map(([t, e]) => `${t} ${e}`)
        .join(', ');
      throw new UserError(
        `cannot connect to the node's ZMQ endpoints (${list}) within ${ZMQ_CONNECT_TIMEOUT_MS / 1000} s.`,
        {
          hint: 'check that the zmqpub… addresses in bitcoin.conf are reachable from here (a node bound to 127.0.0.1 cannot be reached from another host), or give them with --zmq-rawtx/--zmq-sequence.',
        },
      );
    }
    await sleep(SUBSCRIPTION_SETTLE_MS);
    this.resyncWanted = true;
    await this.runResyncs();
    this.housekeeping = setInterval(() => this.houseKeep(), HOUSEKEEPING_MS);
    this.housekeeping.unref?.();
    this.watch = new NodeWatch({
      rpc: this.options.rpc,
      lastMessageMs: () => this.lastSignMs,
      zmqConnected: () => this.connected,
      expectedSequence: () => this.tracker.expectedMempoolSequence,
      lastSnapshot: () => this.lastSnapshot,
      resyncing: () => this.resyncRunning !== null || this.resyncWanted,
      resync: () => {
        this.requestResync();
        return this.runResyncs();
      },
      log: (line) => this.log(line),
      onAnswerAgain: () => this.options.onNodeBack?.(),
      onSilent: () => this.options.onNodeSilent?.(),
    });
    this.watch.start();
  }

  /** The node side's health: does it answer RPC, does ZMQ keep up (null before start). */
  linkReport(): NodeLinkReport | null {
    return this.watch?.report() ?? null;
  }

  async stop(): Promise<void> {
    this.stopped = true;
    this.watch?.stop();
    if (this.housekeeping) clearInterval(this.housekeeping);
    this.housekeeping = null;
    await this.listener?.close();
    await this.resyncRunning?.catch(() => {});
  }

  /** Asks for a resync (runs after the current one, if any). */
  requestResync(): void {
    this.tracker.beginResync();
    this.resyncWanted = true;
    if (!this.resyncRunning && !this.stopped) void this.runResyncs();
  }

  // ---- messages ---------------------------------------------------------------------------------

  /** One ZMQ message: parsed and applied to the window (public so the ingest benchmark drives the same path). */
  handleMessage(message: ZmqMessage): void {
    const { sink } = this.options;
    sink.noteMessage();
    this.lastSignMs = performance.now();
    this.watch?.heard('ZMQ messages from the node again');
    try {
      if (message.topic === 'rawtx') {
        this.tracker.rawTransaction(parseTransaction(message.body));
      } else if (message.topic === 'sequence') {
        const event = parseSequenceEvent(message.body);
        if (event === null) {
          sink.count('zmq_bad_messages');
          return;
        }
        this.tracker.sequence(event);
        if (event.kind === 'disconnected') {
          this.log(`block ${event.blockHash} disconnected (reorg); resynchronising`);
          sink.count('reorgs');
          this.requestResync();
          this.options.onChainChange?.();
        } else if (event.kind === 'connected' && !this.options.endpoints.rawblock) {
          void this.fetchConnectedBlock(event.blockHash);
        }
      } else if (message.topic === 'rawblock') {
        const block = readBlock(message.body);
        this.acceptBlock({
          hash: block.header.hash,
          time: block.header.time,
          transactions: [...block.transactions()],
        });
      }
    } catch (error) {
      if (!(error instanceof ParseError)) throw error;
      sink.count('zmq_bad_messages');
      this.log(`ignored a ZMQ ${message.topic} message that does not parse: ${error.message}`);
    }
  }

  private acceptBlock(block: TrackedBlock): void {
    this.rememberBlock(block);
    this.tracker.block(block);
    this.options.onBlock?.(block);
    this.options.onChainChange?.();
  }

  private async fetchConnectedBlock(hash: string): Promise<void> {
    try {
      const block = await this.options.blocks.block(hash);
      this.acceptBlock({ hash, time: block.header.time, transactions: [...block.transactions()] });
    } catch (error) {
      this.log(`could not fetch connected block ${hash}: ${describe(error)}; resynchronising`);
      this.requestResync();
    }
  }

  private onConnection(connected: boolean, endpoint: string): void {
    const { sink } = this.options;
    if (!connected) {
      sink.setConnection(false, `lost the ZMQ connection to the node (${endpoint}); reconnecting…`);
      this.log(`lost the ZMQ connection (${endpoint}); reconnecting`);
      this.tracker.beginResync();
      return;
    }
    this.lastSignMs = performance.now();
    this.watch?.heard('ZMQ reconnected');
    if (this.everConnected) {
      sink.count('zmq_reconnects');
      this.log('ZMQ reconnected; resynchronising');
      // As at the start: the socket is connected before the publisher has our subscription, and
      // what it publishes meanwhile is not sent to us; the snapshot taken after that covers it.
      this.tracker.beginResync();
      setTimeout(() => this.requestResync(), SUBSCRIPTION_SETTLE_MS).unref();
    }
    this.everConnected = true;
    this.markZmqReady();
  }

  // ---- resync -----------------------------------------------------------------------------------

  private runResyncs(): Promise<void> {
    if (this.resyncRunning) return this.resyncRunning;
    const run = (async () => {
      try {
        while (this.resyncWanted && !this.stopped) {
          this.resyncWanted = false;
          try {
            await this.resyncOnce();
          } catch (error) {
            // The node is down, restarting or warming up: say so, keep the events buffered, try again.
            this.options.sink.setConnection(false, trouble(error));
            this.resyncWanted = true;
            await sleep(RESYNC_RETRY_MS);
          }
        }
      } finally {
        this.resyncRunning = null;
      }
    })();
    this.resyncRunning = run;
    return run;
  }

  private async resyncOnce(): Promise<void> {
    const { rpc, sink, now, windowSeconds } = this.options;
    const started = performance.now();
    this.tracker.beginResync();

    // The txids first, with the mempool sequence number taken at the same instant: events up to it
    // are in this snapshot, later ones are replayed on top. The bodies and first-seen times of the
    // transactions new to the window are fetched side by side.
    const listing = await rpc.call<{ txids: string[]; mempool_sequence: number }>('getrawmempool', [
      false,
      true,
    ]);
    const cutoff = now() - windowSeconds;
    const fresh = listing.txids.filter((txid) => !this.tracker.has(txid));
    const [times, bodies, { tip, blocks, unannounced }] = await Promise.all([
      this.firstSeenTimes(fresh, listing.txids.length),
      this.fetchTransactions(fresh),
      this.blocksInSpan(cutoff),
    ]);

    const entries: SnapshotEntry[] = [];
    for (const txid of listing.txids) {
      // A transaction gone before the verbose listing has its R among the buffered events.
      const firstSeen = this.tracker.firstSeen(txid) ?? times.get(txid) ?? now();
      if (firstSeen < cutoff) continue;
      entries.push({ txid, firstSeen, mined: false, tx: bodies.get(txid) });
    }
    for (const block of blocks) {
      const seen = Math.min(block.time, now());
      for (let i = 0; i < block.txids.length; i++) {
        const txid = block.txids[i];
        entries.push({
          txid,
          firstSeen: this.tracker.firstSeen(txid) ?? seen,
          mined: true,
          tx: block.transactions?.[i],
        });
      }
    }

    const result = this.tracker.finishResync(entries, BigInt(listing.mempool_sequence));
    this.lastResyncAt = now();
    const previous = this.lastSnapshot;
    const tipMoved = previous !== null && previous.tip !== tip;
    this.lastSnapshot = { sequence: BigInt(listing.mempool_sequence), tip, atMs: started };
    // Blocks that came while ZMQ was silent or down were announced to no one: announce them now,
    // oldest first (not at the first resync: those blocks are the past, not news), and the chain changed.
    if (previous !== null) for (const block of unannounced) this.options.onBlock?.(block);
    if (tipMoved) this.options.onChainChange?.();
    sink.count('resyncs');
    const ms = Math.round(performance.now() - started);
    this.log(
      `window synchronised with the node in ${ms} ms: ${this.tracker.size} transactions (${listing.txids.length} in the mempool, ${blocks.length} recent blocks; ${result.added} added, ${result.removed} removed)`,
    );
    if (this.listener?.connected) sink.setConnection(true, null);
    else sink.setConnection(false, "waiting for the node's ZMQ notifications…");
  }

  /**
   * When the node first saw each of `txids` (Unix seconds), of a mempool of `mempoolSize`; txids
   * gone meanwhile are absent. A few come from getmempoolentry calls; many, or most of the mempool
   * (a start), from one verbose listing.
   */
  private async firstSeenTimes(txids: readonly string[], mempoolSize: number): Promise<Map<string, number>> {
    const { rpc } = this.options;
    const out = new Map<string, number>();
    if (txids.length > FIRST_SEEN_BY_ENTRY_MAX || txids.length * 2 > mempoolSize) {
      const all = await rpc.call<Record<string, { time: number }>>('getrawmempool', [true]);
      for (const txid of txids) {
        const time = all[txid]?.time;
        if (time !== undefined) out.set(txid, time);
      }
      return out;
    }
    if (txids.length === 0) return out;
    const entries = await rpc.batch<{ time: number }>(
      txids.map((txid) => ({ method: 'getmempoolentry', params: [txid] })),
    );
    for (let i = 0; i < txids.length; i++) {
      const entry = entries[i];
      if (entry.ok) out.set(txids[i], entry.value.time);
      else if (entry.error.code !== RPC_CODE.invalidAddressOrKey) throw entry.error;
    }
    return out;
  }

  /**
   * The blocks mined since `cutoff`, newest first: from the tip back while the header time is in
   * the span. Blocks whose transactions the tracker already holds are not downloaded again.
   * `unannounced`: those this sync had not heard of (no ZMQ announcement, no earlier resync), oldest first.
   */
  private async blocksInSpan(
    cutoff: number,
  ): Promise<{ tip: string; blocks: SpanBlock[]; unannounced: TrackedBlock[] }> {
    const { rpc, blocks: source } = this.options;
    // Headers first (small), newest to oldest while in the span; then the blocks not already known.
    const infos: { hash: string; time: number }[] = [];
    const tip = await rpc.call<string>('getbestblockhash');
    let hash: string | null = tip;
    while (hash !== null && infos.length < MAX_SPAN_BLOCKS) {
      const info = await source.info(hash);
      if (info === null || info.time < cutoff) break;
      infos.push({ hash, time: info.time });
      hash = info.previousHash;
    }
    const out = new Map<string, SpanBlock>();
    const missing: string[] = [];
    for (const { hash: h, time } of infos) {
      const known = this.blockTxids.get(h);
      // Every transaction is in the window already: no need to download the block again.
      if (known?.txids.every((txid) => this.tracker.has(txid)))
        out.set(h, { time, txids: known.txids, transactions: null });
      else missing.push(h);
    }
    const unannounced: TrackedBlock[] = [];
    for await (const block of source.fetchBlocks(missing)) {
      const tracked = {
        hash: block.header.hash,
        time: block.header.time,
        transactions: [...block.transactions()],
      };
      // Heard of by now (ZMQ may announce it while this resync runs): not news.
      if (!this.blockTxids.has(tracked.hash)) unannounced.push(tracked);
      this.rememberBlock(tracked);
      out.set(tracked.hash, {
        time: tracked.time,
        txids: tracked.transactions.map((tx) => tx.txid),
        transactions: tracked.transactions,
      });
    }
    const order = new Map(infos.map((i, n) => [i.hash, n]));
    unannounced.sort((a, b) => (order.get(b.hash) ?? 0) - (order.get(a.hash) ?? 0));
    return {
      tip,
      blocks: infos.map((i) => out.get(i.hash)).filter((b): b is SpanBlock => b !== undefined),
      unannounced,
    };
  }

  private rememberBlock(block: TrackedBlock): void {
    this.blockTxids.set(block.hash, { time: block.time, txids: block.transactions.map((tx) => tx.txid) });
    const oldest = this.options.now() - this.options.windowSeconds;
    for (const [hash, b] of this.blockTxids) if (b.time < oldest) this.blockTxids.delete(hash);
  }

  /**
   * Batched getrawtransaction, a few batches in flight, each parsed as soon as it arrives (so
   * parsing overlaps the node's work). Transactions that left the mempool meanwhile are absent.
   */
  private async fetchTransactions(txids: readonly string[]): Promise<Map<string, Transaction>> {
    const out = new Map<string, Transaction>();
    let next = 0;
    const worker = async () => {
      while (next < txids.length) {
        const chunk = txids.slice(next, next + FETCH_BATCH_SIZE);
        next += chunk.length;
        const results = await this.options.rpc.batch<string>(
          chunk.map((txid) => ({ method: 'getrawtransaction', params: [txid] })),
          { batchSize: chunk.length },
        );
        for (const r of results) {
          if (!r.ok) {
            if (r.error.code === RPC_CODE.invalidAddressOrKey) continue;
            throw r.error;
          }
          try {
            const tx = parseTransaction(Buffer.from(r.value, 'hex'));
            out.set(tx.txid, tx);
          } catch (error) {
            if (!(error instanceof ParseError)) throw error;
            this.options.sink.count('rpc_bad_transactions');
          }
        }
      }
    };
    await Promise.all(Array.from({ length: FETCH_CONCURRENCY }, worker));
    return out;
  }

  // ---- housekeeping -----------------------------------------------------------------------------

  private houseKeep(): void {
    this.tracker.prune();
    if (this.tracker.resyncing || this.fetchingOverdue) return;
    const overdue = this.tracker.bodiesOverdue(BODY_OVERDUE_SECONDS);
    if (overdue.length === 0) return;
    this.fetchingOverdue = true;
    this.fetchTransactions(overdue)
      .then((bodies) => {
        for (const txid of overdue) {
          const tx = bodies.get(txid);
          if (tx) this.tracker.bodyFetched(tx);
          else this.tracker.bodyGone(txid);
        }
      })
      .catch((error) =>
        this.log(`could not fetch ${overdue.length} announced transactions: ${describe(error)}`),
      )
      .finally(() => {
        this.fetchingOverdue = false;
      });
  }

  private log(line: string): void {
    this.options.log?.(line);
  }
}

/** A block of the window's span during a resync; `transactions` is null when the window holds them all already. */
interface SpanBlock {
  time: number;
  txids: string[];
  transactions: Transaction[] | null;
}

function trouble(error: unknown): string {
  if (isWarmingUp(error))
    return `the node is starting (${(error as RpcError).message.replace(/ \(code -28\)$/, '')}); waiting…`;
  if (error instanceof RpcTransportError) return `${error.message}; retrying…`;
  return `resynchronising failed: ${describe(error)}; retrying…`;
}

function describe(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
