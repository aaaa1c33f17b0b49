// The WebSocket hub behind `WS /ws/mempool`: one subscription to the live feed, fanned out to every
// connected client. In: the feed's updates and the clients' sockets and requests. Out: per client, a
// snapshot on connect, then updates holding only the evidence new since that client's last message,
// at most every `minUpdateIntervalMs` (faster feed updates are merged), each frame with the client's
// own increasing `seq`.
//
// One serialisation per update serves every client. A client whose send buffer is above
// `slowClientBytes` is skipped (the update is counted as dropped for it) and, once its buffer has
// drained, gets a fresh snapshot: a slow reader never grows the server's memory or delays the others.
// Heartbeat: a WebSocket ping every `heartbeatMs`, carrying a fresh random payload; a client that has
// not answered the previous one with that payload is cut off. Only a client that reads can know the
// payload, so one that never reads (and would hold its send buffer for ever) is cut off after one
// to two intervals even if it sends pongs blindly. At most `maxClients` are served at once; one
// more is closed with 1013 (try again later), which the page answers by reconnecting later. Client requests are rate-limited; see client-message.ts for what is accepted.
//
// Assumes the feed's `evidence()` agrees with the updates it has emitted (points appear in
// `evidence()` no earlier than in an update), so a snapshot followed by updates holds each point once.

import { randomBytes } from 'node:crypto';
import type { EvidencePoint, FeedEvent, LiveFeed, LiveState, LiveUpdate } from '../live/feed.ts';
import { readClientMessage } from './client-message.ts';
import { frameHead, type PriceBody, priceBody, type SharedBody, sharedBody } from './price-message.ts';
import type { ErrorMessage, PongMessage } from './protocol.ts';
import { TokenBucket } from './rate-limit.ts';

/** The part of a `ws` WebSocket the hub uses (and a test can imitate). */
export interface HubSocket {
  readonly bufferedAmount: number;
  readonly readyState: number;
  /** A text message, or (`fin: false`, then the rest) one sent in fragments. */
  send(data: string | Buffer, options?: { fin?: boolean; binary?: boolean }): void;
  ping(data?: Buffer): void;
  close(code?: number, reason?: string): void;
  terminate(): void;
  on(event: 'message', listener: (data: unknown, isBinary: boolean) => void): unknown;
  on(event: 'pong', listener: (data: Buffer) => void): unknown;
  on(event: 'close', listener: () => void): unknown;
}

const OPEN = 1;
/** Random bytes in each ping: too many to guess, and a ping frame is still a few bytes. */
const PING_PAYLOAD_BYTES = 8;

export const CLOSE_GOING_AWAY = 1001;
export const CLOSE_POLICY = 1008;
export const CLOSE_TOO_BIG = 1009;
export const CLOSE_TRY_AGAIN_LATER = 1013;

export interface HubLimits {
  /** The product spec's pace: browsers redraw at most twice a second, and merged updates cost less. */
  minUpdateIntervalMs: number;
  /** Points in a snapshot unless the client asks otherwise: the product spec's default. */
  snapshotLimit: number;
  /** The most points a client may ask for: about 1 MB of JSON, a few seconds on a slow link. */
  maxSnapshotLimit: number;
  /** Above this many unsent bytes a client is behind: about two default snapshots, which a healthy
   * client drains in milliseconds, while 1,000 such clients still hold only ~256 MB at worst. */
  slowClientBytes: number;
  /** A client that fell behind resumes once its buffer is below this (hysteresis, so it does not flap). */
  resumeBytes: number;
  /** How often a client that fell behind is checked for having drained when no update comes. */
  resyncCheckMs: number;
  /**
   * Clients served at once; one more is closed with 1013 (try again later). Bounds the memory
   * clients can hold: each at most `slowClientBytes` of send buffer, plus its socket.
   */
  maxClients: number;
  /** Ping interval; a connection silent for two intervals is dead (NAT and proxies drop idle links after ~60 s). */
  heartbeatMs: number;
  /** The histogram moves slowly and is the largest part of a message: resend it at most this often. */
  histogramIntervalMs: number;
  /** Client requests allowed at once, then `messagesPerSecond`: a page needs a handful per minute. */
  messageBurst: number;
  messagesPerSecond: number;
  /** A client that keeps sending after this many refused messages in a row is flooding: closed with 1008. */
  maxRefusedInARow: number;
}

