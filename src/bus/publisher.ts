// The estimator's side of the bus (`chainprice serve --nats`): while it holds the lease it publishes
// every feed update once (one JSON serialisation, fanned out by NATS to every edge), a beat each
// second between updates, and answers state requests; whether or not it holds the lease it answers
// history and block requests (queue group: one estimator answers each). See bus-protocol.ts.
// A stand-by is subscribed to state requests too, silent: an edge may read the lease the moment it
// names a new holder and ask before that holder knows; the holder answers such requests on taking
// the lease (a subscription made only then would come too late, and the request would wait out its
// timeout on the old holder if that one is paused but still connected).
//
// Why request/reply for the state and not a key-value entry: the state is up to 20,000 points
// (~0.6 MB) and changes twice a second, but is read only when an edge starts or resynchronises;
// writing it to JetStream on every update would cost disk and replication for nothing, and a
// reply is always as of a known `seq`, so an edge joins the update stream without a gap or overlap.

import type { KV } from '@nats-io/kv';
import type { Msg, NatsConnection, Subscription } from '@nats-io/transport-node';
import { parseBlockId } from '../live/block-id.ts';
import type { LiveFeed, LiveHistogram, LiveUpdate } from '../live/feed.ts';
import type { BlockPriceReader, HistoryReader } from '../live/readers.ts';
import {
  BUS_VERSION,
  type BusAnswer,
  type BusBeat,
  type BusState,
  type BusUpdate,
  diffWindow,
  ESTIMATOR_QUEUE,
  type NetworkName,
  STATE_TIMEOUT_MS,
  subjects,
  WINDOW_LIMIT,
  type WirePoint,
  wirePoint,
} from './bus-protocol.ts';
import { Lease } from './lease.ts';
import { busError } from './nats-connect.ts';

/** A beat each second between updates: an edge calls an estimator silent for 3 s gone. */
export const BEAT_MS = 1_000;
/** State requests kept while not publishing, to answer on taking the lease: a few edges resyncing at once. */
const MAX_UNANSWERED = 16;

export interface PublisherOptions {
  nc: NatsConnection;
  kv: KV;
  network: NetworkName;
  feed: LiveFeed;
  history?: HistoryReader;
  blocks?: BlockPriceReader;
  /** Unique per process: the lease's epochs start with it. */
  instance: string;
  log: (line: string) => void;
  leaseRenewMs?: number;
  leaseExpireMs?: number;
}

export class BusPublisher {
  readonly lease: Lease;
  readonly counters = {
    bus_updates_published: 0,
    bus_beats_published: 0,
    bus_state_replies: 0,
    bus_bytes_published: 0,
  };
  private readonly options: PublisherOptions;
  private readonly subjects: ReturnType<typeof subjects>;
  private epoch: string | null = null;
  private seq = 0;
  private window: WirePoint[] = [];
  private lastHistogramJson = '';
  private lastHistogram: LiveHistogram | null = null;
  private lastSentAt = 0;
  /** State requests that came while this estimator did not publish, newest last. */
  private unanswered: { msg: Msg; at: number }[] = [];
  private readonly subs: Subscription[] = [];
  private readonly cleanups: (() => void)[] = [];
  private beatTimer: NodeJS.Timeout | null = null;

  constructor(options: PublisherOptions) {
    this.options = options;
    this.subjects = subjects(options.network);
    this.lease = new Lease({
      kv: options.kv,
      key: this.subjects.leaseKey,
      instance: options.instance,
      renewMs: options.leaseRenewMs,
      expireMs: options.leaseExpireMs,
      log: options.log,
    });
  }

  /** Whether this estimator publishes now. */
  get publishing(): boolean {
    return this.epoch !== null && this.lease.epoch === this.epoch;
  }

  start(): void {
    const { nc } = this.options;
    this.subs.push(
      nc.subscribe(this.subjects.history, {
        queue: ESTIMATOR_QUEUE,
        callback: (_e, m) => void this.answerHistory(m),
      }),
      nc.subscribe(this.subjects.block, {
        queue: ESTIMATOR_QUEUE,
        callback: (_e, m) => void this.answerBlock(m),
      }),
      nc.subscribe(this.subjects.state, { callback: (_e, m) => this.answerState(m) }),
    );
    this.cleanups.push(this.options.feed.onUpdate((update) => this.onUpdate(update)));
    this.cleanups.push(this.lease.onChange((epoch) => this.onLease(epoch)));
    this.beatTimer = setInterval(() => this.beat(), BEAT_MS / 2);
    this.beatTimer.unref();
    this.lease.start();
  }

  async stop(): Promise<void> {
    if (this.beatTimer !== null) clearInterval(this.beatTimer);
    this.beatTimer = null;
    for (const cleanup of this.cleanups) cleanup();
    this.cleanups.length = 0;
    this.unanswered = [];
    for (const sub of this.subs) sub.unsubscribe();
    this.subs.length = 0;
    this.epoch = null;
    await this.lease.stop();
  }

