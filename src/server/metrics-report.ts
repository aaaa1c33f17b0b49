// The service's own metrics for /metrics, through prom-client: what the feed, the block window, the
// WebSocket hub and the HTTP routes report. In: where to read them (the feed, the hub, the block
// window's size). Out: a Registry of this app's metrics (one per app: a test builds many apps in one
// process) and, for a scrape, that registry merged with the process's (process-metrics.ts: memory,
// heap, event-loop lag, GC, once per process). Figures their owners keep (the feed's and the hub's
// counters, the live estimate, ages, sizes) are read when scraped, by each metric's `collect()`; the
// two timings and the HTTP requests are observed as they happen. Names follow Prometheus habits
// (`_total` counters, base units: seconds and bytes).

import { Counter, Gauge, Histogram, Registry } from 'prom-client';
import type { LiveFeed, NodeLinkHealth } from '../live/feed.ts';
import type { StorageWatch } from '../store/storage.ts';
import type { HubCounters } from './mempool-hub.ts';
import { processWatch } from './process-metrics.ts';

/** Estimates take milliseconds to a few hundred milliseconds; these bounds split that range in useful steps. */
export const ESTIMATE_SECONDS_BUCKETS = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5];
/** Sending one update to every client takes microseconds per client: these bounds cover 1 to 10,000 clients. */
export const FANOUT_SECONDS_BUCKETS = [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1];

/** Feed counters shown under their own names; any other counter the feed reports is shown as chainprice_feed_<name>. */
const NAMED_FEED_COUNTERS: Record<string, [string, string]> = {
  zmq_reconnects: ['chainprice_zmq_reconnects_total', 'Reconnections to the node’s ZMQ publisher.'],
  zmq_gaps: [
    'chainprice_zmq_gaps_total',
    'ZMQ sequence gaps (lost notifications) detected and resynchronised.',
  ],
};
/** Feed counters that feed the transaction counters (with the last estimate's stats as a fallback). */
const TRANSACTION_FEED_COUNTERS = new Set(['transactions_received', 'transactions_filtered']);

export interface BlockWindowStats {
  blocks: number;
  transactions: number;
  candidateOutputs: number;
  bytes: number;
}

const BLOCK_WINDOW_GAUGES: [string, string, keyof BlockWindowStats][] = [
  ['chainprice_block_window_blocks', 'Blocks in the confirmed-block window.', 'blocks'],
  ['chainprice_block_window_transactions', 'Transactions in the confirmed-block window.', 'transactions'],
  [
    'chainprice_block_window_candidate_outputs',
    'Candidate outputs counted in the confirmed-block window.',
    'candidateOutputs',
  ],
  ['chainprice_block_window_bytes', 'Bytes held by the confirmed-block window.', 'bytes'],
];

/** The node link's figures (a node source only, once it runs): as /health's `node_link`. */
const NODE_LINK_GAUGES: [string, string, (link: NodeLinkHealth) => number | null][] = [
  [
    'chainprice_node_rpc_answering',
    '1 while the node answers RPC, 0 while it does not (a hang, a restart).',
    (l) => (l.rpcAnswering ? 1 : 0),
  ],
  [
    'chainprice_node_rpc_answer_age_seconds',
    'Seconds since the node last answered its liveness check (NaN before the first answer).',
    (l) => l.lastRpcAnswerAgeSeconds,
  ],
  [
    'chainprice_node_zmq_quiet_seconds',
    "Seconds ZMQ has been silent while the node's mempool changed (the window is then kept in step by polling); 0 while ZMQ keeps up.",
    (l) => l.zmqQuietSeconds ?? 0,
  ],
];

/** The hub's side: its counters and its clients, read when scraped; each fan-out's time as it happens. */
export interface HubFigures {
  readonly counters: HubCounters;
  readonly clientCount: number;
  readonly clientsBehind: number;
  onFanout(listener: (seconds: number) => void): () => void;
}

export interface MetricsSources {
  feed: Pick<LiveFeed, 'current' | 'health' | 'onUpdate'>;
  hub: HubFigures;
  /** The confirmed-block window's size (node source only); its metrics are left out while it gives null. */
  blockWindow?: () => BlockWindowStats | null;
  /** The history's storage (with a history only): writes given up on, and whether the disk takes writes. */
  storage?: Pick<StorageWatch, 'problems' | 'dropped'>;
}

type HttpLabel = 'method' | 'route' | 'status';

export class ServiceMetrics {
  readonly registry = new Registry();
  /** Requests answered, by method, route (the route's pattern, `unmatched` for a 404) and status. */
  readonly httpRequests: Counter<HttpLabel>;
  private readonly sources: MetricsSources;
  /** The feed's other counters with a metric, by the feed's key. */
  private readonly feedCounterNames = new Map<string, string>();
  private readonly unsubscribers: (() => void)[] = [];

