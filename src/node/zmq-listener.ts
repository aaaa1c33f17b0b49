// The node's ZMQ notifications: endpoints in, one callback per message out, plus a callback when a
// message was lost and when the connection drops or comes back. Messages are multipart
// [topic, body, 4-byte little-endian sequence]; the sequence counts per topic, so a jump means
// the node sent something we never got (our queue overflowed, or the node restarted and began
// again at 0). One Subscriber socket per distinct endpoint; ZMQ reconnects by itself, quickly.

import { Subscriber } from 'zeromq';
import type { ZmqEndpoints, ZmqTopic } from './node-config.ts';

export interface ZmqMessage {
  topic: ZmqTopic;
  body: Buffer;
  /** The node's per-topic message counter. */
  sequence: number;
}

export interface ZmqHandlers {
  message(message: ZmqMessage): void;
  /** A message of `topic` was lost: `expected` was due, `received` came. */
  gap(topic: ZmqTopic, expected: number, received: number): void;
  /** All endpoints connected (true) or one of them dropped (false). */
  connection(connected: boolean, endpoint: string): void;
}

export interface ZmqListenerOptions {
  /** Reconnect attempts start this often after a drop. */
  reconnectIntervalMs?: number;
  /** And back off to at most this. */
  reconnectMaxIntervalMs?: number;
  /** Messages ZMQ may queue for us before it starts dropping (and we see a gap). */
  receiveHighWaterMark?: number;
}

/** Retry quickly: the promise is "reconnected within 5 s of the node being back". */
const DEFAULT_RECONNECT_INTERVAL_MS = 100;
/** Backing off beyond one second would eat into those 5 s while the node is down for long. */
const DEFAULT_RECONNECT_MAX_INTERVAL_MS = 1000;
/**
 * A mainnet block connect sends several thousand rawtx messages at once; a queue of ~10 s of peak
 * mainnet traffic (~1 kB a message) keeps a short stall of our event loop from losing messages.
 */
const DEFAULT_RECEIVE_HIGH_WATER_MARK = 50_000;
/** Heartbeats detect a node that vanished without closing the TCP connection (host down). */
const HEARTBEAT_INTERVAL_MS = 2000;
const HEARTBEAT_TIMEOUT_MS = 6000;

const TOPICS = new Set<string>(['rawtx', 'sequence', 'rawblock']);

export class ZmqListener {
  private readonly sockets: {
    endpoint: string;
    topics: ZmqTopic[];
    socket: Subscriber;
    connected: boolean;
  }[] = [];
  private readonly lastSequence = new Map<ZmqTopic, number>();
  private readonly handlers: ZmqHandlers;
  private closed = false;

  constructor(endpoints: ZmqEndpoints, handlers: ZmqHandlers, options: ZmqListenerOptions = {}) {
    this.handlers = handlers;
    const byEndpoint = new Map<string, ZmqTopic[]>();
    for (const [topic, endpoint] of Object.entries(endpoints) as [ZmqTopic, string][]) {
      if (!endpoint) continue;
      byEndpoint.set(endpoint, [...(byEndpoint.get(endpoint) ?? []), topic]);
    }
    for (const [endpoint, topics] of byEndpoint) {
      const socket = new Subscriber({
        reconnectInterval: options.reconnectIntervalMs ?? DEFAULT_RECONNECT_INTERVAL_MS,
        reconnectMaxInterval: options.reconnectMaxIntervalMs ?? DEFAULT_RECONNECT_MAX_INTERVAL_MS,
        receiveHighWaterMark: options.receiveHighWaterMark ?? DEFAULT_RECEIVE_HIGH_WATER_MARK,
        heartbeatInterval: HEARTBEAT_INTERVAL_MS,
        heartbeatTimeout: HEARTBEAT_TIMEOUT_MS,
        linger: 0,
      });
      this.sockets.push({ endpoint, topics, socket, connected: false });
    }
  }

  /** Connects every socket and starts delivering messages. */
  start(): void {
    for (const entry of this.sockets) {
      void this.watchEvents(entry);
      entry.socket.connect(entry.endpoint);
      entry.socket.subscribe(...entry.topics);
      void this.receive(entry);
    }
  }

  get connected(): boolean {
    return this.sockets.length > 0 && this.sockets.every((s) => s.connected);
  }

  async close(): Promise<void> {
    this.closed = true;
    for (const { socket } of this.sockets) if (!socket.closed) socket.close();
  }

  private async receive(entry: (typeof this.sockets)[number]): Promise<void> {
    try {
      for await (const parts of entry.socket) {
        if (parts.length < 3) continue;
        const topic = parts[0].toString('latin1');
        if (!TOPICS.has(topic)) continue;
        const seqBytes = parts[parts.length - 1];
        if (seqBytes.length !== 4) continue;
        this.deliver(topic as ZmqTopic, parts[1], seqBytes.readUInt32LE(0));
      }
    } catch (error) {
      if (!this.closed) throw error;
    }
  }

  private deliver(topic: ZmqTopic, body: Buffer, sequence: number): void {
    const last = this.lastSequence.get(topic);
    this.lastSequence.set(topic, sequence);
    if (last !== undefined && sequence !== (last + 1) >>> 0) {
      this.handlers.gap(topic, (last + 1) >>> 0, sequence);
    }
    this.handlers.message({ topic, body, sequence });
  }

  private async watchEvents(entry: (typeof this.sockets)[number]): Promise<void> {
    try {
      for await (const event of entry.socket.events) {
        if (event.type === 'handshake') {
          if (entry.connected) continue;
          entry.connected = true;
          if (this.connected) this.handlers.connection(true, entry.endpoint);
        } else if (event.type === 'disconnect') {
          const wasConnected = this.connected;
          entry.connected = false;
          // Whatever comes after the reconnect starts a new count (the node may have restarted).
          for (const topic of entry.topics) this.lastSequence.delete(topic);
          if (wasConnected) this.handlers.connection(false, entry.endpoint);
        } else if (event.type === 'end') {
          return;
        }
      }
    } catch (error) {
      if (!this.closed) throw error;
    }
  }
}
