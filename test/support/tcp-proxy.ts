// A TCP proxy for fault tests: put between a program and a server (the node's ZMQ ports), it
// forwards each connection untouched until told to fail. `stall()` stops forwarding in both
// directions but keeps every connection open (and accepts new ones, forwarding nothing): the
// server's sends back up as on a link that hangs. `resume()` forwards again. `close()` drops every
// connection and stops listening, so the port refuses (a peer that is unreachable); `reopen()`
// listens on the same port again. It listens on a port of its own choosing (port 0: no race).

import { connect, createServer, type Server, type Socket } from 'node:net';

interface Pair {
  client: Socket;
  upstream: Socket;
}

export class TcpProxy {
  readonly target: { host: string; port: number };
  port = 0;
  private server: Server | null = null;
  private readonly pairs = new Set<Pair>();
  private stalled = false;

  private constructor(target: { host: string; port: number }) {
    this.target = target;
  }

  /** Starts forwarding 127.0.0.1:<port of its own> to `target`. */
  static async start(target: { host: string; port: number }): Promise<TcpProxy> {
    const proxy = new TcpProxy(target);
    await proxy.listen(0);
    return proxy;
  }

  /** tcp://127.0.0.1:<port>, for a ZMQ endpoint. */
  get endpoint(): string {
    return `tcp://127.0.0.1:${this.port}`;
  }

  get connections(): number {
    return this.pairs.size;
  }

  stall(): void {
    this.stalled = true;
    for (const { client, upstream } of this.pairs) {
      client.pause();
      upstream.pause();
    }
  }

  resume(): void {
    this.stalled = false;
    for (const { client, upstream } of this.pairs) {
      client.resume();
      upstream.resume();
    }
  }

  /** Drops every connection and stops listening: connecting is refused until `reopen()`. */
  async close(): Promise<void> {
    const server = this.server;
    this.server = null;
    for (const pair of this.pairs) this.drop(pair);
    if (server) await new Promise<void>((resolve) => server.close(() => resolve()));
  }

  async reopen(): Promise<void> {
    await this.listen(this.port);
  }

  private listen(port: number): Promise<void> {
    const server = createServer((client) => this.accept(client));
    this.server = server;
    return new Promise((resolve, reject) => {
      server.once('error', reject);
      server.listen(port, '127.0.0.1', () => {
        this.port = (server.address() as { port: number }).port;
        resolve();
      });
    });
  }

  private accept(client: Socket): void {
    const upstream = connect(this.target.port, this.target.host);
    const pair = { client, upstream };
    this.pairs.add(pair);
    if (this.stalled) {
      client.pause();
      upstream.pause();
    }
    forward(client, upstream, () => this.stalled);
    forward(upstream, client, () => this.stalled);
    const end = () => this.drop(pair);
    for (const socket of [client, upstream]) {
      socket.on('close', end);
      socket.on('error', end);
    }
  }

  private drop(pair: Pair): void {
    if (!this.pairs.delete(pair)) return;
    pair.client.destroy();
    pair.upstream.destroy();
  }
}

/** Copies `from` to `to` with backpressure; reading stops while stalled (see `stall`). */
function forward(from: Socket, to: Socket, stalled: () => boolean): void {
  from.on('data', (chunk: Buffer) => {
    if (!to.write(chunk)) from.pause();
  });
  to.on('drain', () => {
    if (!stalled()) from.resume();
  });
}
