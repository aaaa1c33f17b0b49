// The live pipeline's owner: transactions in (from a node or the demo source), price updates out.
// It keeps one PriceWindow, ages transactions out after `windowSeconds`, re-estimates at most every
// `updateIntervalMs` and only when the window changed, and tells listeners what changed: the new
// estimate and the evidence points that were not in the previous one. It implements LiveFeed, so
// the server does not know or care where the transactions came from.
// Time comes from `now()` (Unix seconds) so the demo can run it faster than the wall clock;
// the update timer itself runs on real time.
//
// Seeding. A seeded search looks only within ±30 % of its seed, so a wrong seed would hold the
// live estimate on a wrong price. The orchestrator therefore keeps the shown block-window price
// and the seed apart: the block-window price seeds only when confident (seedPrice); a start seed
// (the history's last confident price after a restart, or the operator's --price-hint) is used only
// until a confident price from the chain arrives; and while seeded, a cold (unseeded) estimate of
// the live window runs every `coldCheckSeconds` (and right after the seed changes). When that cold
// estimate is confident and outside the seeded range, it becomes the seed, with a log line and a
// note in health().seed.

import type { Transaction } from '../bitcoin/transaction.ts';
import { SEED_RANGE } from '../oracle/estimator.ts';
import { MIN_SEED_CONFIDENCE, seedPrice } from '../oracle/seed-price.ts';
import { type Estimate, PriceWindow } from '../oracle/window.ts';
import type {
  EvidencePoint,
  FeedHealth,
  LiveFeed,
  LiveHistogram,
  LiveState,
  LiveUpdate,
  SeedReport,
  SeedSource,
  SourceKind,
} from './feed.ts';

/** Three hours: long enough for thousands of payments on mainnet, short enough to follow the market. */
const DEFAULT_WINDOW_SECONDS = 3 * 60 * 60;
/** The product promise: at most two updates a second. */
const DEFAULT_UPDATE_INTERVAL_MS = 500;
/**
 * A cold search of a full mainnet window takes milliseconds (bench/estimate.ts): once a minute costs
 * nothing, and a wrong seed is left within a minute of the window holding a confident cold price.
 */
export const DEFAULT_COLD_CHECK_SECONDS = 60;

