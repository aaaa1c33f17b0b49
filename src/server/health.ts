// Whether the service is healthy, from the feed's own report (pure): connected to its source, still
// hearing from it, and estimating. In: FeedHealth and limits. Out: the /health body and its status
// (200 healthy, 503 not). The body holds states and ages only, never a secret. It also says what
// the live estimate is seeded with and what the last cold check of the live window found, so an
// operator can see a re-seed (a wrong seed left) without reading the log. With the process's own
// figures it also reports resident memory over a configured ceiling and a stalled event loop, and
// with the data directory's state (store/storage.ts) a disk that refuses the history's writes: the
// live price goes on then, but a box's health light must show that its history is not being kept,
// so the status is 503 until the writes go through again. An estimator publishing over NATS adds
// its link to the bus (bus/bus-link.ts): while it is down the edges get nothing from it.

import type { FeedHealth } from '../live/feed.ts';

export interface HealthLimits {
  /** Mainnet relays a transaction every few seconds; ten silent minutes mean the ZMQ link is dead. */
  maxMessageAgeSeconds: number;
  /** The estimate reruns with every change in the window; ten minutes without one means it is stuck. */
  maxEstimateAgeSeconds: number;
  /** Resident memory above this is a problem (a leak, or a box too small); null: no ceiling. */
  maxRssBytes: number | null;
  /** The event loop blocked longer than this (in the last minute) is a problem: clients miss updates. */
  maxEventLoopStallSeconds: number;
}

export const DEFAULT_HEALTH_LIMITS: HealthLimits = {
  maxMessageAgeSeconds: 600,
  maxEstimateAgeSeconds: 600,
  maxRssBytes: null,
  // An estimate takes milliseconds to a few hundred; a full second blocked is something wrong.
  maxEventLoopStallSeconds: 1,
};

/** The process's own figures (process-metrics.ts). */
export interface ProcessHealth {
  rssBytes: number;
  /** The longest the event loop was blocked in the last minute or so. */
  eventLoopStallSeconds: number;
}

/** The data directory as the history's writers find it (store/storage.ts). */
export interface StorageHealth {
  /** One sentence per problem, e.g. "no space left on the device that holds /data"; empty when writes go through. */
  problems: string[];
  /** History writes given up on since the start. */
  droppedWrites: number;
  /** The writers held back now (e.g. "live", "chain_history"). */
  waiting: string[];
}

/** The other parts of the service whose state /health reports, each when the service has it. */
export interface HealthInputs {
  process?: ProcessHealth;
  storage?: StorageHealth;
  /** The estimator's NATS link: a sentence while it is down, null while it is up. */
  bus?: { problem: string | null };
}

export interface HealthBody {
  status: 'ok' | 'unhealthy';
  source: FeedHealth['source'];
  node: { connected: boolean };
  last_message_age_seconds: number | null;
  window_size: number;
  last_estimate_age_seconds: number | null;
  detail: string | null;
  /** The live estimate's seed: price null means a cold search. `reseeded_at` is Unix seconds. */
  seed: {
    price: number | null;
    source: FeedHealth['seed']['source'];
    reseeded_at: number | null;
    detail: string | null;
  };
  /** The last cold (unseeded) check of the live window while seeded; null before the first. */
  cold_check: { checked_at: number; price: number | null; confidence: number } | null;
  /** Resident memory and the longest event-loop stall of the last minute; null when not measured. */
  process: { rss_bytes: number; max_rss_bytes: number | null; event_loop_stall_seconds: number } | null;
  /**
   * The node's own checks (node sources only): does it answer RPC, and is ZMQ silent while its
   * mempool changes (`zmq_quiet_seconds`, null while ZMQ keeps up).
   */
  node_link?: {
    rpc_answering: boolean;
    last_rpc_answer_age_seconds: number | null;
    zmq_quiet_seconds: number | null;
  };
  /** Why the status is "unhealthy"; empty when healthy. */
  problems: string[];
  /** The history's storage; absent without a history. */
  storage?: { ok: boolean; problems: string[]; waiting: string[]; dropped_writes: number };
}

