// What one estimator says to its edges over NATS (pure: subjects, message shapes, the evidence
// window's diff and checksum). Everything is JSON, serialised once by the publisher and fanned out
// by the NATS server, never once per edge.
//
// Subjects, per network (`demo`, `main`, `test`, `testnet4`, `signet`, `regtest`):
//   chainprice.<net>.update   publish: every update and, between updates, a beat each second
//   chainprice.<net>.state    request/reply: the full state, answered by the lease holder only
//   chainprice.<net>.history  request/reply: past estimates, answered by any estimator (queue group)
//   chainprice.<net>.block    request/reply: a confirmed block's price, same
// The lease (which estimator publishes) is the key <net> of the JetStream key-value bucket
// `chainprice_leases`; its value is the holder's epoch.
//
// An edge keeps a copy of the newest `WINDOW_LIMIT` evidence points exactly as the publisher's
// `evidence(WINDOW_LIMIT)` holds them, so its snapshots are the publisher's snapshots. Points leave
// the window from anywhere (the band follows the price), so each update carries a positional diff
// of that array and its length and checksum after the change; an edge whose copy does not match
// asks for the full state again. Points are rounded as the stream shows them (times to the
// millisecond, prices to the cent), so the copy is exact to what any client can see.

import type { EvidencePoint, FeedHealth, LiveHistogram, LiveState, SourceKind } from '../live/feed.ts';

/** The hub's largest snapshot (DEFAULT_HUB_LIMITS.maxSnapshotLimit): the most points any client can ask for. */
export const WINDOW_LIMIT = 20_000;
/** Bus protocol version: an edge refuses messages of another. */
export const BUS_VERSION = 1;
export const LEASE_BUCKET = 'chainprice_leases';
export const ESTIMATOR_QUEUE = 'chainprice-estimators';
/** How long an edge waits for the state: a full state is ~0.6 MB, seconds on a slow link. */
export const STATE_TIMEOUT_MS = 3_000;

export const NETWORK_NAMES = ['demo', 'main', 'test', 'testnet4', 'signet', 'regtest'] as const;
export type NetworkName = (typeof NETWORK_NAMES)[number];

export function subjects(network: NetworkName) {
  const base = `chainprice.${network}`;
  return {
    update: `${base}.update`,
    state: `${base}.state`,
    history: `${base}.history`,
    block: `${base}.block`,
    leaseKey: network,
  };
}

export function sourceOf(network: NetworkName): SourceKind {
  return network === 'demo' ? 'demo' : 'node';
}

/** A point as it travels: [timestamp (ms precision), price (cents), usd]. */
export type WirePoint = [number, number, number];

export interface WindowDiff {
  /** Indexes in the previous array of the points that left, ascending. */
  removed: number[];
  /** [index in the new array, point], ascending by index. */
  added: [number, WirePoint][];
  /** Length of the new array. */
  count: number;
  /** checksum() of the new array. */
  sum: number;
}

export interface BusUpdate {
  kind: 'update';
  v: number;
  epoch: string;
  /** 1, 2, 3 … within an epoch: an edge that sees a gap asks for the full state. */
  seq: number;
  /** The publisher's clock (Unix seconds) when it sent this. */
  sent: number;
  state: LiveState;
  /** The update's new evidence, as the feed gave it (what the stream sends its clients). */
  fresh: WirePoint[];
  window: WindowDiff;
  /** Present when the histogram changed since the previous message. */
  histogram?: LiveHistogram;
  health: FeedHealth;
}

/** Sent each second without an update: the publisher is alive; `seq` is its last update's. */
export interface BusBeat {
  kind: 'beat';
  v: number;
  epoch: string;
  seq: number;
  sent: number;
  health: FeedHealth;
}

export type BusMessage = BusUpdate | BusBeat;

/** The answer to a state request: everything a newcomer needs, as of update `seq`. */
export interface BusState {
  v: number;
  epoch: string;
  seq: number;
  sent: number;
  source: SourceKind;
  state: LiveState | null;
  points: WirePoint[];
  histogram: LiveHistogram | null;
  health: FeedHealth;
}

