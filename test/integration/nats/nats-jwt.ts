// Decentralised NATS logins for tests, made here with the NKeys the NATS client already brings (no
// nsc, nothing downloaded): an operator, an account with JetStream, and a user, each JWT signed by
// the key above it. Out: the lines for nats-server's configuration (the operator, and the account
// preloaded in a memory resolver) and the text of the user's credentials file, as nsc writes one.
// A JWT is `header.claims.signature`, each base64url; the signature is the issuer's Ed25519 over the
// first two parts.

import { createHash } from 'node:crypto';
import { nkeys } from '@nats-io/transport-node';

type KeyPair = ReturnType<typeof nkeys.createUser>;

const b64url = (data: Uint8Array | string) => Buffer.from(data).toString('base64url');
const text = (bytes: Uint8Array) => new TextDecoder().decode(bytes);

function sign(
  issuer: KeyPair,
  subject: string,
  name: string,
  nats: Record<string, unknown>,
  expires?: number,
): string {
  const header = b64url(JSON.stringify({ typ: 'JWT', alg: 'ed25519-nkey' }));
  const claims: Record<string, unknown> = {
    jti: '',
    iat: Math.floor(Date.now() / 1000),
    iss: issuer.getPublicKey(),
    name,
    sub: subject,
    nats: { ...nats, version: 2 },
  };
  if (expires !== undefined) claims.exp = expires;
  claims.jti = createHash('sha256').update(JSON.stringify(claims)).digest('hex').slice(0, 52).toUpperCase();
  const payload = b64url(JSON.stringify(claims));
  const signature = b64url(issuer.sign(new TextEncoder().encode(`${header}.${payload}`)));
  return `${header}.${payload}.${signature}`;
}

export interface JwtLogin {
  /** nats-server configuration lines: operator mode, the account preloaded. */
  config: string;
  /** A user credentials file's text (JWT and seed). */
  creds: string;
  /** The user's seed, to check it never shows. */
  seed: string;
  /** Another user of the same account, its JWT expiring at `expires` (Unix seconds) if given: a renewal. */
  userCreds(expires?: number): { creds: string; seed: string; expiresAt: number };
}

/** An operator, an account allowed JetStream (and the system account), and one user of it. */
export function makeJwtLogin(): JwtLogin {
  const operator = nkeys.createOperator();
  const account = nkeys.createAccount();
  // JetStream in operator mode needs the server's own (system) account.
  const system = nkeys.createAccount();
  const operatorJwt = sign(operator, operator.getPublicKey(), 'chainprice-test-operator', {
    type: 'operator',
    system_account: system.getPublicKey(),
  });
  const systemJwt = sign(operator, system.getPublicKey(), 'SYS', {
    type: 'account',
    default_permissions: { pub: {}, sub: {} },
  });
  const unlimited = { subs: -1, data: -1, payload: -1, imports: -1, exports: -1, wildcards: true };
  const accountJwt = sign(operator, account.getPublicKey(), 'chainprice', {
    type: 'account',
    limits: {
      ...unlimited,
      conn: -1,
      leaf: -1,
      mem_storage: -1,
      disk_storage: -1,
      streams: -1,
      consumer: -1,
    },
    default_permissions: { pub: {}, sub: {} },
  });
  const userCreds = (expires?: number) => {
    const user = nkeys.createUser();
    const userJwt = sign(
      account,
      user.getPublicKey(),
      'chainprice-service',
      { type: 'user', pub: {}, sub: {}, subs: -1, data: -1, payload: -1 },
      expires,
    );
    const seed = text(user.getSeed());
    const creds = [
      '-----BEGIN NATS USER JWT-----',
      userJwt,
      '------END NATS USER JWT------',
      '',
      '************************* IMPORTANT *************************',
      'NKEY Seed printed below can be used to sign and prove identity.',
      'NKEYs are sensitive and should be treated as secrets.',
      '',
      '-----BEGIN USER NKEY SEED-----',
      seed,
      '------END USER NKEY SEED------',
      '',
    ].join('\n');
    return { creds, seed, expiresAt: expires === undefined ? Number.POSITIVE_INFINITY : expires * 1000 };
  };
  const { creds, seed } = userCreds();
  const config = [
    `operator: "${operatorJwt}"`,
    'resolver: MEMORY',
    `system_account: ${system.getPublicKey()}`,
    `resolver_preload: { ${account.getPublicKey()}: "${accountJwt}", ${system.getPublicKey()}: "${systemJwt}" }`,
  ].join('\n');
  return { config, creds, seed, userCreds };
}