/** A seed known before the chain gives a confident price: the history's last one, or --price-hint. */
export interface StartSeed {
  price: number;
  source: 'history' | 'hint';
  /** One sentence for the log and /health, e.g. "the history's last confident price (2 h old)". */
  detail: string;
}

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
  /** Seconds (on the `now()` clock) between cold checks while the estimate is seeded; 0 turns them off. Default 60. */
  coldCheckSeconds?: number;
  /** The seed until a confident price from the chain arrives (see setStartSeed). */
  startSeed?: StartSeed;
  /** Lines for the operator's console (re-seeds). */
  log?: (line: string) => void;
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
    cold_checks: 0,
    cold_check_reseeds: 0,
  };
  private readonly startedAt: number;
  private timer: ReturnType<typeof setInterval> | null = null;
  private dirty = true;
  private state: LiveState | null = null;
  private points: EvidencePoint[] = [];
  private pointKeys = new OutputSet();
  private blockWindowPrice: number | null = null;
  private readonly coldCheckSeconds: number;
  private readonly log: (line: string) => void;
  private seed: { price: number; source: SeedSource; since: number; detail: string } | null = null;
  private lastColdCheck: SeedReport['lastColdCheck'] = null;
  /** A cold check runs at the next tick (the seed changed). */
  private coldCheckDue = false;
  /** The window changed since the last cold check. */
  private coldCheckStale = true;
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
    const every = options.coldCheckSeconds ?? DEFAULT_COLD_CHECK_SECONDS;
    if (!Number.isFinite(every) || every < 0)
      throw new RangeError(
        `the cold-check interval must be 0 (off) or a positive number of seconds, not ${every}`,
      );
    this.coldCheckSeconds = every;
    this.log = options.log ?? (() => {});
    if (options.startSeed) this.setStartSeed(options.startSeed);
  }

  // ---- inputs, called by the source -------------------------------------------------------------

  /** A transaction entered the mempool (or a block, when bootstrapping) at `firstSeen`. */
  addTransaction(tx: Transaction, firstSeen: number): void {
    this.counters.transactions_received++;
    if (firstSeen < this.now() - this.windowSeconds) return;
    const before = this.window.candidateOutputs;
    if (!this.window.add(tx, firstSeen)) return;
    if (this.window.candidateOutputs === before) this.counters.transactions_filtered++;
    this.changed();
  }

  /** A transaction left the mempool without being mined: replaced, evicted, conflicted or expired. */
  removeTransaction(txid: string): void {
    if (this.window.remove(txid)) {
      this.counters.transactions_removed++;
      this.changed();
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
    this.changed();
  }

  private changed(): void {
    this.dirty = true;
    this.coldCheckStale = true;
  }

  windowTxids(): Set<string> {
    return new Set(this.window.txids());
  }

  /**
   * The confirmed-block window price and its confidence. It is shown (LiveState.blockWindowPrice)
   * whatever its confidence, and seeds the live estimate only when its confidence is at least
   * MIN_SEED_CONFIDENCE; an unconfident one leaves the seed as it was.
   */
  setBlockWindowPrice(price: number | null, confidence: number): void {
    const usable = price !== null && Number.isFinite(price) && price > 0 ? price : null;
    if (usable !== this.blockWindowPrice) {
      this.blockWindowPrice = usable;
      this.dirty = true;
    }
    if (usable === null || !(confidence >= MIN_SEED_CONFIDENCE)) return;
    if (this.seed?.source === 'block-window' && this.seed.price === usable) return;
    this.setSeed(
      usable,
      'block-window',
      `the confirmed-block window price $${usable.toFixed(2)} at confidence ${confidence.toFixed(2)}`,
    );
  }

  /**
   * A seed to use until the chain gives a confident price: the history's last confident price after
   * a restart, or the operator's --price-hint. Ignored once a confident block-window price or a cold
   * check has set the seed. A nonsensical price is refused (RangeError).
   */
  setStartSeed(start: StartSeed): void {
    if (!Number.isFinite(start.price) || start.price <= 0)
      throw new RangeError(`a start seed must be a positive price, not ${start.price}`);
    if (this.seed !== null && this.seed.source !== 'history' && this.seed.source !== 'hint') return;
    this.setSeed(start.price, start.source, start.detail);
  }

  /** The price the live estimate is seeded with (null: a cold search). */
  get seedPrice(): number | null {
    return this.seed?.price ?? null;
  }

  private setSeed(price: number, source: SeedSource, detail: string): void {
    this.seed = { price, source, since: this.now(), detail };
    this.dirty = true;
    // A new seed from anything but the cold check is checked against the live window at once.
    if (source !== 'cold-check') this.coldCheckDue = true;
  }

  /**
   * An unseeded estimate of the live window. When it is confident and outside the seed's ±30 %
   * range, the seeded search could never reach it: it becomes the seed. Returns whether it re-seeded.
   */
  private coldCheck(): boolean {
    const now = this.now();
    const cold = this.window.estimate({});
    this.counters.cold_checks++;
    this.coldCheckDue = false;
    this.coldCheckStale = false;
    this.lastColdCheck = {
      at: now,
      price: cold.ok ? cold.price : null,
      confidence: cold.ok ? cold.confidence : 0,
    };
    const found = seedPrice(cold);
    const seed = this.seed;
    if (found === null || seed === null) return false;
    if (Math.abs(Math.log(found / seed.price)) <= Math.log(SEED_RANGE)) return false;
    this.counters.cold_check_reseeds++;
    const ok = cold.ok ? cold.confidence : 0;
    const detail =
      `a cold check of the live window found $${found.toFixed(2)} at confidence ${ok.toFixed(2)}, ` +
      `outside ±${Math.round((SEED_RANGE - 1) * 100)} % of the seed $${seed.price.toFixed(2)} (from ${describeSource(seed.source)})`;
    this.setSeed(found, 'cold-check', detail);
    this.log(`${detail}; re-seeding the live estimate with it`);
    return true;
  }

  private coldCheckIsDue(): boolean {
    if (this.seed === null || this.coldCheckSeconds === 0) return false;
    if (this.coldCheckDue) return true;
    if (!this.coldCheckStale) return false;
    return this.lastColdCheck === null || this.now() >= this.lastColdCheck.at + this.coldCheckSeconds;
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
      this.changed();
    }
    if (this.coldCheckIsDue()) this.coldCheck();
    if (!this.dirty) return null;
    this.dirty = false;

    const started = performance.now();
    const estimate = this.window.estimate({ seed: this.seed?.price ?? null });
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
    const keys = new OutputSet();
    const fresh: EvidencePoint[] = [];
    if (estimate.ok) {
      for (const e of estimate.evidence) {
        const point = { timestamp: e.time, price: e.price, usd: e.usd };
        points.push(point);
        keys.add(e.txid, e.vout);
        if (!this.pointKeys.has(e.txid, e.vout)) fresh.push(point);
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
      seed: {
        price: this.seed?.price ?? null,
        source: this.seed?.source ?? null,
        since: this.seed?.since ?? null,
        detail: this.seed?.detail ?? null,
        lastColdCheck: this.lastColdCheck === null ? null : { ...this.lastColdCheck },
      },
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

function describeSource(source: SeedSource): string {
  switch (source) {
    case 'block-window':
      return 'the confirmed-block window';
    case 'history':
      return 'the history';
    case 'cold-check':
      return 'an earlier cold check';
    case 'hint':
      return '--price-hint';
  }
}

/**
 * A set of outputs (txid, vout) that makes no string per output: the txid strings are the window's
 * own, and vouts below 31 are bits of one number per txid (a "txid:vout" key per evidence point
 * cost about 90 bytes each, kept from one update to the next).
 */
class OutputSet {
  private readonly low = new Map<string, number>();
  private readonly high = new Set<string>();

  add(txid: string, vout: number): void {
    if (vout < 31) this.low.set(txid, (this.low.get(txid) ?? 0) | (1 << vout));
    else this.high.add(`${txid}:${vout}`);
  }

  has(txid: string, vout: number): boolean {
    return vout < 31 ? ((this.low.get(txid) ?? 0) & (1 << vout)) !== 0 : this.high.has(`${txid}:${vout}`);
  }
}
