// Where NATS is and how to log in (pure, no NATS client loaded): the server URL(s) from `--nats` or
// CHAINPRICE_NATS, credentials from the environment only (user and password, a token, an NKey
// seed, or the path of a credentials file: a user JWT and its seed, as nsc writes it; the file is
// read when connecting, nats-connect.ts). A bad one is one sentence and a hint. Credentials are never printed: `shown` is the URL as
// it may be logged, and `authKind` names the kind of credential, never its value.

import { UserError } from '../errors.ts';

export interface NatsTarget {
  /** The servers, comma-separated in the flag (a cluster). */
  servers: string[];
  /** What may be logged: the servers, never a credential. */
  shown: string;
  auth: { user?: string; pass?: string; token?: string; nkeySeed?: string; credsFile?: string };
  /** Which kind of credential was given, for the log line ("token", …) — never its value. */
  authKind: 'none' | 'user' | 'token' | 'nkey' | 'creds';
}

export const NATS_ENV_HELP = `NATS credentials come from the environment only (never from flags, which show in ps):
  CHAINPRICE_NATS_USER and CHAINPRICE_NATS_PASSWORD   user and password
  CHAINPRICE_NATS_TOKEN                               a token
  CHAINPRICE_NATS_NKEY                                an NKey seed (SU…)
  CHAINPRICE_NATS_CREDS                               the path of a credentials file (user JWT and seed)`;

/** Reads and checks the URL(s) and the credentials; throws UserError naming `flag` on a bad one. */
export function natsTarget(
  urls: string,
  env: Record<string, string | undefined>,
  flag: string,
  hint: string,
): NatsTarget {
  const servers = urls
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean);
  if (servers.length === 0)
    throw new UserError(`${flag} needs a NATS URL such as nats://127.0.0.1:4222`, { hint });
  for (const server of servers) {
    let url: URL;
    try {
      url = new URL(server.includes('://') ? server : `nats://${server}`);
    } catch {
      throw new UserError(`${flag}: "${server}" is not a URL such as nats://127.0.0.1:4222`, { hint });
    }
    if (url.protocol !== 'nats:' && url.protocol !== 'tls:') {
      throw new UserError(`${flag}: "${server}" must start with nats:// or tls://`, { hint });
    }
    if (url.username || url.password) {
      throw new UserError(`${flag}: credentials do not belong in the URL (it shows in ps and logs)`, {
        hint: 'set CHAINPRICE_NATS_USER and CHAINPRICE_NATS_PASSWORD (or CHAINPRICE_NATS_TOKEN) instead',
      });
    }
  }
  const user = env.CHAINPRICE_NATS_USER || undefined;
  const pass = env.CHAINPRICE_NATS_PASSWORD || undefined;
  const token = env.CHAINPRICE_NATS_TOKEN || undefined;
  const nkey = env.CHAINPRICE_NATS_NKEY || undefined;
  const creds = env.CHAINPRICE_NATS_CREDS || undefined;
  const given = [
    user !== undefined || pass !== undefined,
    token !== undefined,
    nkey !== undefined,
    creds !== undefined,
  ];
  if (given.filter(Boolean).length > 1) {
    throw new UserError('more than one kind of NATS credential is set in the environment', {
      hint: 'set only one of CHAINPRICE_NATS_USER/PASSWORD, CHAINPRICE_NATS_TOKEN, CHAINPRICE_NATS_NKEY or CHAINPRICE_NATS_CREDS',
    });
  }
  if ((user === undefined) !== (pass === undefined)) {
    throw new UserError('CHAINPRICE_NATS_USER and CHAINPRICE_NATS_PASSWORD go together: one is missing', {
      hint: 'set both, or neither',
    });
  }
  const shown = servers.join(',');
  if (user !== undefined) return { servers, shown, auth: { user, pass }, authKind: 'user' };
  if (token !== undefined) return { servers, shown, auth: { token }, authKind: 'token' };
  if (nkey !== undefined) {
    if (!/^SU[A-Z2-7]{56}$/.test(nkey.trim())) {
      throw new UserError('CHAINPRICE_NATS_NKEY is not a user NKey seed (58 characters starting with SU)', {
        hint: 'nk -gen user -pubout prints a seed and its public key',
      });
    }
    return { servers, shown, auth: { nkeySeed: nkey.trim() }, authKind: 'nkey' };
  }
  if (creds !== undefined) return { servers, shown, auth: { credsFile: creds }, authKind: 'creds' };
  return { servers, shown, auth: {}, authKind: 'none' };
}
