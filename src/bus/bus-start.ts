// What `serve --nats` and `edge` share: the connection, the lease bucket, an instance name, the
// one-line log of what was joined (servers and network, never a credential), and the end of the
// connection for good (the server refused the login again while reconnecting), which stops the
// command with one sentence (untilStopped).

import { hostname } from 'node:os';
import { type KV, Kvm } from '@nats-io/kv';
import type { NatsConnection } from '@nats-io/transport-node';
import { UserError } from '../errors.ts';
import { LEASE_BUCKET } from './bus-protocol.ts';
import { busError, connectionEnded, connectNats } from './nats-connect.ts';
import type { NatsTarget } from './nats-target.ts';

export interface Bus {
  nc: NatsConnection;
  kv: KV;
  /** `<role>@<host>/<pid>`: shown as `served_by`, and the start of this process's lease epochs. */
  instance: string;
  /** Resolves when the connection has ended for good: null if closed here, else why the service must stop. */
  ended: Promise<UserError | null>;
}

/** Buses opened by this process: a second one (tests, benchmarks) gets `.2` so epochs never collide. */
let opened = 0;

export async function openBus(target: NatsTarget, role: 'estimator' | 'edge'): Promise<Bus> {
  opened += 1;
  const instance = `${role}@${hostname()}/${process.pid}${opened > 1 ? `.${opened}` : ''}`;
  const nc = await connectNats(target, `chainprice ${instance}`);
  try {
    // History 1 and no TTL: the key holds one small value, rewritten each second by the holder.
    const kv = await new Kvm(nc).create(LEASE_BUCKET, { history: 1 });
    return { nc, kv, instance, ended: connectionEnded(nc, target) };
  } catch (error) {
    await nc.close().catch(() => {});
    const text = busError(error);
    if (/jetstream (is )?not enabled|no responders|503/i.test(text)) {
      throw new UserError(`NATS at ${target.shown} has no JetStream, which the estimators' lease needs`, {
        hint: 'start nats-server with -js (or "jetstream: enabled" in its configuration); see docs/deploy-nats.md',
      });
    }
    throw new UserError(`cannot open the lease bucket ${LEASE_BUCKET} on NATS at ${target.shown} (${text})`, {
      hint: 'the NATS user needs JetStream access to $KV.chainprice_leases.> and $JS.API.>',
    });
  }
}

/**
 * The command's exit code: the service's own (a signal closed it), or, if the bus ended for good
 * first, the service closed by `close` and that sentence thrown (exit 1, as for a refused login at
 * start).
 */
export function untilStopped(
  service: { stopped: Promise<number>; uninstall(): void },
  ended: Promise<UserError | null>,
  close: () => Promise<void>,
): Promise<number> {
  return new Promise<number>((resolve, reject) => {
    void service.stopped.then(resolve);
    void ended.then(async (error) => {
      if (error === null) return;
      service.uninstall();
      await close().catch(() => {});
      reject(error);
    });
  });
}