export const DEFAULT_HUB_LIMITS: HubLimits = {
  minUpdateIntervalMs: 500,
  snapshotLimit: 2_000,
  maxSnapshotLimit: 20_000,
  slowClientBytes: 256 * 1024,
  resumeBytes: 64 * 1024,
  resyncCheckMs: 1_000,
  maxClients: 1_000,
  heartbeatMs: 30_000,
  histogramIntervalMs: 5_000,
  messageBurst: 20,
  messagesPerSecond: 5,
  maxRefusedInARow: 50,
};

/** Counters the hub keeps for /metrics. */
export interface HubCounters {
  connections: number;
  messagesSent: number;
  bytesSent: number;
  snapshotsSent: number;
  updatesDropped: number;
  resyncs: number;
  errorFramesSent: number;
  clientMessages: number;
  clientMessagesRefused: number;
  closedForPolicy: number;
  heartbeatTimeouts: number;
  /** Connections refused because `maxClients` were connected. */
  refusedFull: number;
}

interface Client {
  socket: HubSocket;
  seq: number;
  limit: number;
  alive: boolean;
  /** The payload of the last ping, which its pong must echo (RFC 6455 §5.5.3); null before the first. */
  pingPayload: Buffer | null;
  behind: boolean;
  missed: number;
  /** The feed update count when this client last got a snapshot. */
  syncedVersion: number;
  /** Pending points already in this client's last snapshot. */
  pendingOffset: number;
  bucket: TokenBucket;
  refusedInARow: number;
  lastRefusalNoticeMs: number;
}

interface Pending {
  state: LiveState | null;
  points: EvidencePoint[];
  /** More points arrived between two flushes than a snapshot may hold: everyone gets a snapshot instead. */
  overflow: boolean;
  /** The feed update count of the newest update merged in. */
  version: number;
}

export interface HubOptions {
  feed: LiveFeed;
  limits?: Partial<HubLimits>;
  /** Milliseconds since the epoch; injectable so tests control time stamps. */
  now?: () => number;
  /** Put in every snapshot as `served_by` (which instance answers: an estimator or an edge). */
  servedBy?: string;
}

export class MempoolHub {
  readonly limits: HubLimits;
  readonly counters: HubCounters = {
    connections: 0,
    messagesSent: 0,
    bytesSent: 0,
    snapshotsSent: 0,
    updatesDropped: 0,
    resyncs: 0,
    errorFramesSent: 0,
    clientMessages: 0,
    clientMessagesRefused: 0,
    closedForPolicy: 0,
    heartbeatTimeouts: 0,
    refusedFull: 0,
  };
  /** Told how long each fan-out (one update handed to every client's socket) took, in seconds. */
  private readonly fanoutListeners = new Set<(seconds: number) => void>();
  private readonly feed: LiveFeed;
  private readonly now: () => number;
  private readonly clients = new Set<Client>();
  /** The source's `…_unavailable` notices still in force, by subject (`node`, `bus`, …). */
  private readonly notices = new Map<string, Extract<FeedEvent, { type: 'notice' }>>();
  private pending: Pending = { state: null, points: [], overflow: false, version: 0 };
  private feedVersion = 0;
  /** When the last flush was due (not when its timer fired): the pace follows the feed without drifting. */
  private lastFlushDueMs = Number.NEGATIVE_INFINITY;
  private flushPending = false;
  private flushTimer: NodeJS.Timeout | null = null;
  private lastHistogramMs = Number.NEGATIVE_INFINITY;
  private lastHistogramJson = '';
  private readonly snapshotCache = new Map<number, SharedBody>();
  private unsubscribe: (() => void) | null = null;
  private unsubscribeEvents: (() => void) | null = null;
  private readonly servedBy: string | undefined;
  private timers: NodeJS.Timeout[] = [];
  private closing = false;

  constructor(options: HubOptions) {
    this.feed = options.feed;
    this.limits = { ...DEFAULT_HUB_LIMITS, ...options.limits };
    this.now = options.now ?? Date.now;
    this.servedBy = options.servedBy;
  }

  get clientCount(): number {
    return this.clients.size;
  }

  get clientsBehind(): number {
    let n = 0;
    for (const client of this.clients) if (client.behind) n++;
    return n;
  }

