// The /metrics page: what the feed, the block window, the WebSocket hub and the HTTP routes report,
// in Prometheus text format. In: their current numbers. Out: the text. Names follow Prometheus
// habits (`_total` counters, base units: seconds and bytes). The process's own figures (memory,
// heap, event-loop lag, GC: prom-client's default metrics) follow it, from process-metrics.ts.

import type { FeedHealth, LiveState } from '../live/feed.ts';
import type { HubCounters } from './mempool-hub.ts';
import { type Histogram, metricName, PrometheusText } from './prometheus-text.ts';

/** Estimates take milliseconds to a few hundred milliseconds; these bounds split that range in useful steps. */
export const ESTIMATE_SECONDS_BUCKETS = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5];

/** Feed counters shown under their own names; any other counter the feed reports is shown as chainprice_feed_<name>. */
const NAMED_FEED_COUNTERS: Record<string, [string, string]> = {
  zmq_reconnects: ['chainprice_zmq_reconnects_total', 'Reconnections to the node’s ZMQ publisher.'],
  zmq_gaps: [
    'chainprice_zmq_gaps_total',
    'ZMQ sequence gaps (lost notifications) detected and resynchronised.',
  ],
};

export interface MetricsInput {
  state: LiveState | null;
  health: FeedHealth;
  hub: HubCounters & { clients: number; clientsBehind: number; fanoutSeconds: Histogram };
  estimateSeconds: Histogram;
  /** Requests answered, by `${method} ${route} ${status}`. */
  httpRequests: ReadonlyMap<string, number>;
  /** The confirmed-block window's size (node source only). */
  blockWindow?: BlockWindowStats | null;
}

export interface BlockWindowStats {
  blocks: number;
  transactions: number;
  candidateOutputs: number;
  bytes: number;
}

export function metricsReport(input: MetricsInput): string {
  const { state, health, hub } = input;
  const text = new PrometheusText();
  const stats = state?.stats;
  // The feed's own counters run ahead of the stats of its last estimate (and exist before the first).
  const received = health.counters.transactions_received ?? stats?.total_received ?? 0;
  const filtered = health.counters.transactions_filtered ?? stats?.total_filtered ?? 0;
  text
    .gauge('chainprice_info', 'Constant 1, labelled with the price source.', 1, { source: health.source })
    .counter('chainprice_transactions_received_total', 'Transactions received from the source.', received)
    .counter(
      'chainprice_transactions_filtered_total',
      'Transactions dropped by the candidate filter.',
      filtered,
    )
    .gauge(
      'chainprice_transactions_in_window',
      'Candidate transactions in the live window.',
      stats?.active_in_window ?? 0,
    )
    .gauge('chainprice_window_size', 'Entries in the live window, as the feed reports it.', health.windowSize)
    .histogram(
      'chainprice_estimate_duration_seconds',
      'Time taken by one live estimate.',
      input.estimateSeconds,
    )
    .gauge(
      'chainprice_price_usd',
      'The live estimate in USD per BTC (NaN when there is none).',
      state?.price ?? null,
    )
    .gauge('chainprice_confidence', 'Confidence of the live estimate, 0 to 1.', state?.confidence ?? 0)
    .gauge(
      'chainprice_block_window_price_usd',
      'The confirmed-block window price (NaN when unknown).',
      state?.blockWindowPrice ?? null,
    )
    .gauge(
      'chainprice_source_connected',
      '1 when connected to the source (the node).',
      health.connected ? 1 : 0,
    )
    .gauge(
      'chainprice_last_message_age_seconds',
      'Age of the last message from the source (NaN before the first).',
      health.lastMessageAgeSeconds,
    )
    .gauge(
      'chainprice_last_estimate_age_seconds',
      'Age of the last estimate (NaN before the first).',
      health.lastEstimateAgeSeconds,
    );

  for (const [key, [name, help]] of Object.entries(NAMED_FEED_COUNTERS)) {
    text.counter(name, help, health.counters[key] ?? 0);
  }
  for (const [key, value] of Object.entries(health.counters)) {
    if (key in NAMED_FEED_COUNTERS || key === 'transactions_received' || key === 'transactions_filtered')
      continue;
    text.gauge(`chainprice_feed_${metricName(key)}`, `The feed's "${key}" counter.`, value);
  }

  text
    .gauge('chainprice_ws_clients', 'Connected WebSocket clients.', hub.clients)
    .gauge(
      'chainprice_ws_clients_behind',
      'Clients currently skipped because their send buffer is full.',
      hub.clientsBehind,
    )
    .counter('chainprice_ws_connections_total', 'WebSocket connections accepted.', hub.connections)
    .histogram('chainprice_ws_fanout_seconds', 'Time to hand one update to every client.', hub.fanoutSeconds)
    .counter('chainprice_ws_messages_sent_total', 'WebSocket messages sent.', hub.messagesSent)
    .counter('chainprice_ws_bytes_sent_total', 'WebSocket payload bytes sent.', hub.bytesSent)
    .counter(
      'chainprice_ws_snapshots_sent_total',
      'Snapshots sent (on connect, on request, after falling behind).',
      hub.snapshotsSent,
    )
    .counter(
      'chainprice_ws_updates_dropped_total',
      'Updates not sent to a client that was behind.',
      hub.updatesDropped,
    )
    .counter(
      'chainprice_ws_resyncs_total',
      'Fresh snapshots sent to clients that had fallen behind.',
      hub.resyncs,
    )
    .counter('chainprice_ws_client_messages_total', 'Messages received from clients.', hub.clientMessages)
    .counter(
      'chainprice_ws_client_messages_refused_total',
      'Client messages ignored by the rate limit.',
      hub.clientMessagesRefused,
    )
    .counter('chainprice_ws_error_frames_total', 'Error frames sent to clients.', hub.errorFramesSent)
    .counter(
      'chainprice_ws_policy_closes_total',
      'Connections closed for a bad or abusive message.',
      hub.closedForPolicy,
    )
    .counter(
      'chainprice_ws_heartbeat_timeouts_total',
      'Connections cut off for not answering pings.',
      hub.heartbeatTimeouts,
    );

  const requests: [Record<string, string>, number][] = [];
  for (const [key, count] of input.httpRequests) {
    const [method, route, status] = key.split(' ');
    requests.push([{ method, route, status }, count]);
  }
  text.family('chainprice_http_requests_total', 'counter', 'HTTP requests answered.', requests);

  const blocks = input.blockWindow;
  if (blocks) {
    text
      .gauge('chainprice_block_window_blocks', 'Blocks in the confirmed-block window.', blocks.blocks)
      .gauge(
        'chainprice_block_window_transactions',
        'Transactions in the confirmed-block window.',
        blocks.transactions,
      )
      .gauge(
        'chainprice_block_window_candidate_outputs',
        'Candidate outputs counted in the confirmed-block window.',
        blocks.candidateOutputs,
      )
      .gauge('chainprice_block_window_bytes', 'Bytes held by the confirmed-block window.', blocks.bytes);
  }

  const memory = process.memoryUsage();
  text
    .gauge('nodejs_heap_used_bytes', 'V8 heap in use.', memory.heapUsed)
    .gauge('process_uptime_seconds', 'Seconds since this process started.', process.uptime());
  return text.toString();
}
