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

/** One client's message: its type and seq first (frameHead), then the shared body. */
export function frame(type: PriceMessage['type'], seq: number, bodyJson: string): string {
  return `${frameHead(type, seq)}${bodyJson.slice(1)}`;
}

/** What is one client's own in a message: the opening brace, its type and its seq. */
export function frameHead(type: PriceMessage['type'], seq: number): string {
  return `{"type":"${type}","seq":${seq},`;
}

/**
 * Bodies from this size on (snapshots, large updates) are sent to every client as one shared
 * Buffer; smaller ones are copied into each client's message, which costs less than a second frame.
 */
export const SHARE_FROM_BYTES = 16 * 1024;

/** A body every client it goes to shares: its JSON, and from SHARE_FROM_BYTES on, its part after the opening brace encoded once. */
export interface SharedBody {
  json: string;
  /** The body's UTF-8 size. */
  bytes: number;
  tail: Buffer | null;
}

export function sharedBody(body: PriceBody): SharedBody {
  const json = serialiseBody(body);
  const bytes = Buffer.byteLength(json);
  return { json, bytes, tail: bytes >= SHARE_FROM_BYTES ? Buffer.from(json.slice(1)) : null };
}

export function pricePoint(point: EvidencePoint): PricePoint {
  return { timestamp: round(point.timestamp, 3), price: round(point.price, 2), usd: point.usd };
}

/** Rounds to `decimals` places: what the API and the stream show of prices (2), confidences (4) and times (3). */
export function round(value: number, decimals: number): number {
  const scale = 10 ** decimals;
  return Math.round(value * scale) / scale;
}