  /** Calls `listener` with the seconds each fan-out took (for /metrics); returns its unsubscribe. */
  onFanout(listener: (seconds: number) => void): () => void {
    this.fanoutListeners.add(listener);
    return () => this.fanoutListeners.delete(listener);
  }

  start(): void {
    if (this.unsubscribe) return;
    this.unsubscribe = this.feed.onUpdate((update) => this.onFeedUpdate(update));
    this.unsubscribeEvents = this.feed.onEvent?.((event) => this.onFeedEvent(event)) ?? null;
    this.timers.push(setInterval(() => this.heartbeat(), this.limits.heartbeatMs).unref());
    this.timers.push(setInterval(() => this.resyncDrained(), this.limits.resyncCheckMs).unref());
  }

  /** The snapshot size a client gets for a requested `limit` (undefined: the default), within the cap. */
  snapshotSize(requested: number | undefined): number {
    return Math.min(requested ?? this.limits.snapshotLimit, this.limits.maxSnapshotLimit);
  }

  /** Takes over a freshly upgraded socket: sends its snapshot and serves its requests until it closes. */
  add(socket: HubSocket, options: { limit?: number } = {}): void {
    if (this.closing) {
      socket.close(CLOSE_GOING_AWAY, 'server shutting down');
      return;
    }
    if (this.clients.size >= this.limits.maxClients) {
      this.counters.refusedFull += 1;
      socket.close(
        CLOSE_TRY_AGAIN_LATER,
        `${this.limits.maxClients} clients connected already; try again later`,
      );
      return;
    }
    const client: Client = {
      socket,
      seq: 0,
      limit: this.snapshotSize(options.limit),
      alive: true,
      pingPayload: null,
      behind: false,
      missed: 0,
      syncedVersion: 0,
      pendingOffset: 0,
      bucket: new TokenBucket(this.limits.messageBurst, this.limits.messagesPerSecond, this.now()),
      refusedInARow: 0,
      lastRefusalNoticeMs: Number.NEGATIVE_INFINITY,
    };
    this.clients.add(client);
    this.counters.connections += 1;
    socket.on('close', () => this.clients.delete(client));
    socket.on('pong', (data) => {
      // A pong that does not echo the last ping (unsolicited, or sent without reading) proves nothing.
      if (client.pingPayload !== null && !client.pingPayload.equals(data)) return;
      client.alive = true;
    });
    socket.on('message', (data, isBinary) => this.onClientMessage(client, data, isBinary));
    this.sendSnapshot(client);
  }

