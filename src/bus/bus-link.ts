// Whether this process's NATS connection is up, from the client's own status events (it
// reconnects by itself). In: the connection, the server as it may be shown (never a credential),
// what a lost connection costs, a log. Out: problem(), a sentence for /health while the connection
// is down (null while it is up), and one log line when it drops and one when it is back.

import type { NatsConnection } from '@nats-io/transport-node';

export interface BusLinkOptions {
  /** The NATS servers as they may be shown. */
  shown: string;
  /** What a user loses meanwhile: "the edges get no updates from this estimator". */
  consequence: string;
  log: (line: string) => void;
}

export class BusLink {
  private readonly options: BusLinkOptions;
  /** performance.now() when the connection was lost; null while it is up. */
  private downSince: number | null = null;

  constructor(nc: NatsConnection, options: BusLinkOptions) {
    this.options = options;
    void this.watch(nc);
  }

  private async watch(nc: NatsConnection): Promise<void> {
    const { shown, consequence, log } = this.options;
    for await (const status of nc.status()) {
      if (status.type === 'disconnect' && this.downSince === null) {
        this.downSince = performance.now();
        log(`NATS: lost the connection to ${shown}; reconnecting (meanwhile ${consequence})`);
      } else if (status.type === 'reconnect' && this.downSince !== null) {
        const seconds = (performance.now() - this.downSince) / 1000;
        this.downSince = null;
        log(`NATS: reconnected to ${shown} after ${seconds.toFixed(1)} s`);
      }
    }
  }

  /** The sentence for /health while the connection is down; null while it is up. */
  problem(): string | null {
    if (this.downSince === null) return null;
    const seconds = Math.round((performance.now() - this.downSince) / 1000);
    return `not connected to NATS at ${this.options.shown} for ${seconds} s (${this.options.consequence}); reconnecting`;
  }
}
