// Builds the JSON of the WebSocket price messages (pure). The body (everything but `type` and `seq`)
// is serialised once per update and shared by every client; `frame` puts a client's own type and seq
// in front of it without parsing or serialising again.
// Numbers are rounded to what a reader can use: prices to the cent, times to the millisecond.

import type { EvidencePoint, LiveHistogram, LiveState, SourceKind, WindowStats } from '../live/feed.ts';
import type { PriceMessage, PricePoint } from './protocol.ts';

export type PriceBody = Omit<PriceMessage, 'type' | 'seq'>;

const NO_STATS: WindowStats = {
  total_received: 0,
  total_filtered: 0,
  active_in_window: 0,
  uptime_seconds: 0,
};

export interface BodyInput {
  state: LiveState | null;
  source: SourceKind;
  points: readonly EvidencePoint[];
  histogram?: LiveHistogram | null;
  missedUpdates?: number;
  /** Used as the message time while there is no estimate yet. */
  nowSeconds: number;
}

export function priceBody(input: BodyInput): PriceBody {
  const { state } = input;
  const body: PriceBody = {
    price: state?.price == null ? null : round(state.price, 2),
    confidence: state ? round(state.confidence, 4) : 0,
    reason: state ? state.reason : 'no estimate yet: the source is starting',
    block_window_price: state?.blockWindowPrice == null ? null : round(state.blockWindowPrice, 2),
    source: input.source,
    transactions: input.points.map(pricePoint),
    stats: state ? { ...state.stats } : { ...NO_STATS },
    timestamp: round(state ? state.timestamp : input.nowSeconds, 3),
  };
  if (input.histogram) body.histogram = input.histogram;
  if (input.missedUpdates !== undefined) body.missed_updates = input.missedUpdates;
  return body;
}

/** The body's JSON: an object literal, as `frame` expects. */
export function serialiseBody(body: PriceBody): string {
  return JSON.stringify(body);
}

/** One client's message: its type and seq first, then the shared body. */
export function frame(type: PriceMessage['type'], seq: number, bodyJson: string): string {
  return `{"type":"${type}","seq":${seq},${bodyJson.slice(1)}`;
}

export function pricePoint(point: EvidencePoint): PricePoint {
  return { timestamp: round(point.timestamp, 3), price: round(point.price, 2), usd: point.usd };
}

/** Rounds to `decimals` places: what the API and the stream show of prices (2), confidences (4) and times (3). */
export function round(value: number, decimals: number): number {
  const scale = 10 ** decimals;
  return Math.round(value * scale) / scale;
}