export function healthReport(
  health: FeedHealth,
  limits: HealthLimits,
  inputs: HealthInputs = {},
): { statusCode: 200 | 503; body: HealthBody } {
  const proc = inputs.process ?? null;
  const storage = inputs.storage ?? null;
  // The source's own sentences (a node that does not answer, ZMQ quiet) say what the generic
  // connection and silence lines would, and more: those are then left out.
  const sourceProblems = health.problems ?? [];
  const problems: string[] = [];
  if (!health.connected && sourceProblems.length === 0)
    problems.push(health.source === 'node' ? 'not connected to the node' : 'source stopped');
  const messageAge = health.lastMessageAgeSeconds;
  if (messageAge !== null && messageAge > limits.maxMessageAgeSeconds && sourceProblems.length === 0) {
    problems.push(`no message from the source for ${Math.round(messageAge)} s`);
  }
  const estimateAge = health.lastEstimateAgeSeconds;
  if (estimateAge === null) problems.push('no estimate yet');
  else if (estimateAge > limits.maxEstimateAgeSeconds)
    problems.push(`last estimate is ${Math.round(estimateAge)} s old`);
  problems.push(...sourceProblems);
  if (proc !== null) {
    const mb = (bytes: number) => `${Math.round(bytes / 2 ** 20)} MB`;
    if (limits.maxRssBytes !== null && proc.rssBytes > limits.maxRssBytes)
      problems.push(`resident memory ${mb(proc.rssBytes)} is over the ${mb(limits.maxRssBytes)} ceiling`);
    if (proc.eventLoopStallSeconds > limits.maxEventLoopStallSeconds)
      problems.push(
        `the event loop stalled for ${proc.eventLoopStallSeconds.toFixed(1)} s (limit ${limits.maxEventLoopStallSeconds} s)`,
      );
  }
  for (const problem of storage?.problems ?? [])
    problems.push(`${problem} (the price history is not being written)`);
  if (inputs.bus?.problem) problems.push(inputs.bus.problem);
  return {
    statusCode: problems.length === 0 ? 200 : 503,
    body: {
      status: problems.length === 0 ? 'ok' : 'unhealthy',
      source: health.source,
      node: { connected: health.connected },
      last_message_age_seconds: roundAge(messageAge),
      window_size: health.windowSize,
      last_estimate_age_seconds: roundAge(estimateAge),
      detail: health.detail,
      seed: {
        price: roundPrice(health.seed.price),
        source: health.seed.source,
        reseeded_at: health.seed.since,
        detail: health.seed.detail,
      },
      cold_check:
        health.seed.lastColdCheck === null
          ? null
          : {
              checked_at: health.seed.lastColdCheck.at,
              price: roundPrice(health.seed.lastColdCheck.price),
              confidence: Math.round(health.seed.lastColdCheck.confidence * 10_000) / 10_000,
            },
      process:
        proc === null
          ? null
          : {
              rss_bytes: proc.rssBytes,
              max_rss_bytes: limits.maxRssBytes,
              event_loop_stall_seconds: roundAge(proc.eventLoopStallSeconds) ?? 0,
            },
      ...(health.node === undefined
        ? {}
        : {
            node_link: {
              rpc_answering: health.node.rpcAnswering,
              last_rpc_answer_age_seconds: roundAge(health.node.lastRpcAnswerAgeSeconds),
              zmq_quiet_seconds: roundAge(health.node.zmqQuietSeconds),
            },
          }),
      problems,
      ...(storage === null
        ? {}
        : {
            storage: {
              ok: storage.problems.length === 0,
              problems: storage.problems,
              waiting: storage.waiting,
              dropped_writes: storage.droppedWrites,
            },
          }),
    },
  };
}

function roundAge(age: number | null): number | null {
  return age === null ? null : Math.round(age * 1000) / 1000;
}

function roundPrice(price: number | null): number | null {
  return price === null ? null : Math.round(price * 100) / 100;
}
