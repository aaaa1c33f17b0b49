// The WebSocket protocol of `WS /ws/mempool`, shared by the server hub and the browser.
// Server → client: a "snapshot" on connect (and again after a client fell behind), then "update"s
// at most every 500 ms, only when something changed; `seq` increases by one per message sent to
// that client. Client → server: small JSON requests. Times are Unix seconds; prices USD per BTC.
// Field names of the product spec (price, confidence, transactions, stats, timestamp) are kept;
// everything else is added beside them.

import type { EvidencePoint, LiveHistogram, SourceKind, WindowStats } from '../live/feed.ts';

export interface PricePoint {
  timestamp: number;
  price: number;
  /** The round USD amount this output matched (beyond the spec's fields). */
  usd: number;
}

export interface PriceMessage {
  type: 'snapshot' | 'update';
  seq: number;
  /** The live estimate; null while there is no estimate (see `reason`). */
  price: number | null;
  confidence: number;
  reason: string | null;
  block_window_price: number | null;
  source: SourceKind;
  /** Snapshot: the newest evidence points in the window. Update: only the points new since the last message. */
  transactions: PricePoint[];
  stats: WindowStats;
  /** When the estimate was made (Unix seconds). */
  timestamp: number;
  /** The window's histogram and comb: in every snapshot, and in updates when it changed (at most every few seconds). */
  histogram?: LiveHistogram;
  /** Snapshot only: how many updates this client missed because it fell behind (0 on a first snapshot). */
  missed_updates?: number;
  /** Snapshot only, when the service runs with NATS: which instance serves this stream (an estimator or an edge). */
  served_by?: string;
}

export interface ErrorMessage {
  type: 'error';
  /** Machine-readable, e.g. "unknown_message", "bad_request", "rate_limited". */
  code: string;
  message: string;
}

/** The answer to a client's `{ "type": "ping" }`: the server's clock, so a client can tell the link is alive. */
export interface PongMessage {
  type: 'pong';
  timestamp: number;
}

export type ServerMessage = PriceMessage | ErrorMessage | PongMessage;

/** Client requests: a fresh snapshot with up to `limit` points (capped by the server). */
export type ClientMessage = { type: 'snapshot'; limit?: number } | { type: 'ping' };

export type { EvidencePoint };
