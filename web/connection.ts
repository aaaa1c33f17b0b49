// The live link to the service: a WebSocket to /ws/mempool that reconnects with backoff after the
// server goes away and asks for a fresh snapshot whenever it may have missed a message. In: the
// WebSocket URL, an access token (or null) and callbacks. Out: every valid server message, and the
// connection state for the status line. When a connection attempt fails it asks the HTTP API
// whether the token is the problem, so the page can say "access denied" instead of "offline".

import type { ClientMessage, ErrorMessage, PriceMessage, ServerMessage } from '../src/server/protocol.ts';
import { backoffDelay } from './backoff.ts';

export type ConnectionState =
  | { kind: 'connecting' }
  | { kind: 'live' }
  | { kind: 'retrying'; at: number; reason: string }
  | { kind: 'unauthorized'; at: number; hasToken: boolean };

export interface ConnectionOptions {
  wsUrl: string;
  /** Checks an HTTP endpoint with the same token: 'unauthorized' on 401/403. */
  probe: () => Promise<'ok' | 'unauthorized' | 'unreachable'>;
  hasToken: boolean;
  onMessage: (message: PriceMessage | ErrorMessage) => void;
  onState: (state: ConnectionState) => void;
  /** Injected for tests; defaults to Math.random. */
  random?: () => number;
}

/** Send a ping this often so idle proxies keep the connection and a dead peer is noticed. */
const PING_INTERVAL_MS = 25_000;
/** Silence longer than this (no update, no pong to our pings) means a dead link: reconnect. */
const SILENCE_LIMIT_MS = PING_INTERVAL_MS * 2 + 5_000;
/** After a refused token, retry as if this many attempts had failed (15–30 s apart with the default backoff). */
const UNAUTHORIZED_ATTEMPT = 6;
/** A connection that lived this long counts as healthy: the next failure starts the backoff afresh. */
const HEALTHY_AFTER_MS = 10_000;

export class LiveConnection {
  private readonly options: ConnectionOptions;
  private socket: WebSocket | null = null;
  private attempt = 0;
  private timer: ReturnType<typeof setTimeout> | null = null;
  private pingTimer: ReturnType<typeof setInterval> | null = null;
  private lastSeq: number | null = null;
  private openedAt = 0;
  private lastMessageAt = 0;
  private stopped = true;
  private state: ConnectionState = { kind: 'connecting' };

  constructor(options: ConnectionOptions) {
    this.options = options;
  }

  get current(): ConnectionState {
    return this.state;
  }

  start(): void {
    if (!this.stopped) return;
    this.stopped = false;
    this.connect();
  }

  stop(): void {
    this.stopped = true;
    if (this.timer !== null) clearTimeout(this.timer);
    this.timer = null;
    this.stopPing();
    const socket = this.socket;
    this.socket = null;
    socket?.close(1000, 'page closed');
  }

  /** Skips the wait when a retry is pending (e.g. the browser came back online). */
  retryNow(): void {
    if (this.stopped || this.socket !== null) return;
    if (this.timer !== null) clearTimeout(this.timer);
    this.timer = null;
    this.connect();
  }

  send(message: ClientMessage): void {
    if (this.socket?.readyState === WebSocket.OPEN) this.socket.send(JSON.stringify(message));
  }

  private setState(state: ConnectionState): void {
    this.state = state;
    this.options.onState(state);
  }

  private connect(): void {
    // While access is denied the page keeps saying so; a retry that succeeds switches to live.
    if (this.state.kind !== 'unauthorized') this.setState({ kind: 'connecting' });
    this.lastSeq = null;
    let socket: WebSocket;
    try {
      socket = new WebSocket(this.options.wsUrl);
    } catch {
      this.scheduleRetry('the address of the live feed is not valid', false);
      return;
    }
    this.socket = socket;
    let opened = false;
    socket.addEventListener('open', () => {
      if (this.socket !== socket) return;
      opened = true;
      this.openedAt = Date.now();
      this.lastMessageAt = this.openedAt;
      this.setState({ kind: 'live' });
      this.startPing();
    });
    socket.addEventListener('message', (event) => {
      if (this.socket !== socket) return;
      this.receive(event.data);
    });
    socket.addEventListener('close', (event) => {
      if (this.socket !== socket) return;
      this.socket = null;
      this.stopPing();
      if (this.stopped) return;
      if (opened && Date.now() - this.openedAt >= HEALTHY_AFTER_MS) this.attempt = 0;
      const reason = opened ? closeReason(event.code, event.reason) : 'cannot reach the server';
      this.scheduleRetry(reason, !opened);
    });
  }

  private receive(data: unknown): void {
    if (typeof data !== 'string') return;
    this.lastMessageAt = Date.now();
    let message: ServerMessage;
    try {
      message = JSON.parse(data) as ServerMessage;
    } catch {
      return;
    }
    if (message === null || typeof message !== 'object') return;
    if (message.type === 'snapshot') {
      this.lastSeq = message.seq;
    } else if (message.type === 'update') {
      if (this.lastSeq === null) return; // an update before any snapshot cannot be placed; one is on its way
      if (message.seq !== this.lastSeq + 1) {
        // A gap: the points between are lost, so start over from a fresh snapshot.
        this.lastSeq = null;
        this.send({ type: 'snapshot' });
        return;
      }
      this.lastSeq = message.seq;
    } else if (message.type !== 'error') {
      return; // 'pong' only proves the link is alive (lastMessageAt), and unknown types are ignored
    }
    this.options.onMessage(message);
  }

  private scheduleRetry(reason: string, probeAuth: boolean): void {
    const delay = backoffDelay(this.attempt, (this.options.random ?? Math.random)());
    this.attempt++;
    const at = Date.now() + delay;
    this.timer = setTimeout(() => {
      this.timer = null;
      if (!this.stopped) this.connect();
    }, delay);
    this.setState({ kind: 'retrying', at, reason });
    if (probeAuth) {
      this.options.probe().then(
        (result) => {
          if (result === 'unauthorized' && this.socket === null && !this.stopped && this.timer !== null) {
            // The token will not fix itself: retry rarely (the operator may restart the server with another).
            this.attempt = Math.max(this.attempt, UNAUTHORIZED_ATTEMPT);
            clearTimeout(this.timer);
            const wait = backoffDelay(this.attempt, (this.options.random ?? Math.random)());
            const retryAt = Date.now() + wait;
            this.timer = setTimeout(() => {
              this.timer = null;
              if (!this.stopped) this.connect();
            }, wait);
            this.setState({ kind: 'unauthorized', at: retryAt, hasToken: this.options.hasToken });
          }
        },
        () => {},
      );
    }
  }

  /** Drops a link that looks dead without waiting for its closing handshake, and retries. */
  private abandon(reason: string): void {
    const socket = this.socket;
    this.socket = null;
    this.stopPing();
    socket?.close(4000, 'no answer');
    if (!this.stopped) this.scheduleRetry(reason, false);
  }

  private startPing(): void {
    this.stopPing();
    this.pingTimer = setInterval(() => {
      if (Date.now() - this.lastMessageAt > SILENCE_LIMIT_MS) {
        this.abandon('the server stopped answering');
        return;
      }
      this.send({ type: 'ping' });
    }, PING_INTERVAL_MS);
  }

  private stopPing(): void {
    if (this.pingTimer !== null) clearInterval(this.pingTimer);
    this.pingTimer = null;
  }
}

function closeReason(code: number, reason: string): string {
  if (code === 1001) return 'the server is restarting';
  if (code === 1008) return reason || 'the server refused a message';
  if (code === 1013) return 'the server is busy';
  return 'the connection was lost';
}
