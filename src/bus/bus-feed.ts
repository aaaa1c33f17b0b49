// The edge's side of the bus (`chainprice edge`): a LiveFeed made from NATS, so the unchanged server
// (app.ts, the hub, the API) serves it. It follows the lease holder only: it reads the state from
// it (request/reply, as of update `seq`), then applies its updates in order, each checked against
// the window's length and checksum. Anything unexpected — a gap in `seq`, a checksum that does not
// match, another epoch, three silent seconds, a lost or regained connection to NATS — starts a
// resynchronisation from a fresh state, after which every client gets a fresh snapshot (a `reset`
// event), never a mix of two publishers. While the bus is lost it says so on the stream (a
// `notice`) and in health (not connected).
// Also here: the history and block-price readers, answered through NATS by an estimator.

import type { KV } from '@nats-io/kv';
import type { Msg, NatsConnection, Subscription } from '@nats-io/transport-node';
import { ApiError } from '../errors.ts';
import type {
  EvidencePoint,
  FeedEvent,
  FeedHealth,
  LiveFeed,
  LiveHistogram,
  LiveState,
  LiveUpdate,
  SourceKind,
} from '../live/feed.ts';
import type {
  BlockPrice,
  BlockPriceReader,
  HistoryEstimate,
  HistoryQuery,
  HistoryReader,
} from '../live/readers.ts';
import { NODE_AVAILABLE, NODE_UNAVAILABLE } from '../live/source-notices.ts';
import {
  applyWindowDiff,
  BUS_VERSION,
  type BusAnswer,
  type BusMessage,
  type BusState,
  fromWire,
  type NetworkName,
  STATE_TIMEOUT_MS,
  sourceOf,
  subjects,
  type WirePoint,
} from './bus-protocol.ts';
import { leaseHolder } from './lease.ts';
import { busError } from './nats-connect.ts';

/** No update or beat from the publisher for this long: it is gone (beats come every second). */
export const SILENT_MS = 3_000;
const RETRY_MS = 300;
/** Messages kept while a state request is under way (two updates a second: minutes of headroom). */
const MAX_BUFFERED = 1_000;

export interface BusFeedOptions {
  nc: NatsConnection;
  kv: KV;
  network: NetworkName;
  /** The NATS servers as they may be shown (no credentials). */
  shown: string;
  log: (line: string) => void;
}

export class BusFeed implements LiveFeed {
  readonly source: SourceKind;
  readonly counters = {
    bus_messages: 0,
    bus_resyncs: 0,
    bus_gaps: 0,
    bus_checksum_mismatches: 0,
    bus_foreign_messages: 0,
    nats_disconnects: 0,
  };
  private readonly options: BusFeedOptions;
  private readonly subjects: ReturnType<typeof subjects>;
  private readonly listeners = new Set<(update: LiveUpdate) => void>();
  private readonly eventListeners = new Set<(event: FeedEvent) => void>();
  private epoch: string | null = null;
  private seq = 0;
  private window: WirePoint[] = [];
  private state: LiveState | null = null;
  private histogramValue: LiveHistogram | null = null;
  private publisherHealth: FeedHealth | null = null;
  /** Subjects said to be unavailable (bus, estimator), with what to say when they are back. */
  private readonly announced = new Map<string, string>();
  /** Date.now() when the publisher's last message (of our epoch) arrived. */
  private heardAt = 0;
  private natsConnected = true;
  private silent = false;
  private resyncing = false;
  private resyncAgain = false;
  private buffered: BusMessage[] = [];
  /** While a state request waits on a holder: that holder, and what wakes the wait when another epoch speaks. */
  private asked: { holder: string; wake: () => void } | null = null;
  /** Settles when the connection drops: a read in flight over it then would wait out its timeout for nothing. */
  private dropped = signal();
  private detail: string | null = 'waiting for the estimator’s state over NATS';
  private sub: Subscription | null = null;
  private timer: NodeJS.Timeout | null = null;
  private stopped = false;

  constructor(options: BusFeedOptions) {
    this.options = options;
    this.subjects = subjects(options.network);
    this.source = sourceOf(options.network);
  }

  // ---- LiveFeed ---------------------------------------------------------------------------------

  current(): LiveState | null {
    return this.state;
  }

  evidence(limit: number): EvidencePoint[] {
    const n = Math.max(0, Math.floor(limit));
    const from = n >= this.window.length ? 0 : this.window.length - n;
    const out: EvidencePoint[] = new Array(this.window.length - from);
    for (let i = from; i < this.window.length; i++) out[i - from] = fromWire(this.window[i]);
    return out;
  }