  constructor(sources: MetricsSources) {
    this.sources = sources;
    const { feed, hub } = sources;
    const registers = [this.registry];
    const health = () => feed.health();

    new Gauge({
      name: 'chainprice_info',
      help: 'Constant 1, labelled with the price source.',
      labelNames: ['source'],
      registers,
      collect() {
        this.reset();
        this.set({ source: health().source }, 1);
      },
    });
    // The feed's own counters run ahead of the stats of its last estimate (and exist before the first).
    this.counterOf(
      'chainprice_transactions_received_total',
      'Transactions received from the source.',
      () => health().counters.transactions_received ?? feed.current()?.stats.total_received ?? 0,
    );
    this.counterOf(
      'chainprice_transactions_filtered_total',
      'Transactions dropped by the candidate filter.',
      () => health().counters.transactions_filtered ?? feed.current()?.stats.total_filtered ?? 0,
    );
    this.gaugeOf(
      'chainprice_transactions_in_window',
      'Candidate transactions in the live window.',
      () => feed.current()?.stats.active_in_window ?? 0,
    );
    this.gaugeOf(
      'chainprice_window_size',
      'Entries in the live window, as the feed reports it.',
      () => health().windowSize,
    );
    const estimateSeconds = new Histogram({
      name: 'chainprice_estimate_duration_seconds',
      help: 'Time taken by one live estimate.',
      buckets: ESTIMATE_SECONDS_BUCKETS,
      registers,
    });
    this.gaugeOf(
      'chainprice_price_usd',
      'The live estimate in USD per BTC (NaN when there is none).',
      () => feed.current()?.price ?? null,
    );
    this.gaugeOf(
      'chainprice_confidence',
      'Confidence of the live estimate, 0 to 1.',
      () => feed.current()?.confidence ?? 0,
    );
    this.gaugeOf(
      'chainprice_block_window_price_usd',
      'The confirmed-block window price (NaN when unknown).',
      () => feed.current()?.blockWindowPrice ?? null,
    );
    this.gaugeOf('chainprice_source_connected', '1 when connected to the source (the node).', () =>
      health().connected ? 1 : 0,
    );
    this.gaugeOf(
      'chainprice_last_message_age_seconds',
      'Age of the last message from the source (NaN before the first).',
      () => health().lastMessageAgeSeconds,
    );
    this.gaugeOf(
      'chainprice_last_estimate_age_seconds',
      'Age of the last estimate (NaN before the first).',
      () => health().lastEstimateAgeSeconds,
    );
    for (const [key, [name, help]] of Object.entries(NAMED_FEED_COUNTERS)) {
      this.counterOf(name, help, () => health().counters[key] ?? 0);
    }

    this.gaugeOf('chainprice_ws_clients', 'Connected WebSocket clients.', () => hub.clientCount);
    this.gaugeOf(
      'chainprice_ws_clients_behind',
      'Clients currently skipped because their send buffer is full.',
      () => hub.clientsBehind,
    );
    const hubCounter = (name: string, help: string, key: keyof HubCounters) =>
      this.counterOf(name, help, () => hub.counters[key]);
    hubCounter('chainprice_ws_connections_total', 'WebSocket connections accepted.', 'connections');
    hubCounter(
      'chainprice_ws_connections_refused_total',
      'WebSocket connections closed at once (1013) because the most clients allowed were connected.',
      'refusedFull',
    );
    const fanoutSeconds = new Histogram({
      name: 'chainprice_ws_fanout_seconds',
      help: 'Time to hand one update to every client.',
      buckets: FANOUT_SECONDS_BUCKETS,
      registers,
    });
    hubCounter('chainprice_ws_messages_sent_total', 'WebSocket messages sent.', 'messagesSent');
    hubCounter('chainprice_ws_bytes_sent_total', 'WebSocket payload bytes sent.', 'bytesSent');
    hubCounter(
      'chainprice_ws_snapshots_sent_total',
      'Snapshots sent (on connect, on request, after falling behind).',
      'snapshotsSent',
    );
    hubCounter(
      'chainprice_ws_updates_dropped_total',
      'Updates not sent to a client that was behind.',
      'updatesDropped',
    );
    hubCounter(
      'chainprice_ws_resyncs_total',
      'Fresh snapshots sent to clients that had fallen behind.',
      'resyncs',
    );
    hubCounter('chainprice_ws_client_messages_total', 'Messages received from clients.', 'clientMessages');
    hubCounter(
      'chainprice_ws_client_messages_refused_total',
      'Client messages ignored by the rate limit.',
      'clientMessagesRefused',
    );
    hubCounter('chainprice_ws_error_frames_total', 'Error frames sent to clients.', 'errorFramesSent');
    hubCounter(
      'chainprice_ws_policy_closes_total',
      'Connections closed for a bad or abusive message.',
      'closedForPolicy',
    );
    hubCounter(
      'chainprice_ws_heartbeat_timeouts_total',
      'Connections cut off for not answering pings.',
      'heartbeatTimeouts',
    );

    const { storage } = sources;
    if (storage !== undefined) {
      new Counter({
        name: 'chainprice_history_writes_dropped_total',
        help: 'History writes given up on because the disk refused them (full, read-only), by writer.',
        labelNames: ['writer'],
        registers,
        collect() {
          this.reset();
          for (const [writer, n] of Object.entries(storage.dropped())) this.inc({ writer }, n);
        },
      });
      this.gaugeOf(
        'chainprice_history_storage_ok',
        '1 while the data directory takes the history’s writes, 0 while it refuses them (full, read-only).',
        () => (storage.problems().length === 0 ? 1 : 0),
      );
    }
    this.httpRequests = new Counter({
      name: 'chainprice_http_requests_total',
      help: 'HTTP requests answered.',
      labelNames: ['method', 'route', 'status'],
      registers,
    });

    this.unsubscribers.push(
      feed.onUpdate((update) => {
        const seconds = update.state.estimateMs / 1000;
        if (Number.isFinite(seconds)) estimateSeconds.observe(seconds);
      }),
      hub.onFanout((seconds) => fanoutSeconds.observe(seconds)),
    );
  }