  private onLease(epoch: string | null): void {
    this.epoch = epoch;
    this.seq = 0;
    const now = Date.now();
    const waiting = this.unanswered.filter((u) => now - u.at < STATE_TIMEOUT_MS);
    this.unanswered = [];
    if (epoch === null) return;
    const { feed } = this.options;
    this.window = feed.evidence(WINDOW_LIMIT).map(wirePoint);
    this.lastHistogram = feed.histogram();
    this.lastHistogramJson = JSON.stringify(this.lastHistogram);
    // The beat first: an edge still waiting on the former holder hears the new epoch and asks again.
    this.beat(true);
    for (const { msg } of waiting) this.answerState(msg);
  }

  private onUpdate(update: LiveUpdate): void {
    if (!this.publishing) return;
    const { feed } = this.options;
    const after = feed.evidence(WINDOW_LIMIT).map(wirePoint);
    const window = diffWindow(this.window, after);
    this.window = after;
    const message: BusUpdate = {
      kind: 'update',
      v: BUS_VERSION,
      epoch: this.epoch as string,
      seq: ++this.seq,
      sent: Date.now() / 1000,
      state: update.state,
      fresh: update.newEvidence.map(wirePoint),
      window,
      health: feed.health(),
    };
    const histogram = feed.histogram();
    const histogramJson = JSON.stringify(histogram);
    if (histogramJson !== this.lastHistogramJson) {
      this.lastHistogramJson = histogramJson;
      this.lastHistogram = histogram;
      if (histogram !== null) message.histogram = histogram;
    }
    this.send(message);
    this.counters.bus_updates_published += 1;
  }

  private beat(now = false): void {
    if (!this.publishing) return;
    if (!now && Date.now() - this.lastSentAt < BEAT_MS) return;
    const message: BusBeat = {
      kind: 'beat',
      v: BUS_VERSION,
      epoch: this.epoch as string,
      seq: this.seq,
      sent: Date.now() / 1000,
      health: this.options.feed.health(),
    };
    this.send(message);
    this.counters.bus_beats_published += 1;
  }

  private send(message: BusUpdate | BusBeat): void {
    const json = JSON.stringify(message);
    try {
      this.options.nc.publish(this.subjects.update, json);
      this.counters.bus_bytes_published += Buffer.byteLength(json);
      this.lastSentAt = Date.now();
    } catch (error) {
      this.options.log(`NATS: could not publish (${busError(error)})`);
    }
  }

  private answerState(msg: Msg): void {
    if (!this.publishing) {
      // A stand-by or a former holder stays silent: the holder answers (this one, if it takes the
      // lease while the asker still waits).
      this.unanswered.push({ msg, at: Date.now() });
      if (this.unanswered.length > MAX_UNANSWERED) this.unanswered.shift();
      return;
    }
    const { feed } = this.options;
    const reply: BusState = {
      v: BUS_VERSION,
      epoch: this.epoch as string,
      seq: this.seq,
      sent: Date.now() / 1000,
      source: feed.source,
      state: feed.current(),
      points: this.window,
      histogram: this.lastHistogram,
      health: feed.health(),
    };
    let json = JSON.stringify(reply);
    const max = this.options.nc.info?.max_payload ?? 1024 * 1024;
    if (Buffer.byteLength(json) > max) {
      // Fewer points than the hub's largest snapshot, but never no answer: keep the newest that fit.
      const keep = Math.floor((reply.points.length * (max - 4096)) / Buffer.byteLength(json));
      reply.points = reply.points.slice(reply.points.length - keep);
      json = JSON.stringify(reply);
      this.options.log(
        `NATS: state trimmed to ${keep} points to fit the server's max_payload (${max} bytes)`,
      );
    }
    msg.respond(json);
    this.counters.bus_state_replies += 1;
  }

  private async answerHistory(msg: Msg): Promise<void> {
    const { history } = this.options;
    let answer: BusAnswer<unknown>;
    try {
      const query = msg.json<{ from: number; to: number; step: number }>();
      if (history === undefined) {
        answer = {
          ok: false,
          statusCode: 503,
          error: 'history_unavailable',
          message: 'the estimator keeps no history (it was started with --no-history)',
        };
      } else {
        answer = { ok: true, result: await history.estimates(query) };
      }
    } catch (error) {
      answer = { ok: false, statusCode: 502, error: 'history_failed', message: busError(error) };
    }
    msg.respond(JSON.stringify(answer));
  }

  private async answerBlock(msg: Msg): Promise<void> {
    const { blocks } = this.options;
    let answer: BusAnswer<unknown>;
    try {
      const id = parseBlockId(msg.json<{ id: string }>().id);
      if (blocks === undefined) {
        answer = {
          ok: false,
          statusCode: 503,
          error: 'block_prices_unavailable',
          message: 'the estimator has no source of confirmed blocks',
        };
      } else {
        answer = { ok: true, result: await blocks.priceOf(id) };
      }
    } catch (error) {
      const status = (error as { statusCode?: unknown }).statusCode;
      const statusCode = typeof status === 'number' && status >= 400 && status < 600 ? status : 502;
      answer = { ok: false, statusCode, error: 'block_price_failed', message: busError(error) };
    }
    msg.respond(JSON.stringify(answer));
  }
}