  histogram(): LiveHistogram | null {
    return this.histogramValue;
  }

  /** Whether the edge is live: connected to NATS, following a publisher that spoke in the last 3 s. */
  get live(): boolean {
    return this.natsConnected && this.epoch !== null && !this.silent && !this.resyncing;
  }

  health(): FeedHealth {
    const pub = this.publisherHealth;
    const since = this.heardAt === 0 ? 0 : (Date.now() - this.heardAt) / 1000;
    const plus = (age: number | null | undefined) => (age == null ? null : age + since);
    return {
      source: this.source,
      connected: this.live && (pub?.connected ?? false),
      lastMessageAgeSeconds: plus(pub?.lastMessageAgeSeconds),
      windowSize: pub?.windowSize ?? 0,
      lastEstimateAgeSeconds: this.state === null ? null : plus(pub?.lastEstimateAgeSeconds),
      detail: this.live ? (pub?.detail ?? null) : this.detail,
      counters: { ...pub?.counters, ...this.counters },
      // The estimator's seed, as it last reported it (the edge seeds nothing itself).
      seed: pub?.seed ?? { price: null, source: null, since: null, detail: null, lastColdCheck: null },
    };
  }

  onUpdate(listener: (update: LiveUpdate) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  onEvent(listener: (event: FeedEvent) => void): () => void {
    this.eventListeners.add(listener);
    return () => this.eventListeners.delete(listener);
  }

  async start(): Promise<void> {
    const { nc } = this.options;
    this.sub = nc.subscribe(this.subjects.update, { callback: (_error, msg) => this.onMessage(msg) });
    void this.watchStatus();
    this.timer = setInterval(() => this.checkSilence(), 500);
    this.timer.unref();
    void this.resync('start');
  }

  async stop(): Promise<void> {
    this.stopped = true;
    if (this.timer !== null) clearInterval(this.timer);
    this.timer = null;
    this.sub?.unsubscribe();
    this.sub = null;
  }

  // ---- the bus ----------------------------------------------------------------------------------

  private async watchStatus(): Promise<void> {
    const { nc, shown, log } = this.options;
    for await (const status of nc.status()) {
      if (this.stopped) return;
      if (status.type === 'disconnect') {
        if (!this.natsConnected) continue;
        this.natsConnected = false;
        this.dropped.fire();
        this.dropped = signal();
        this.counters.nats_disconnects += 1;
        this.detail = `edge: lost the connection to NATS at ${shown}; reconnecting`;
        log(`NATS: lost the connection to ${shown}; reconnecting (clients stay connected)`);
        this.notice(
          'bus_unavailable',
          'this edge lost its connection to the price bus; the price shown is not live until it returns',
        );
      } else if (status.type === 'reconnect') {
        this.natsConnected = true;
        log(`NATS: reconnected to ${shown}; reading a fresh state`);
        void this.resync('reconnected');
      }
    }
  }

  private checkSilence(): void {
    if (this.stopped || this.epoch === null || this.silent || this.resyncing) return;
    if (Date.now() - this.heardAt <= SILENT_MS) return;
    this.silent = true;
    this.detail = `edge: no message from the estimator for ${Math.round((Date.now() - this.heardAt) / 1000)} s; waiting for one (or a stand-by) to publish`;
    this.options.log('NATS: the publishing estimator went silent; waiting for it or a stand-by');
    this.notice(
      'estimator_unavailable',
      'the estimator behind this edge went silent; the price shown is not live until one publishes again',
    );
    void this.resync('silent');
  }

  private onMessage(msg: Msg): void {
    let message: BusMessage;
    try {
      message = msg.json<BusMessage>();
    } catch {
      return;
    }
    if (message.v !== BUS_VERSION) return;
    this.counters.bus_messages += 1;
    if (this.resyncing) {
      this.buffered.push(message);
      if (this.buffered.length > MAX_BUFFERED) this.buffered.shift();
      if (this.asked !== null && message.epoch !== this.asked.holder) this.asked.wake();
      return;
    }
    if (message.epoch !== this.epoch) {
      // Another publisher: follow it if the lease says so (checked in resync), never mix the two.
      this.counters.bus_foreign_messages += 1;
      void this.resync('another publisher');
      return;
    }
    if (!this.apply(message)) void this.resync('gap');
  }

  /** Applies a message of the followed epoch; false when it does not follow on (a gap or a mismatch). */
  private apply(message: BusMessage): boolean {
    if (message.kind === 'beat') {
      if (message.seq !== this.seq) {
        this.counters.bus_gaps += 1;
        return false;
      }
      this.heard(message.health);
      return true;
    }
    if (message.seq <= this.seq) return true; // already in the state we read
    if (message.seq !== this.seq + 1) {
      this.counters.bus_gaps += 1;
      return false;
    }
    const window = applyWindowDiff(this.window, message.window);
    if (window === null) {
      this.counters.bus_checksum_mismatches += 1;
      return false;
    }
    this.window = window;
    this.seq = message.seq;
    this.state = message.state;
    if (message.histogram !== undefined) this.histogramValue = message.histogram;
    this.heard(message.health);
    const update: LiveUpdate = { state: message.state, newEvidence: message.fresh.map(fromWire) };
    for (const listener of this.listeners) listener(update);
    return true;
  }

  private heard(health: FeedHealth): void {
    // The estimator's node stopped or started answering: this edge's clients are told as the
    // estimator's own are (its health comes with every message, a beat each second at least).
    const was = this.publisherHealth?.node?.rpcAnswering;
    const now = health.node?.rpcAnswering;
    if (was !== false && now === false) this.emit(NODE_UNAVAILABLE);
    if (was === false && now === true) this.emit(NODE_AVAILABLE);
    this.publisherHealth = health;
    this.heardAt = Date.now();
    if (this.silent) {
      this.silent = false;
      this.options.log('NATS: the estimator speaks again');
    }
  }

  /** Reads the lease holder's state and follows it from there; retries until it succeeds or the feed stops. */
  private async resync(reason: string): Promise<void> {
    if (this.resyncing) {
      this.resyncAgain = true;
      return;
    }
    if (reason === 'another publisher' && this.epoch !== null && !this.silent) {
      // A stale publisher (paused, then back) says something: only a change of lease matters.
      try {
        if ((await leaseHolder(this.options.kv, this.subjects.leaseKey)) === this.epoch) return;
      } catch {
        return;
      }
      if (this.resyncing) return;
    }
    this.resyncing = true;
    this.counters.bus_resyncs += 1;
    try {
      for (;;) {
        if (this.stopped) return;
        this.resyncAgain = false;
        this.buffered = [];
        const state = await this.readState();
        if (state === 'lease moved') continue;
        if (state === null) {
          await delay(RETRY_MS);
          continue;
        }
        this.install(state);
        const pending = this.buffered;
        this.buffered = [];
        let ok = true;
        for (const message of pending) {
          if (message.epoch !== this.epoch) continue;
          if (!this.apply(message)) {
            ok = false;
            break;
          }
        }
        if (ok) break;
      }
    } finally {
      this.resyncing = false;
    }
    // Following again: what was said to be gone is back (before the fresh state goes out).
    for (const [subject, message] of this.announced) this.notice(`${subject}_available`, message);
    this.announced.clear();
    this.emit({ type: 'reset' });
    if (this.resyncAgain) void this.resync('again');
  }

  /**
   * The holder's state; null (said once in `detail`) when there is no holder or it does not answer;
   * 'lease moved' when another publisher took the lease while we waited for the holder's answer.
   */
  private async readState(): Promise<BusState | null | 'lease moved'> {
    if (!this.natsConnected) return null;
    // A request sent just before the connection dropped (an edge frozen, then dropped by the server
    // as a slow consumer) is never answered, and the reconnection does not resend it: give it up at
    // once and ask again over the new connection.
    let abandoned = false;
    const read = this.readStateOnce(() => abandoned);
    const lost = this.dropped.fired.then(() => 'lost' as const);
    const result = await Promise.race([read, lost]);
    if (result !== 'lost') return result;
    abandoned = true;
    this.detail = 'edge: lost the connection to NATS while reading the estimator’s state; retrying';
    return null;
  }

  private async readStateOnce(abandoned: () => boolean): Promise<BusState | null | 'lease moved'> {
    const { nc, kv } = this.options;
    try {
      const holder = await leaseHolder(kv, this.subjects.leaseKey);
      if (holder === null) {
        this.detail = 'edge: no estimator publishes on this network yet (no lease holder)';
        return null;
      }
      const reply = await this.unlessLeaseMoves(
        nc.request(this.subjects.state, '', { timeout: STATE_TIMEOUT_MS }),
        holder,
      );
      if (reply === null) return 'lease moved';
      const state = reply.json<BusState>();
      if (state.v !== BUS_VERSION) {
        this.detail = `edge: the estimator speaks bus version ${state.v}, this edge ${BUS_VERSION}; upgrade one of them`;
        return null;
      }
      if (state.epoch !== holder) return null; // a former holder answered: ask again
      return state;
    } catch (error) {
      if (!abandoned())
        this.detail = `edge: cannot read the estimator’s state over NATS (${busError(error)}); retrying`;
      return null;
    }
  }

  /**
   * The reply to a state request to `holder`, or null as soon as the lease names another holder. A
   * holder that is paused (GC, SIGSTOP, a frozen VM) keeps its subscription and never answers, and
   * the stand-by that takes over announces itself at once: waiting out the request's timeout would
   * keep every client on the old price for up to STATE_TIMEOUT_MS longer. Each message of another
   * epoch wakes the wait to read the lease again; the holder's own answer ends it.
   */
  private async unlessLeaseMoves(request: Promise<Msg>, holder: string): Promise<Msg | null> {
    request.catch(() => {}); // abandoned when the lease moves: its timeout must not go unhandled
    let asked: typeof this.asked = null;
    try {
      for (;;) {
        const woken = new Promise<null>((resolve) => {
          asked = { holder, wake: () => resolve(null) };
          this.asked = asked;
        });
        const reply = await Promise.race([request, woken]);
        if (reply !== null) return reply;
        if ((await leaseHolder(this.options.kv, this.subjects.leaseKey)) !== holder) return null;
      }
    } finally {
      // A wait given up when the connection dropped must not clear a newer one's.
      if (this.asked === asked) this.asked = null;
    }
  }

  private install(state: BusState): void {
    const changed = this.epoch !== null && this.epoch !== state.epoch;
    this.epoch = state.epoch;
    this.seq = state.seq;
    this.window = state.points;
    this.state = state.state;
    this.histogramValue = state.histogram;
    this.silent = false;
    this.heard(state.health);
    this.detail = null;
    if (changed) this.options.log(`NATS: now following ${state.epoch} (a new publisher)`);
  }

  /** A `…_unavailable` notice is remembered, to be followed by its `…_available` once following again. */
  private notice(code: string, message: string): void {
    if (code === 'bus_unavailable')
      this.announced.set('bus', 'this edge is back on the price bus; the price is live');
    if (code === 'estimator_unavailable')
      this.announced.set('estimator', 'an estimator publishes again; the price is live');
    this.emit({ type: 'notice', code, message });
  }

  private emit(event: FeedEvent): void {
    for (const listener of this.eventListeners) listener(event);
  }
}

/** A promise settled once, by `fire`. */
function signal(): { fired: Promise<void>; fire: () => void } {
  let fire = () => {};
  const fired = new Promise<void>((resolve) => {
    fire = resolve;
  });
  return { fired, fire };
}

function delay(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/** How long an API call waits for an estimator's answer before saying none answered. */
const ANSWER_TIMEOUT_MS = 5_000;

async function ask<T>(nc: NatsConnection, subject: string, body: unknown, what: string): Promise<T> {
  let reply: Msg;
  try {
    reply = await nc.request(subject, JSON.stringify(body), { timeout: ANSWER_TIMEOUT_MS });
  } catch (error) {
    throw new ApiError(503, `${what}_unavailable`, `no estimator answered through NATS (${busError(error)})`);
  }
  const answer = reply.json<BusAnswer<T>>();
  if (!answer.ok) throw new ApiError(answer.statusCode, answer.error, answer.message);
  return answer.result;
}

export class BusHistory implements HistoryReader {
  private readonly nc: NatsConnection;
  private readonly subject: string;
  constructor(nc: NatsConnection, network: NetworkName) {
    this.nc = nc;
    this.subject = subjects(network).history;
  }
  estimates(query: HistoryQuery): Promise<HistoryEstimate[]> {
    return ask<HistoryEstimate[]>(this.nc, this.subject, query, 'history');
  }
}

export class BusBlocks implements BlockPriceReader {
  private readonly nc: NatsConnection;
  private readonly subject: string;
  constructor(nc: NatsConnection, network: NetworkName) {
    this.nc = nc;
    this.subject = subjects(network).block;
  }
  priceOf(heightOrHash: string): Promise<BlockPrice | null> {
    return ask<BlockPrice | null>(this.nc, this.subject, { id: heightOrHash }, 'block_prices');
  }
}
