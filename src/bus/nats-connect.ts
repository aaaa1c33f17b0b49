// Connecting to NATS (see nats-target.ts for where and how to log in): a first connection whose
// failure becomes one sentence and a hint; afterwards the client reconnects by itself, forever.

import { connect, type NatsConnection, nkeyAuthenticator } from '@nats-io/transport-node';
import { UserError } from '../errors.ts';
import type { NatsTarget } from './nats-target.ts';

/** Milliseconds between reconnect attempts: quick enough that a restarted server is found within a second or two. */
const RECONNECT_WAIT_MS = 500;

/** Connects once (failing with one sentence), then reconnects by itself for as long as the process runs. */
export async function connectNats(target: NatsTarget, name: string): Promise<NatsConnection> {
  try {
    return await connect({
      servers: target.servers,
      name,
      user: target.auth.user,
      pass: target.auth.pass,
      token: target.auth.token,
      authenticator:
        target.auth.nkeySeed === undefined
          ? undefined
          : nkeyAuthenticator(new TextEncoder().encode(target.auth.nkeySeed)),
      maxReconnectAttempts: -1,
      reconnectTimeWait: RECONNECT_WAIT_MS,
      reconnectJitter: 100,
      pingInterval: 5_000,
      maxPingOut: 2,
      timeout: 5_000,
    });
  } catch (error) {
    throw connectError(error, target);
  }
}

function connectError(error: unknown, target: NatsTarget): UserError {
  const text = error instanceof Error ? `${error.name} ${error.message}` : String(error);
  if (/authoriz|authenticat|permission/i.test(text)) {
    return new UserError(`NATS at ${target.shown} refused the credentials (${target.authKind})`, {
      hint: `check the CHAINPRICE_NATS_… variables against the server's authorization settings`,
    });
  }
  return new UserError(`cannot reach NATS at ${target.shown}`, {
    hint: 'is nats-server running there (nats-server -js -a 127.0.0.1 -p 4222)? See docs/deploy-nats.md',
  });
}

/** The one line a failure of the bus gets in the log: message only, and credentials cannot be in it. */
export function busError(error: unknown): string {
  return (error instanceof Error ? error.message : String(error)).split('\n', 1)[0];
}