  /** Closes every client with 1001 (going away) and waits up to `graceMs` for them before cutting them off. */
  async closeAll(graceMs: number): Promise<void> {
    this.closing = true;
    this.unsubscribe?.();
    this.unsubscribe = null;
    this.unsubscribeEvents?.();
    this.unsubscribeEvents = null;
    for (const timer of this.timers) clearInterval(timer);
    this.timers = [];
    if (this.flushTimer) clearTimeout(this.flushTimer);
    this.flushTimer = null;
    for (const client of this.clients) client.socket.close(CLOSE_GOING_AWAY, 'server shutting down');
    const deadline = Date.now() + graceMs;
    while (this.clients.size > 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
    for (const client of this.clients) client.socket.terminate();
    this.clients.clear();
  }

  private onFeedUpdate(update: LiveUpdate): void {
    this.feedVersion += 1;
    this.snapshotCache.clear();
    const pending = this.pending;
    pending.state = update.state;
    pending.version = this.feedVersion;
    if (!pending.overflow) {
      for (const point of update.newEvidence) pending.points.push(point);
      if (pending.points.length > this.limits.maxSnapshotLimit) {
        pending.overflow = true;
        pending.points = [];
      }
    }
    this.scheduleFlush();
  }

  /** A reset sends every client a fresh snapshot at the next flush; a notice goes to every client now. */
  private onFeedEvent(event: FeedEvent): void {
    if (this.closing) return;
    if (event.type === 'notice') {
      // A `…_unavailable` notice holds until its `…_available`: clients that come (or get a fresh
      // snapshot) meanwhile are told it after their snapshot.
      const subject = event.code.replace(/_(un)?available$/, '');
      if (event.code.endsWith('_unavailable')) this.notices.set(subject, event);
      else if (event.code.endsWith('_available')) this.notices.delete(subject);
      for (const client of this.clients) {
        this.sendControl(client, { type: 'error', code: event.code, message: event.message });
      }
      return;
    }
    this.feedVersion += 1;
    this.snapshotCache.clear();
    this.pending = { state: this.feed.current(), points: [], overflow: true, version: this.feedVersion };
    // At once, and outside the pace of updates: a reset at any moment must not shift when the
    // following updates go out (the pace counts from when each flush was due).
    if (!this.flushPending) {
      this.flushPending = true;
      setImmediate(() => this.flush());
    }
  }

  private scheduleFlush(): void {
    if (!this.flushPending) {
      // Due at once, unless the previous message went out less than the interval ago. Counting from
      // when the previous flush was due, not from when its timer fired, keeps timer lateness from
      // adding up when the feed itself updates every interval.
      const now = this.now();
      const due = Math.max(now, this.lastFlushDueMs + this.limits.minUpdateIntervalMs);
      this.lastFlushDueMs = due;
      this.flushPending = true;
      if (due <= now) setImmediate(() => this.flush());
      else this.flushTimer = setTimeout(() => this.flush(), due - now);
    }
  }

  private flush(): void {
    this.flushTimer = null;
    if (!this.flushPending || this.closing) return;
    this.flushPending = false;
    const started = performance.now();
    const pending = this.pending;
    this.pending = { state: pending.state, points: [], overflow: false, version: pending.version };
    const histogram = this.histogramIfDue();
    let shared: SharedBody | null = null;
    for (const client of this.clients) {
      if (client.socket.readyState !== OPEN) continue;
      if (client.syncedVersion >= pending.version) continue; // its snapshot already holds this update
      if (client.behind) {
        if (client.socket.bufferedAmount <= this.limits.resumeBytes) this.resync(client);
        else this.drop(client);
        continue;
      }
      if (client.socket.bufferedAmount > this.limits.slowClientBytes) {
        client.behind = true;
        this.drop(client);
        continue;
      }
      if (pending.overflow) {
        this.sendSnapshot(client);
        continue;
      }
      if (client.pendingOffset > 0) {
        const own = this.updateJson(pending.state, pending.points.slice(client.pendingOffset), histogram);
        client.pendingOffset = 0;
        this.sendPrice(client, 'update', own);
        continue;
      }
      shared ??= this.updateJson(pending.state, pending.points, histogram);
      this.sendPrice(client, 'update', shared);
    }
    for (const client of this.clients) client.pendingOffset = 0;
    const seconds = (performance.now() - started) / 1000;
    for (const listener of this.fanoutListeners) listener(seconds);
  }

  private updateJson(
    state: LiveState | null,
    points: readonly EvidencePoint[],
    histogram: PriceBody['histogram'],
  ): SharedBody {
    return sharedBody(
      priceBody({
        state,
        source: this.feed.source,
        points,
        histogram,
        nowSeconds: this.now() / 1000,
      }),
    );
  }

  private histogramIfDue(): PriceBody['histogram'] {
    const now = this.now();
    if (now - this.lastHistogramMs < this.limits.histogramIntervalMs) return undefined;
    const histogram = this.feed.histogram();
    if (histogram === null) return undefined;
    const json = JSON.stringify(histogram);
    if (json === this.lastHistogramJson) return undefined;
    this.lastHistogramMs = now;
    this.lastHistogramJson = json;
    return histogram;
  }

  private drop(client: Client): void {
    client.missed += 1;
    this.counters.updatesDropped += 1;
  }

  private resync(client: Client): void {
    this.counters.resyncs += 1;
    this.sendSnapshot(client);
  }

  private resyncDrained(): void {
    for (const client of this.clients) {
      if (client.behind && client.socket.bufferedAmount <= this.limits.resumeBytes) this.resync(client);
    }
  }

  private sendSnapshot(client: Client): void {
    if (client.socket.readyState !== OPEN) return;
    const missed = client.missed;
    let snapshot = missed === 0 ? this.snapshotCache.get(client.limit) : undefined;
    if (snapshot === undefined) {
      const body = priceBody({
        state: this.feed.current(),
        source: this.feed.source,
        points: client.limit > 0 ? this.feed.evidence(client.limit) : [],
        histogram: this.feed.histogram(),
        missedUpdates: missed,
        nowSeconds: this.now() / 1000,
      });
      if (this.servedBy !== undefined) body.served_by = this.servedBy;
      snapshot = sharedBody(body);
      if (missed === 0) this.snapshotCache.set(client.limit, snapshot);
    }
    client.behind = false;
    client.missed = 0;
    client.syncedVersion = this.feedVersion;
    client.pendingOffset = this.pending.points.length;
    this.counters.snapshotsSent += 1;
    this.sendPrice(client, 'snapshot', snapshot);
    for (const notice of this.notices.values())
      this.sendControl(client, { type: 'error', code: notice.code, message: notice.message });
  }

  /**
   * This client's head (type, seq) and the shared body, as one text message. A large body goes as
   * a second fragment, the same Buffer written to each socket without a copy: a client that does
   * not read holds a reference to it, not a copy of its own (a snapshot is up to ~400 KiB, and 120
   * never-reading clients took 209 MiB more with copies, 15 MiB without).
   */
  private sendPrice(client: Client, type: 'snapshot' | 'update', body: SharedBody): void {
    const head = frameHead(type, ++client.seq);
    if (body.tail === null) {
      client.socket.send(head + body.json.slice(1));
    } else {
      client.socket.send(head, { fin: false });
      client.socket.send(body.tail, { fin: true, binary: false });
    }
    this.counters.messagesSent += 1;
    this.counters.bytesSent += head.length - 1 + body.bytes;
  }

  private sendControl(client: Client, message: ErrorMessage | PongMessage): void {
    if (client.socket.readyState !== OPEN) return;
    const text = JSON.stringify(message);
    client.socket.send(text);
    if (message.type === 'error') this.counters.errorFramesSent += 1;
    this.counters.messagesSent += 1;
    this.counters.bytesSent += Buffer.byteLength(text);
  }

  private closeForPolicy(client: Client, code: number, reason: string): void {
    this.counters.closedForPolicy += 1;
    client.socket.close(code, reason);
  }

  private onClientMessage(client: Client, data: unknown, isBinary: boolean): void {
    this.counters.clientMessages += 1;
    const now = this.now();
    if (!client.bucket.take(now)) {
      this.counters.clientMessagesRefused += 1;
      client.refusedInARow += 1;
      if (client.refusedInARow > this.limits.maxRefusedInARow) {
        this.closeForPolicy(client, CLOSE_POLICY, 'too many messages');
      } else if (now - client.lastRefusalNoticeMs >= 1000) {
        client.lastRefusalNoticeMs = now;
        this.sendControl(client, {
          type: 'error',
          code: 'rate_limited',
          message: `too many messages: at most ${this.limits.messagesPerSecond} per second; this one was ignored`,
        });
      }
      return;
    }
    client.refusedInARow = 0;
    if (isBinary) {
      this.closeForPolicy(client, CLOSE_POLICY, 'binary messages are not accepted');
      return;
    }
    const result = readClientMessage(textOf(data));
    if (result.kind === 'malformed') {
      this.closeForPolicy(client, CLOSE_POLICY, result.reason);
      return;
    }
    if (result.kind === 'error') {
      this.sendControl(client, { type: 'error', code: result.code, message: result.message });
      return;
    }
    const message = result.message;
    if (message.type === 'ping') {
      this.sendControl(client, { type: 'pong', timestamp: now / 1000 });
      return;
    }
    client.limit = this.snapshotSize(message.limit ?? client.limit);
    if (client.socket.bufferedAmount > this.limits.slowClientBytes)
      client.behind = true; // answered on drain
    else this.sendSnapshot(client);
  }

  private heartbeat(): void {
    for (const client of this.clients) {
      if (!client.alive) {
        this.counters.heartbeatTimeouts += 1;
        client.socket.terminate();
        this.clients.delete(client);
        continue;
      }
      client.alive = false;
      client.pingPayload = randomBytes(PING_PAYLOAD_BYTES);
      if (client.socket.readyState === OPEN) client.socket.ping(client.pingPayload);
    }
  }
}

function textOf(data: unknown): string {
  if (typeof data === 'string') return data;
  if (Buffer.isBuffer(data)) return data.toString('utf8');
  if (Array.isArray(data)) return Buffer.concat(data as Buffer[]).toString('utf8');
  if (data instanceof ArrayBuffer) return Buffer.from(data).toString('utf8');
  return String(data);
}
