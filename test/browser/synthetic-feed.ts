// A LiveFeed for the browser tests and the browser benchmark, standing in for the demo source until
// one exists: it draws payment outputs (round USD amounts at a price on a random walk, with the
// scatter fees and rounding give, among outputs of any size), keeps a window of them, and estimates
// the price the simple way (median of the implied prices near the previous estimate). So the page
// gets what a real feed sends: evidence points, a histogram with round-amount spikes, a moving
// estimate, a confirmed-block price, counters. In: options (seed, rate, start price, clock).
// Out: the LiveFeed interface.

import type {
  EvidencePoint,
  FeedHealth,
  LiveFeed,
  LiveHistogram,
  LiveState,
  LiveUpdate,
  SourceKind,
} from '../../src/live/feed.ts';

export interface SyntheticFeedOptions {
  seed?: number;
  /** Payment outputs per second. */
  outputsPerSecond?: number;
  startPrice?: number;
  /** Seconds of history present when the feed starts. */
  prefillSeconds?: number;
  windowSeconds?: number;
  updateEveryMs?: number;
  source?: SourceKind;
}

/** Round USD amounts and their relative popularity (shape only; this is a test source). */
const AMOUNTS: [number, number][] = [
  [1, 2],
  [2, 1],
  [5, 5],
  [10, 10],
  [20, 12],
  [25, 3],
  [50, 10],
  [100, 12],
  [200, 6],
  [250, 2],
  [500, 5],
  [1000, 4],
  [2000, 1.5],
  [5000, 1],
  [10000, 0.5],
];
/** Share of outputs that are round-USD payments; the rest are change and everything else. */
const ROUND_SHARE = 0.3;
/** Fees, wallet rounding and exchange spread scatter a round payment's implied price by about this much. */
const ROUND_SCATTER = 0.004;
/** Outputs within this share of a round amount at the current estimate count as evidence. */
const MATCH_WINDOW = 0.02;
const BINS_PER_DECADE = 200;
const FIRST_LOG10 = 3;
const DECADES = 7;

export class SyntheticFeed implements LiveFeed {
  readonly source: SourceKind;
  private readonly rate: number;
  private readonly windowSeconds: number;
  private readonly updateEveryMs: number;
  private readonly prefillSeconds: number;
  private rng: () => number;
  private truePrice: number;
  private estimate: number;
  private blockWindow: number;
  private readonly outputs: { t: number; sats: number }[] = [];
  private readonly points: EvidencePoint[] = [];
  private readonly counts = new Array<number>(BINS_PER_DECADE * DECADES).fill(0);
  private readonly history: { timestamp: number; price: number; confidence: number }[] = [];
  private readonly listeners = new Set<(u: LiveUpdate) => void>();
  private state: LiveState | null = null;
  private timer: ReturnType<typeof setInterval> | null = null;
  private lastTime = 0;
  private received = 0;
  private filtered = 0;
  private readonly startedAt = Date.now() / 1000;

  constructor(options: SyntheticFeedOptions = {}) {
    this.source = options.source ?? 'demo';
    this.rng = mulberry32(options.seed ?? 7);
    this.rate = options.outputsPerSecond ?? 8;
    this.windowSeconds = options.windowSeconds ?? 3 * 3600;
    this.updateEveryMs = options.updateEveryMs ?? 500;
    this.prefillSeconds = options.prefillSeconds ?? 3600;
    this.truePrice = options.startPrice ?? 60_000 + 40_000 * this.rng();
    this.estimate = this.truePrice;
    this.blockWindow = this.truePrice;
  }

  async start(): Promise<void> {
    const now = Date.now() / 1000;
    this.lastTime = now - this.prefillSeconds;
    // The prefill runs in one-minute steps so the history has an estimate per minute, like a stored one.
    for (let t = this.lastTime + 60; t < now; t += 60) this.advance(t, false);
    this.advance(now, false);
    this.timer = setInterval(() => this.advance(Date.now() / 1000, true), this.updateEveryMs);
  }

  async stop(): Promise<void> {
    if (this.timer !== null) clearInterval(this.timer);
    this.timer = null;
  }

  current(): LiveState | null {
    return this.state;
  }

  evidence(limit: number): EvidencePoint[] {
    return limit <= 0 ? [] : this.points.slice(-limit);
  }

  histogram(): LiveHistogram | null {
    const total = AMOUNTS.reduce((s, [, w]) => s + w, 0);
    return {
      binsPerDecade: BINS_PER_DECADE,
      firstLog10Sats: FIRST_LOG10,
      counts: [...this.counts],
      comb: AMOUNTS.map(([usd, w]) => ({ usd, weight: w / total })),
    };
  }