  /** Stops timing the feed's estimates and the hub's fan-outs (the app is closing). */
  close(): void {
    for (const unsubscribe of this.unsubscribers.splice(0)) unsubscribe();
  }

  /** What /metrics serves: this app's metrics and the process's, as one registry. */
  scrape(): Registry {
    this.refreshFamilies();
    return Registry.merge([this.registry, processWatch().registry]);
  }

  /**
   * Adds and removes the metrics whose presence depends on the sources: one gauge for each other
   * counter the feed keeps now, the node link's three while the source has one, and the block
   * window's four while it has a size.
   */
  private refreshFamilies(): void {
    const { feed, blockWindow } = this.sources;
    const counters = feed.health().counters;
    for (const [key, name] of this.feedCounterNames) {
      if (key in counters) continue;
      this.registry.removeSingleMetric(name);
      this.feedCounterNames.delete(key);
    }
    for (const key of Object.keys(counters)) {
      if (key in NAMED_FEED_COUNTERS || TRANSACTION_FEED_COUNTERS.has(key)) continue;
      if (this.feedCounterNames.has(key)) continue;
      const name = `chainprice_feed_${metricName(key)}`;
      if (this.registry.getSingleMetric(name)) continue; // two keys spelt alike: the first keeps the name
      this.feedCounterNames.set(key, name);
      this.gaugeOf(name, `The feed's "${key}" counter.`, () => feed.health().counters[key] ?? 0);
    }

    const linked = feed.health().node !== undefined;
    const linkRegistered = this.registry.getSingleMetric(NODE_LINK_GAUGES[0][0]) !== undefined;
    for (const [name, help, read] of NODE_LINK_GAUGES) {
      if (linked && !linkRegistered)
        this.gaugeOf(name, help, () => {
          const link = feed.health().node;
          return link === undefined ? null : read(link);
        });
      else if (!linked && linkRegistered) this.registry.removeSingleMetric(name);
    }

    const present = blockWindow?.() != null;
    const registered = this.registry.getSingleMetric(BLOCK_WINDOW_GAUGES[0][0]) !== undefined;
    for (const [name, help, field] of BLOCK_WINDOW_GAUGES) {
      if (present && !registered) this.gaugeOf(name, help, () => blockWindow?.()?.[field] ?? null);
      else if (!present && registered) this.registry.removeSingleMetric(name);
    }
  }

  /** A gauge read when scraped; null reads as NaN (no value yet). */
  private gaugeOf(name: string, help: string, read: () => number | null): void {
    new Gauge({
      name,
      help,
      registers: [this.registry],
      collect() {
        this.set(read() ?? Number.NaN);
      },
    });
  }

  /** A counter whose owner keeps the count (the feed, the hub): its value is read when scraped. */
  private counterOf(name: string, help: string, read: () => number): void {
    new Counter({
      name,
      help,
      registers: [this.registry],
      collect() {
        this.reset();
        this.inc(read());
      },
    });
  }
}

/** A metric name from a free-form key: letters, digits and underscores only. */
export function metricName(key: string): string {
  const cleaned = key.replace(/[^a-zA-Z0-9_]/g, '_');
  return /^[0-9]/.test(cleaned) ? `_${cleaned}` : cleaned;
}
