// The live pipeline's owner: transactions in (from a node or the demo source), price updates out.
// It keeps one PriceWindow, ages transactions out after `windowSeconds`, re-estimates at most every
// `updateIntervalMs` and only when the window changed, and tells listeners what changed: the new
// estimate and the evidence points that were not in the previous one. It implements LiveFeed, so
// the server does not know or care where the transactions came from.
// Time comes from `now()` (Unix seconds) so the demo can run it faster than the wall clock;
// the update timer itself runs on real time.

import type { Transaction } from '../bitcoin/transaction.ts';
import { type Estimate, PriceWindow } from '../oracle/window.ts';
import type {
  EvidencePoint,
  FeedHealth,
  LiveFeed,
  LiveHistogram,
  LiveState,
  LiveUpdate,
  SourceKind,
} from './feed.ts';

/** Three hours: long enough for thousands of payments on mainnet, short enough to follow the market. */
const DEFAULT_WINDOW_SECONDS = 3 * 60 * 60;
/** The product promise: at most two updates a second. */
const DEFAULT_UPDATE_INTERVAL_MS = 500;

export interface OrchestratorOptions {
  source: SourceKind;
  now?: () => number;
  windowSeconds?: number;
  updateIntervalMs?: number;
  /** Connects the source; run by start(). */
  start?: () => Promise<void>;
  /** Disconnects the source; run by stop(). */
  stop?: () => Promise<void>;
  window?: PriceWindow;
}

type Listener = (update: LiveUpdate) => void;

export class Orchestrator implements LiveFeed {
  readonly source: SourceKind;
  readonly windowSeconds: number;
  private readonly now: () => number;
  private readonly updateIntervalMs: number;
  private readonly startSource: (() => Promise<void>) | undefined;
  private readonly stopSource: (() => Promise<void>) | undefined;
  private readonly window: PriceWindow;
  private readonly listeners = new Set<Listener>();
  private readonly counters: Record<string, number> = {
    transactions_received: 0,
    transactions_filtered: 0,
    transactions_removed: 0,
    transactions_aged_out: 0,
    transactions_mined: 0,
    estimates: 0,
  };
  private readonly startedAt: number;
  private timer: ReturnType<typeof setInterval> | null = null;
  private dirty = true;
  private state: LiveState | null = null;
  private points: EvidencePoint[] = [];
  private pointKeys = new Set<string>();
  private blockWindowPrice: number | null = null;
  private connected = false;
  private detail: string | null = null;
  private lastMessageAt: number | null = null;

  constructor(options: OrchestratorOptions) {
    this.source = options.source;
    this.now = options.now ?? (() => Date.now() / 1000);
    this.windowSeconds = options.windowSeconds ?? DEFAULT_WINDOW_SECONDS;
    this.updateIntervalMs = options.updateIntervalMs ?? DEFAULT_UPDATE_INTERVAL_MS;
    this.startSource = options.start;
    this.stopSource = options.stop;
    this.window = options.window ?? new PriceWindow();
    this.startedAt = this.now();
    this.connected = options.source === 'demo';
  }

  // ---- inputs, called by the source -------------------------------------------------------------

  /** A transaction entered the mempool (or a block, when bootstrapping) at `firstSeen`. */
  addTransaction(tx: Transaction, firstSeen: number): void {
    this.counters.transactions_received++;
    if (firstSeen < this.now() - this.windowSeconds) return;
    const before = this.window.candidateOutputs;
    if (!this.window.add(tx, firstSeen)) return;
    if (this.window.candidateOutputs === before) this.counters.transactions_filtered++;
    this.dirty = true;
  }

  /** A transaction left the mempool without being mined: replaced, evicted, conflicted or expired. */
  removeTransaction(txid: string): void {
    if (this.window.remove(txid)) {
      this.counters.transactions_removed++;
      this.dirty = true;
    }
  }

  /** A block was connected: its transactions stay in the window until they age out. */
  markMined(txids: Iterable<string>, _blockTime: number): void {
    for (const txid of txids) if (this.window.has(txid)) this.counters.transactions_mined++;
  }

  /** Makes the window hold exactly `entries` (after a gap or a reconnect); counters are kept. */
  replaceAll(entries: Iterable<{ tx: Transaction; firstSeen: number }>): void {
    const keep = new Map<string, { tx: Transaction; firstSeen: number }>();
    const oldest = this.now() - this.windowSeconds;
    for (const entry of entries) if (entry.firstSeen >= oldest) keep.set(entry.tx.txid, entry);
    for (const txid of [...this.window.txids()]) if (!keep.has(txid)) this.window.remove(txid);
    for (const [txid, entry] of keep) if (!this.window.has(txid)) this.window.add(entry.tx, entry.firstSeen);
    this.dirty = true;
  }

