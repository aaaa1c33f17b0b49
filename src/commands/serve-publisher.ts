// `chainprice serve --nats`: the NATS connection, the estimators' lease and the publisher that
// puts the live state on the bus for edges (src/bus/), loaded only when asked for. In: the NATS
// target, the source and the history. Out: the instance name (the documents' "served_by"), start
// and close.

import type { NatsTarget } from '../bus/nats-target.ts';
import { UserError } from '../errors.ts';
import type { HistoryReader } from '../live/readers.ts';
import type { Source } from './serve-source.ts';

export interface Publishing {
  instance: string;
  /** A sentence for /health while the NATS connection is down; null while it is up. */
  problem(): string | null;
  /** Resolves when the NATS connection has ended for good: null if closed here, else why serve must stop. */
  ended: Promise<UserError | null>;
  start(): void;
  close(): Promise<void>;
}

export async function openPublisher(
  target: NatsTarget,
  source: Source,
  history: HistoryReader | undefined,
  status: (line: string) => void,
): Promise<Publishing> {
  const { isNetworkName } = await import('../bus/bus-protocol.ts');
  const { openBus } = await import('../bus/bus-start.ts');
  const { BusPublisher } = await import('../bus/publisher.ts');
  const { BusLink } = await import('../bus/bus-link.ts');
  if (!isNetworkName(source.network))
    throw new UserError(`serve: --nats does not know network ${source.network}`);
  const bus = await openBus(target, 'estimator');
  const publisher = new BusPublisher({
    nc: bus.nc,
    kv: bus.kv,
    network: source.network,
    feed: source.feed,
    history,
    blocks: source.blocks,
    instance: bus.instance,
    log: status,
  });
  status(
    `NATS: ${bus.instance} joined ${target.shown} (credentials: ${target.authKind}) for the ${source.network} ` +
      'network; publishing once it holds the lease, standing by while another estimator does',
  );
  const link = new BusLink(bus.nc, {
    shown: target.shown,
    consequence: 'the edges get no updates from this estimator',
    log: status,
  });
  return {
    instance: bus.instance,
    problem: () => link.problem(),
    ended: bus.ended,
    start: () => publisher.start(),
    close: async () => {
      await publisher.stop();
      await bus.nc.close().catch(() => {});
    },
  };
}