/** A request/reply answer for history and blocks: a result, or an error to show as the HTTP status. */
export type BusAnswer<T> =
  | { ok: true; result: T }
  | { ok: false; statusCode: number; error: string; message: string };

export function round(value: number, decimals: number): number {
  const scale = 10 ** decimals;
  return Math.round(value * scale) / scale;
}

export function wirePoint(point: EvidencePoint): WirePoint {
  return [round(point.timestamp, 3), round(point.price, 2), point.usd];
}

export function fromWire(point: WirePoint): EvidencePoint {
  return { timestamp: point[0], price: point[1], usd: point[2] };
}

/** An order-sensitive 32-bit hash of the points: equal arrays give equal sums. */
export function checksum(points: readonly WirePoint[]): number {
  let h = 0x811c9dc5 ^ points.length;
  for (const [t, p, u] of points) {
    const ms = Math.round(t * 1000);
    h = Math.imul(h ^ ((ms % 4_294_967_296) | 0), 16_777_619);
    h = Math.imul(h ^ Math.floor(ms / 4_294_967_296), 16_777_619);
    h = Math.imul(h ^ ((Math.round(p * 100) % 4_294_967_296) | 0), 16_777_619);
    h = Math.imul(h ^ (u | 0), 16_777_619);
  }
  return h >>> 0;
}

const same = (a: WirePoint, b: WirePoint) => a[0] === b[0] && a[1] === b[1] && a[2] === b[2];

/**
 * The positional diff from `before` to `after`, both ordered by time (the window's order: a point
 * never changes place relative to another, so the points kept appear in the same order in both).
 */
export function diffWindow(before: readonly WirePoint[], after: readonly WirePoint[]): WindowDiff {
  const removed: number[] = [];
  const added: [number, WirePoint][] = [];
  let i = 0;
  let j = 0;
  while (i < before.length || j < after.length) {
    if (j >= after.length || (i < before.length && before[i][0] < after[j][0])) {
      removed.push(i++);
      continue;
    }
    if (i >= before.length || after[j][0] < before[i][0]) {
      added.push([j, after[j]]);
      j++;
      continue;
    }
    // The same time on both sides: match the group in order.
    const t = before[i][0];
    let gi = i;
    while (gi < before.length && before[gi][0] === t) gi++;
    let gj = j;
    while (gj < after.length && after[gj][0] === t) gj++;
    let next = j;
    for (let k = i; k < gi; k++) {
      let q = next;
      while (q < gj && !same(before[k], after[q])) q++;
      if (q === gj) {
        removed.push(k);
        continue;
      }
      for (let m = next; m < q; m++) added.push([m, after[m]]);
      next = q + 1;
    }
    for (let m = next; m < gj; m++) added.push([m, after[m]]);
    i = gi;
    j = gj;
  }
  return { removed, added, count: after.length, sum: checksum(after) };
}

/** Applies a diff; returns null when the result does not match its length and checksum. */
export function applyWindowDiff(before: readonly WirePoint[], diff: WindowDiff): WirePoint[] | null {
  const out: WirePoint[] = new Array(diff.count);
  let r = 0;
  let a = 0;
  let k = 0;
  for (let j = 0; j < diff.count; j++) {
    if (a < diff.added.length && diff.added[a][0] === j) {
      out[j] = diff.added[a++][1];
      continue;
    }
    while (r < diff.removed.length && diff.removed[r] === k) {
      r++;
      k++;
    }
    if (k >= before.length) return null;
    out[j] = before[k++];
  }
  if (a !== diff.added.length) return null;
  while (r < diff.removed.length && diff.removed[r] === k) {
    r++;
    k++;
  }
  if (k !== before.length || r !== diff.removed.length) return null;
  return checksum(out) === diff.sum ? out : null;
}

export function isNetworkName(name: string): name is NetworkName {
  return (NETWORK_NAMES as readonly string[]).includes(name);
}
