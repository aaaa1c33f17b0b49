// A LiveFeed for the server's tests and the WebSocket benchmark, with no node and no estimator.
// `FakeFeed` changes only when told (`emit`, `setHealth`), so a test controls every update.
// `startSyntheticUpdates` drives one at a steady pace with realistic content: a price on a random
// walk, evidence points at popular round USD amounts with the scatter real outputs show, a slowly
// changing histogram, and a window that forgets its oldest points.

import type {
  EvidencePoint,
  FeedEvent,
  FeedHealth,
  LiveFeed,
  LiveHistogram,
  LiveState,
  LiveUpdate,
  SourceKind,
} from '../../src/live/feed.ts';

export class FakeFeed implements LiveFeed {
  readonly source: SourceKind;
  state: LiveState | null = null;
  window: EvidencePoint[] = [];
  histogramValue: LiveHistogram | null = null;
  healthValue: FeedHealth;
  maxWindowPoints: number;
  started = false;
  private readonly listeners = new Set<(update: LiveUpdate) => void>();
  private readonly eventListeners = new Set<(event: FeedEvent) => void>();

  constructor(options: { source?: SourceKind; maxWindowPoints?: number } = {}) {
    this.source = options.source ?? 'demo';
    this.maxWindowPoints = options.maxWindowPoints ?? 1_000_000;
    this.healthValue = {
      source: this.source,
      connected: true,
      lastMessageAgeSeconds: 0.5,
      windowSize: 0,
      lastEstimateAgeSeconds: null,
      detail: null,
      counters: {},
      seed: { price: null, source: null, since: null, detail: null, lastColdCheck: null },
    };
  }

  current(): LiveState | null {
    return this.state;
  }

  evidence(limit: number): EvidencePoint[] {
    return limit <= 0 ? [] : this.window.slice(-limit);
  }

  histogram(): LiveHistogram | null {
    return this.histogramValue;
  }

  health(): FeedHealth {
    return { ...this.healthValue, windowSize: this.window.length };
  }