  health(): FeedHealth {
    return {
      source: this.source,
      connected: true,
      lastMessageAgeSeconds: 0,
      windowSize: this.outputs.length,
      lastEstimateAgeSeconds: this.state === null ? null : Date.now() / 1000 - this.state.timestamp,
      detail: null,
      counters: { transactions_received: this.received },
    };
  }

  /** The estimates made so far, at most one per `step` seconds: a HistoryReader for buildApp. */
  estimates(query: {
    from: number;
    to: number;
    step: number;
  }): { timestamp: number; price: number; confidence: number }[] {
    const out: { timestamp: number; price: number; confidence: number }[] = [];
    let lastSlot = Number.NEGATIVE_INFINITY;
    for (const e of this.history) {
      if (e.timestamp < query.from || e.timestamp > query.to) continue;
      const slot = Math.floor(e.timestamp / query.step);
      if (slot === lastSlot) continue;
      lastSlot = slot;
      out.push(e);
    }
    return out;
  }

  onUpdate(listener: (update: LiveUpdate) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  private gauss(): number {
    return Math.sqrt(-2 * Math.log(this.rng() || 1e-12)) * Math.cos(2 * Math.PI * this.rng());
  }

  private pickAmount(): number {
    const total = AMOUNTS.reduce((s, [, w]) => s + w, 0);
    let r = this.rng() * total;
    for (const [usd, w] of AMOUNTS) {
      r -= w;
      if (r <= 0) return usd;
    }
    return 100;
  }

  /** Generates the outputs from lastTime to `now`, re-estimates, and tells listeners when `notify`. */
  private advance(now: number, notify: boolean): void {
    const fresh: EvidencePoint[] = [];
    let t = this.lastTime;
    while (true) {
      t += -Math.log(1 - this.rng()) / this.rate;
      if (t > now) break;
      this.truePrice *= 1 + 0.00004 * this.gauss();
      let sats: number;
      if (this.rng() < ROUND_SHARE) {
        sats = (this.pickAmount() / this.truePrice) * 1e8 * (1 + ROUND_SCATTER * this.gauss());
      } else {
        sats = 10 ** (4.2 + 1.1 * this.gauss());
      }
      sats = Math.max(1000, Math.round(sats));
      this.received += 1;
      this.outputs.push({ t, sats });
      this.bin(sats, 1);
      const point = this.match(t, sats);
      if (point !== null) fresh.push(point);
      else this.filtered += 1;
    }
    this.lastTime = now;
    const cutoff = now - this.windowSeconds;
    while (this.outputs.length > 0 && this.outputs[0].t < cutoff) this.bin(this.outputs.shift()!.sats, -1);
    let drop = 0;
    while (drop < this.points.length && this.points[drop].timestamp < cutoff) drop++;
    this.points.splice(0, drop);
    this.points.push(...fresh);
    this.reestimate(now);
    if (notify) for (const l of this.listeners) l({ state: this.state!, newEvidence: fresh });
  }

  private match(t: number, sats: number): EvidencePoint | null {
    const btc = sats / 1e8;
    for (const [usd] of AMOUNTS) {
      const implied = usd / btc;
      if (Math.abs(implied / this.estimate - 1) <= MATCH_WINDOW) return { timestamp: t, price: implied, usd };
    }
    return null;
  }

  private bin(sats: number, delta: number): void {
    const i = Math.floor((Math.log10(sats) - FIRST_LOG10) * BINS_PER_DECADE);
    if (i >= 0 && i < this.counts.length) this.counts[i] += delta;
  }

  private reestimate(now: number): void {
    const recent = this.points.filter((p) => p.timestamp > now - 1800).map((p) => p.price);
    recent.sort((a, b) => a - b);
    if (recent.length >= 20) this.estimate = recent[Math.floor(recent.length / 2)];
    if (Math.floor(now / 600) !== Math.floor((this.state?.timestamp ?? now) / 600))
      this.blockWindow = this.estimate;
    const confidence = Math.min(0.95, recent.length / 400);
    this.state = {
      source: this.source,
      price: recent.length >= 20 ? this.estimate : null,
      confidence: recent.length >= 20 ? confidence : 0,
      reason: recent.length >= 20 ? null : 'too few round-amount outputs in the window yet',
      blockWindowPrice: this.blockWindow,
      stats: {
        total_received: this.received,
        total_filtered: this.filtered,
        active_in_window: this.outputs.length,
        uptime_seconds: Math.round(now - this.startedAt),
      },
      timestamp: now,
      estimateMs: 1,
    };
    if (this.state.price !== null) this.history.push({ timestamp: now, price: this.state.price, confidence });
    while (this.history.length > 0 && this.history[0].timestamp < now - 86_400) this.history.shift();
  }
}

function mulberry32(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}
