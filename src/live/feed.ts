// What a live price source offers the service: the current estimate, the evidence points in the
// window, the window's histogram, health, and a stream of updates. The orchestrator implements it
// for a real node and for the demo source alike; tests implement it with fakes.
// Times are Unix seconds (fractional allowed), prices are USD per BTC.

export type SourceKind = 'node' | 'demo';

/** One windowed output that matched a round USD amount: the price it implies. */
export interface EvidencePoint {
  /** When the output's transaction was first seen (live) or its block's time. */
  timestamp: number;
  /** USD per BTC implied by this output: usd / (value in BTC). */
  price: number;
  /** The round USD amount the output matched. */
  usd: number;
}

export interface WindowStats {
  total_received: number;
  total_filtered: number;
  active_in_window: number;
  uptime_seconds: number;
}

export interface LiveState {
  source: SourceKind;
  /** The live estimate, or null when the window holds no usable signal (see `reason`). */
  price: number | null;
  /** In [0, 1]; 0 when price is null. */
  confidence: number;
  reason: string | null;
  /**
   * The confirmed-block window price, when the blocks give one. Shown whatever its confidence; it
   * seeds the live estimate only when confident (see FeedHealth.seed for the seed actually used).
   */
  blockWindowPrice: number | null;
  stats: WindowStats;
  /** When this estimate was made. */
  timestamp: number;
  /** How long the estimate took, in milliseconds. */
  estimateMs: number;
}

export interface LiveUpdate {
  state: LiveState;
  /** Evidence points that appeared since the previous update, oldest first. */
  newEvidence: EvidencePoint[];
}

/** The window's log-scale histogram of candidate outputs and the comb of round amounts. */
export interface LiveHistogram {
  binsPerDecade: number;
  /** log10(satoshis) of the lower edge of counts[0]. */
  firstLog10Sats: number;
  counts: number[];
  /** The round USD amounts and their weights, to draw the comb at the estimated price. */
  comb: { usd: number; weight: number }[];
}

/**
 * Where the live estimate's seed came from. A seed narrows the search to ±30 % around it, so the
 * service says which one it uses: the confident block-window price, the last confident price in
 * the history (after a restart), a cold check of the live window that found the seed wrong, or the
 * operator's --price-hint.
 */
export type SeedSource = 'block-window' | 'history' | 'cold-check' | 'hint';

export interface SeedReport {
  /** The price the live estimate is seeded with; null: it searches cold. */
  price: number | null;
  source: SeedSource | null;
  /** When this seed was set (Unix seconds, the feed's clock); null while there is none. */
  since: number | null;
  /** One sentence on why this is the seed. */
  detail: string | null;
  /** The last periodic cold check of the live window (unseeded search), if one ran. */
  lastColdCheck: { at: number; price: number | null; confidence: number } | null;
}

export interface FeedHealth {
  source: SourceKind;
  /** Connected to the node (always true for the demo source). */
  connected: boolean;
  lastMessageAgeSeconds: number | null;
  windowSize: number;
  lastEstimateAgeSeconds: number | null;
  /** A short human sentence on the state (e.g. "node warming up, retrying"). Never a secret. */
  detail: string | null;
  /** Counters for metrics, e.g. zmq_reconnects, zmq_gaps, transactions_received. */
  counters: Record<string, number>;
  /** The live estimate's seed and the last cold check. */
  seed: SeedReport;
  /** The node side's own checks (node sources only). */
  node?: NodeLinkHealth;
  /** Problems the source found itself, one sentence each that a user can act on (added to /health's). */
  problems?: string[];
}

/** What a node source's periodic checks say about the node (see src/node/node-watch.ts). */
export interface NodeLinkHealth {
  /** False while the node does not answer RPC (its liveness check times out or is refused). */
  rpcAnswering: boolean;
  /** Seconds since the node last answered that check; null before the first answer. */
  lastRpcAnswerAgeSeconds: number | null;
  /**
   * Seconds since the last ZMQ message, while ZMQ is silent although the node's mempool changed
   * (the window is then kept in step by polling RPC); null while ZMQ keeps up.
   */
  zmqQuietSeconds: number | null;
}

/**
 * Besides updates, a feed that mirrors another (an edge's, from NATS) may say: `reset` — its window
 * was replaced (a new publisher, a gap, a reconnect), so every client needs a fresh snapshot; or
 * `notice` — a one-sentence state change clients should hear about (e.g. the bus was lost).
 */
export type FeedEvent = { type: 'reset' } | { type: 'notice'; code: string; message: string };

export interface LiveFeed {
  readonly source: SourceKind;
  current(): LiveState | null;
  /** The newest `limit` evidence points in the window, oldest first. */
  evidence(limit: number): EvidencePoint[];
  histogram(): LiveHistogram | null;
  health(): FeedHealth;
  /** Called at most every 500 ms and only when something changed. Returns an unsubscribe function. */
  onUpdate(listener: (update: LiveUpdate) => void): () => void;
  /** Optional (see FeedEvent); feeds that never reset leave it out. Returns an unsubscribe function. */
  onEvent?(listener: (event: FeedEvent) => void): () => void;
  start(): Promise<void>;
  stop(): Promise<void>;
}