  windowTxids(): Set<string> {
    return new Set(this.window.txids());
  }

  /** The confirmed-block window price: the seed of the live estimate. */
  setBlockWindowPrice(price: number | null): void {
    const usable = price !== null && Number.isFinite(price) && price > 0 ? price : null;
    if (usable === this.blockWindowPrice) return;
    this.blockWindowPrice = usable;
    this.dirty = true;
  }

  setConnection(connected: boolean, detail: string | null): void {
    this.connected = connected;
    this.detail = detail;
  }

  noteMessage(): void {
    this.lastMessageAt = this.now();
  }

  count(counter: string, by = 1): void {
    this.counters[counter] = (this.counters[counter] ?? 0) + by;
  }

  // ---- the update cycle -------------------------------------------------------------------------

  /** Ages the window, re-estimates when something changed and tells the listeners. Returns the update, if any. */
  tick(): LiveUpdate | null {
    const aged = this.window.removeOlderThan(this.now() - this.windowSeconds);
    if (aged > 0) {
      this.counters.transactions_aged_out += aged;
      this.dirty = true;
    }
    if (!this.dirty) return null;
    this.dirty = false;

    const started = performance.now();
    const estimate = this.window.estimate({ seed: this.blockWindowPrice ?? undefined });
    const estimateMs = performance.now() - started;
    this.counters.estimates++;

    const newEvidence = this.takeEvidence(estimate);
    this.state = this.describe(estimate, estimateMs);
    const update: LiveUpdate = { state: this.state, newEvidence };
    for (const listener of this.listeners) listener(update);
    return update;
  }

  private takeEvidence(estimate: Estimate): EvidencePoint[] {
    const points: EvidencePoint[] = [];
    const keys = new Set<string>();
    const fresh: EvidencePoint[] = [];
    if (estimate.ok) {
      for (const e of estimate.evidence) {
        const key = `${e.txid}:${e.vout}`;
        const point = { timestamp: e.time, price: e.price, usd: e.usd };
        points.push(point);
        keys.add(key);
        if (!this.pointKeys.has(key)) fresh.push(point);
      }
    }
    this.points = points;
    this.pointKeys = keys;
    return fresh;
  }

  private describe(estimate: Estimate, estimateMs: number): LiveState {
    const stats = {
      total_received: this.counters.transactions_received,
      total_filtered: this.counters.transactions_filtered,
      active_in_window: this.window.size,
      uptime_seconds: Math.max(0, Math.round(this.now() - this.startedAt)),
    };
    return {
      source: this.source,
      price: estimate.ok ? estimate.price : null,
      confidence: estimate.ok ? estimate.confidence : 0,
      reason: estimate.ok ? null : estimate.reason,
      blockWindowPrice: this.blockWindowPrice,
      stats,
      timestamp: this.now(),
      estimateMs,
    };
  }

  // ---- LiveFeed ---------------------------------------------------------------------------------

  current(): LiveState | null {
    return this.state;
  }

  evidence(limit: number): EvidencePoint[] {
    const n = Math.max(0, Math.floor(limit));
    return n >= this.points.length ? this.points.slice() : this.points.slice(this.points.length - n);
  }

  histogram(): LiveHistogram {
    const h = this.window.histogram();
    return { ...h, comb: this.window.model.amounts.map((a) => ({ usd: a.usd, weight: a.weight })) };
  }

  health(): FeedHealth {
    const now = this.now();
    return {
      source: this.source,
      connected: this.connected,
      lastMessageAgeSeconds: this.lastMessageAt === null ? null : now - this.lastMessageAt,
      windowSize: this.window.size,
      lastEstimateAgeSeconds: this.state === null ? null : now - this.state.timestamp,
      detail: this.detail,
      counters: { ...this.counters },
    };
  }

  onUpdate(listener: Listener): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  async start(): Promise<void> {
    if (this.startSource) await this.startSource();
    if (this.timer === null) {
      this.timer = setInterval(() => this.tick(), this.updateIntervalMs);
      this.timer.unref?.();
    }
    this.tick();
  }

  async stop(): Promise<void> {
    if (this.timer !== null) clearInterval(this.timer);
    this.timer = null;
    if (this.stopSource) await this.stopSource();
  }
}
