// Connecting to NATS (see nats-target.ts for where and how to log in): a first connection whose
// failure becomes one sentence and a hint; afterwards the client reconnects by itself, until the
// server refuses the login again (connectionEnded). A credentials file is read and checked here,
// before connecting, so a wrong path or a file that is not one says so (and its content never
// shows); it is read again at each reconnection, so a user JWT renewed in place is picked up.

import { readFileSync } from 'node:fs';
import {
  type Authenticator,
  connect,
  credsAuthenticator,
  type NatsConnection,
  nkeyAuthenticator,
  nkeys,
} from '@nats-io/transport-node';
import { UserError } from '../errors.ts';
import type { NatsTarget } from './nats-target.ts';

/** Milliseconds between reconnect attempts: quick enough that a restarted server is found within a second or two. */
const RECONNECT_WAIT_MS = 500;

/** Connects once (failing with one sentence), then reconnects by itself for as long as the process runs. */
export async function connectNats(target: NatsTarget, name: string): Promise<NatsConnection> {
  const authenticator = authenticatorOf(target);
  try {
    return await connect({
      servers: target.servers,
      name,
      user: target.auth.user,
      pass: target.auth.pass,
      token: target.auth.token,
      authenticator,
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

function authenticatorOf(target: NatsTarget): Authenticator | undefined {
  const { nkeySeed, credsFile } = target.auth;
  if (nkeySeed !== undefined) return nkeyAuthenticator(new TextEncoder().encode(nkeySeed));
  if (credsFile !== undefined) {
    let creds = readCreds(credsFile);
    return credsAuthenticator(() => {
      try {
        creds = readCreds(credsFile);
      } catch {} // keep the last good one: the server says whether it still is
      return creds;
    });
  }
  return undefined;
}

/** The `-----BEGIN …-----` blocks of a credentials file: the user JWT, then the user's seed. */
const CREDS_BLOCK = /-{3,}[^\n]*-{3,}\n\s*(\S+)\s*\n\s*-{3,}[^\n]*-{3,}/g;

/** Reads CHAINPRICE_NATS_CREDS's file and checks it holds a JWT and a user seed; one sentence if not. */
function readCreds(path: string): Uint8Array {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (error) {
    const why =
      (error as NodeJS.ErrnoException).code === 'ENOENT' ? 'there is no such file' : busError(error);
    throw new UserError(`cannot read the NATS credentials file ${path} (CHAINPRICE_NATS_CREDS): ${why}`, {
      hint: 'give the path of the .creds file nsc wrote for this user (readable by this service)',
    });
  }
  const blocks = [...text.matchAll(CREDS_BLOCK)].map((m) => m[1]);
  let seedOk = false;
  try {
    seedOk =
      blocks.length >= 2 &&
      nkeys.fromSeed(new TextEncoder().encode(blocks[1])).getPublicKey().startsWith('U');
  } catch {}
  if (blocks.length < 2 || blocks[0].split('.').length !== 3 || !seedOk) {
    throw new UserError(`${path} (CHAINPRICE_NATS_CREDS) is not a NATS credentials file`, {
      hint: "a .creds file holds a user JWT and the user's NKey seed, as nsc generate creds writes them",
    });
  }
  return new TextEncoder().encode(text);
}

const errorText = (error: unknown) =>
  error instanceof Error ? `${error.name} ${error.message}` : String(error);
const isRefusedLogin = (error: unknown) => /authoriz|authenticat|permission/i.test(errorText(error));

function refusedLogin(target: NatsTarget, when: string): UserError {
  return new UserError(`NATS at ${target.shown} refused the credentials (${target.authKind})${when}`, {
    hint: `check the CHAINPRICE_NATS_… variables against the server's authorization settings`,
  });
}

/**
 * Resolves once the connection has ended for good: null when this process closed it, else the
 * sentence to stop with. The client gives up reconnecting only when the server refuses the login
 * again (its credentials were changed or revoked while we ran): retrying the same credentials
 * would be refused for ever, silently.
 */
export async function connectionEnded(nc: NatsConnection, target: NatsTarget): Promise<UserError | null> {
  const error = await nc.closed();
  if (error === undefined) return null;
  if (isRefusedLogin(error)) return refusedLogin(target, ' when reconnecting, so this service stops');
  return new UserError(
    `the connection to NATS at ${target.shown} ended (${busError(error)}), so this service stops`,
    {
      hint: 'see the NATS server log; restart this service once it accepts connections again',
    },
  );
}

function connectError(error: unknown, target: NatsTarget): UserError {
  if (isRefusedLogin(error)) return refusedLogin(target, '');
  return new UserError(`cannot reach NATS at ${target.shown}`, {
    hint: 'is nats-server running there (nats-server -js -a 127.0.0.1 -p 4222)? See docs/deploy-nats.md',
  });
}

/** The one line a failure of the bus gets in the log: message only, and credentials cannot be in it. */
export function busError(error: unknown): string {
  return (error instanceof Error ? error.message : String(error)).split('\n', 1)[0];
}