  onUpdate(listener: (update: LiveUpdate) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  onEvent(listener: (event: FeedEvent) => void): () => void {
    this.eventListeners.add(listener);
    return () => this.eventListeners.delete(listener);
  }

  /** Tells every event listener, as a feed does (a reset, or a notice about its source). */
  event(event: FeedEvent): void {
    for (const listener of this.eventListeners) listener(event);
  }

  get listenerCount(): number {
    return this.listeners.size;
  }

  async start(): Promise<void> {
    this.started = true;
  }

  async stop(): Promise<void> {
    this.started = false;
  }

  /** Adds points to the window, replaces the state, and tells every listener (synchronously, like a real feed). */
  emit(points: EvidencePoint[], state: Partial<LiveState> = {}): void {
    for (const point of points) this.window.push(point);
    if (this.window.length > this.maxWindowPoints)
      this.window.splice(0, this.window.length - this.maxWindowPoints);
    this.state = makeState({ ...this.state, source: this.source, ...state });
    this.healthValue = { ...this.healthValue, lastEstimateAgeSeconds: 0 };
    const update: LiveUpdate = { state: this.state, newEvidence: points };
    for (const listener of this.listeners) listener(update);
  }
}

export function makeState(partial: Partial<LiveState> = {}): LiveState {
  return {
    source: 'demo',
    price: 60_000,
    confidence: 0.8,
    reason: null,
    blockWindowPrice: 59_500,
    stats: { total_received: 0, total_filtered: 0, active_in_window: 0, uptime_seconds: 0 },
    timestamp: Date.now() / 1000,
    estimateMs: 2,
    ...partial,
  };
}

/** Points numbered by their `usd` field (1, 2, 3 …) so a test can check order and uniqueness. */
export function numberedPoints(first: number, count: number, timestamp = Date.now() / 1000): EvidencePoint[] {
  return Array.from({ length: count }, (_, i) => ({ timestamp, price: 60_000 + i, usd: first + i }));
}

/** Round USD amounts and how often people pay them (rough shares; only the look of the data matters here). */
const POPULAR_AMOUNTS: [number, number][] = [
  [5, 4],
  [10, 10],
  [20, 12],
  [25, 3],
  [50, 10],
  [100, 12],
  [200, 5],
  [300, 2],
  [500, 4],
  [1000, 3],
];
/** Real implied prices scatter by about ±1 % around the estimate (fees, rounding, exchange spread). */
const POINT_SCATTER = 0.01;
/** A 3-hour window at a busy hour holds about this many evidence points. */
const SYNTHETIC_WINDOW_POINTS = 20_000;
const HISTOGRAM_BINS_PER_DECADE = 200;
/** 10^3 to 10^10 satoshis: every output size the estimator looks at. */
const HISTOGRAM_FIRST_LOG10 = 3;
const HISTOGRAM_DECADES = 7;

export interface SyntheticOptions {
  /** Updates per second. */
  rate: number;
  /** New evidence points per update. */
  pointsPerUpdate: number;
  startPrice?: number;
  /** Points the window keeps before forgetting the oldest. */
  windowPoints?: number;
  seed?: number;
}

/** Drives `feed` with realistic updates until the returned function is called. */
export function startSyntheticUpdates(feed: FakeFeed, options: SyntheticOptions): () => void {
  const random = seededRandom(options.seed ?? 1);
  const gauss = () => Math.sqrt(-2 * Math.log(random() || 1e-12)) * Math.cos(2 * Math.PI * random());
  const totalWeight = POPULAR_AMOUNTS.reduce((sum, [, w]) => sum + w, 0);
  const pickAmount = () => {
    let r = random() * totalWeight;
    for (const [usd, weight] of POPULAR_AMOUNTS) {
      r -= weight;
      if (r <= 0) return usd;
    }
    return 100;
  };
  feed.maxWindowPoints = options.windowPoints ?? SYNTHETIC_WINDOW_POINTS;
  let price = options.startPrice ?? 60_000;
  let received = 0;
  let filtered = 0;
  const started = Date.now();
  const counts = new Array<number>(HISTOGRAM_BINS_PER_DECADE * HISTOGRAM_DECADES).fill(0);
  for (let i = 0; i < counts.length; i++) counts[i] = Math.round(40 + 30 * Math.sin(i / 37) + 20 * random());
  const comb = POPULAR_AMOUNTS.map(([usd, weight]) => ({ usd, weight: weight / totalWeight }));

  const tick = () => {
    price *= 1 + 0.0005 * gauss();
    const now = Date.now() / 1000;
    const points: EvidencePoint[] = [];
    for (let i = 0; i < options.pointsPerUpdate; i++) {
      const usd = pickAmount();
      points.push({ timestamp: now - random() * 0.4, price: price * (1 + POINT_SCATTER * gauss()), usd });
      const sats = (usd / price) * 1e8;
      const bin = Math.floor((Math.log10(sats) - HISTOGRAM_FIRST_LOG10) * HISTOGRAM_BINS_PER_DECADE);
      if (bin >= 0 && bin < counts.length) counts[bin] += 1;
    }
    points.sort((a, b) => a.timestamp - b.timestamp);
    received += options.pointsPerUpdate * 6;
    filtered += options.pointsPerUpdate * 3;
    feed.histogramValue = {
      binsPerDecade: HISTOGRAM_BINS_PER_DECADE,
      firstLog10Sats: HISTOGRAM_FIRST_LOG10,
      counts: [...counts],
      comb,
    };
    feed.emit(points, {
      price,
      confidence: 0.75 + 0.2 * random(),
      blockWindowPrice: price * 0.998,
      timestamp: Date.now() / 1000,
      estimateMs: 1 + random() * 4,
      stats: {
        total_received: received,
        total_filtered: filtered,
        active_in_window: Math.min(feed.window.length * 3, received - filtered),
        uptime_seconds: Math.round((Date.now() - started) / 1000),
      },
    });
  };
  tick();
  const timer = setInterval(tick, 1000 / options.rate);
  return () => clearInterval(timer);
}

/** mulberry32: a small fast PRNG, so synthetic runs repeat exactly for the same seed. */
function seededRandom(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}
