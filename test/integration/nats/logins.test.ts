// Logging in to a nats-server that has authorisation on, as a user runs the commands: with a token,
// an NKey, and a credentials file (a user JWT and its seed, the server in operator mode), for both
// the publishing estimator (`serve --demo --nats`) and an edge. The credential comes only from the
// environment; the right one serves the price end to end (a client of the edge gets the estimator's
// snapshot); it never shows in the output, /health, /metrics or the command line of either. A wrong
// or missing one ends each command at once with exit code 1 and one sentence and a hint, no stack
// trace; so does a login refused later, when the server's credentials change while they run.

import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, test } from 'node:test';
import { nkeys } from '@nats-io/transport-node';
import type { PriceMessage } from '../../../src/server/protocol.ts';
import { openClient } from '../../server/ws-client.ts';
import { sleep, waitFor } from '../../support/wait.ts';
import { healthy, logsOf, type Run, runCli, servedAt, waitForLine } from './cli-run.ts';
import { makeJwtLogin } from './nats-jwt.ts';
import { NatsServer, NO_NATS } from './nats-server.ts';

const dir = mkdtempSync(join(tmpdir(), 'chainprice-nats-logins-'));
after(() => rmSync(dir, { recursive: true, force: true }));

const publisherArgs = (url: string) => ['serve', '--demo', '--no-history', '--port', '0', '--nats', url];
const edgeArgs = (url: string) => ['edge', '--nats', url, '--network', 'demo', '--port', '0'];

interface Login {
  kind: 'token' | 'nkey' | 'creds';
  /** nats-server's configuration lines for it. */
  config: string;
  right: Record<string, string>;
  wrong: Record<string, string>;
  /** What must never show (the token, the seed, the JWT). */
  secrets: string[];
}

function tokenLogin(): Login {
  const token = `tok-${Math.random().toString(36).slice(2)}-9f3`;
  return {
    kind: 'token',
    config: `authorization { token: "${token}" }`,
    right: { CHAINPRICE_NATS_TOKEN: token },
    wrong: { CHAINPRICE_NATS_TOKEN: `${token}-wrong` },
    secrets: [token],
  };
}

function nkeyLogin(): Login {
  const user = nkeys.createUser();
  const other = nkeys.createUser();
  const seed = new TextDecoder().decode(user.getSeed());
  const otherSeed = new TextDecoder().decode(other.getSeed());
  return {
    kind: 'nkey',
    config: `authorization { users: [ { nkey: ${user.getPublicKey()} } ] }`,
    right: { CHAINPRICE_NATS_NKEY: seed },
    wrong: { CHAINPRICE_NATS_NKEY: otherSeed },
    secrets: [seed, otherSeed],
  };
}

function credsLogin(): Login {
  const login = makeJwtLogin();
  // A user of another operator's account: a well-formed file the server does not trust.
  const stranger = makeJwtLogin();
  const right = join(dir, 'chainprice.creds');
  const wrong = join(dir, 'stranger.creds');
  writeFileSync(right, login.creds, { mode: 0o600 });
  writeFileSync(wrong, stranger.creds, { mode: 0o600 });
  const jwtOf = (creds: string) => creds.split('\n')[1];
  return {
    kind: 'creds',
    config: login.config,
    right: { CHAINPRICE_NATS_CREDS: right },
    wrong: { CHAINPRICE_NATS_CREDS: wrong },
    secrets: [login.seed, jwtOf(login.creds), stranger.seed],
  };
}

function assertNoSecret(where: string, text: string, secrets: string[]): void {
  for (const secret of secrets) assert.ok(!text.includes(secret), `${where} shows a credential`);
}

/** A command refused by the server: exit 1, one sentence naming the kind of credential, a hint, no stack. */
async function assertRefused(run: Run, kind: string, secrets: string[]): Promise<string> {
  assert.equal(await run.exited, 1, run.stderr());
  const out = run.stderr();
  assert.match(
    out,
    new RegExp(
      `^chainprice: NATS at nats://127\\.0\\.0\\.1:\\d+ refused the credentials \\(${kind}\\)\\nhint: check the CHAINPRICE_NATS_… variables[^\\n]*\\n$`,
    ),
  );
  assert.ok(!out.includes('    at '), 'no stack trace');
  assertNoSecret('the refusal', out, secrets);
  return out.split('\n', 1)[0];
}

describe('logins against nats-server with authorisation on', { skip: NO_NATS, timeout: 180_000 }, () => {
  for (const make of [tokenLogin, nkeyLogin, credsLogin]) {
    const login = make();
    test(`${login.kind}: serve and edge log in with it from the environment, and it never shows; a wrong or missing one is one sentence and exit 1`, async () => {
      const nats = await NatsServer.start({ config: login.config });
      try {
        const started = Date.now();
        const refused = {
          'serve, wrong': runCli(publisherArgs(nats.url), login.wrong),
          'edge, wrong': runCli(edgeArgs(nats.url), login.wrong),
          'serve, missing': runCli(publisherArgs(nats.url)),
          'edge, missing': runCli(edgeArgs(nats.url)),
        };
        for (const [name, run] of Object.entries(refused)) {
          const kind = name.endsWith('missing') ? 'none' : login.kind;
          console.log(`# ${login.kind}, ${name}: ${await assertRefused(run, kind, login.secrets)}`);
        }
        console.log(`# ${login.kind}: the four refused commands ended within ${Date.now() - started} ms`);

        const publisher = runCli(publisherArgs(nats.url), login.right);
        const edge = runCli(edgeArgs(nats.url), login.right);
        const logs = () => logsOf({ publisher, edge });
        await waitForLine(publisher, new RegExp(`joined \\S+ \\(credentials: ${login.kind}\\)`), 60_000);
        await waitForLine(publisher, /lease for demo: acquired/, 60_000);
        await waitForLine(edge, new RegExp(`from NATS at \\S+ \\(credentials: ${login.kind}\\)`), 60_000);
        const [publisherUrl, edgeUrl] = [await servedAt(publisher), await servedAt(edge)];
        await healthy(edge, edgeUrl, 60_000);
        const client = await openClient(`${edgeUrl.replace('http', 'ws')}ws/mempool`);
        const snapshot = (await client.message(0, 10_000)) as PriceMessage;
        client.close();
        assert.equal(snapshot.type, 'snapshot', logs());
        assert.match(String(snapshot.served_by), /^edge@/);
        assert.ok(snapshot.transactions.length > 0, 'the estimator’s window came through NATS');
        for (const [name, url] of [
          ['the publisher', publisherUrl],
          ['the edge', edgeUrl],
        ]) {
          for (const path of ['health', 'metrics']) {
            const body = await (await fetch(`${url}${path}`)).text();
            assert.ok(body.length > 100, `${name}'s /${path} answered`);
            assertNoSecret(`${name}'s /${path}`, body, login.secrets);
          }
        }
        for (const [name, run] of [
          ['the publisher', publisher],
          ['the edge', edge],
        ] as const) {
          const commandLine = readFileSync(`/proc/${run.child.pid}/cmdline`, 'utf8');
          assertNoSecret(`${name}'s command line (ps)`, commandLine, login.secrets);
        }
        publisher.child.kill('SIGTERM');
        edge.child.kill('SIGTERM');
        assert.equal(await edge.exited, 0, logs());
        assert.equal(await publisher.exited, 0, logs());
        assertNoSecret('the output', logs(), login.secrets);
      } finally {
        await nats.dispose();
      }
    });
  }

  test('the token changed on the server while running (a reload): serve and edge stop with one sentence, exit 1', async () => {
    const before = tokenLogin();
    const nats = await NatsServer.start({ config: before.config });
    try {
      const publisher = runCli(publisherArgs(nats.url), before.right);
      await waitForLine(publisher, /lease for demo: acquired/, 60_000);
      const edge = runCli(edgeArgs(nats.url), before.right);
      await healthy(edge, await servedAt(edge), 60_000);
      const after = tokenLogin();
      const reloaded = Date.now();
      await nats.reload(after.config);
      for (const [name, run] of [
        ['serve', publisher],
        ['edge', edge],
      ] as const) {
        assert.equal(await run.exited, 1, run.stderr());
        const tookMs = Date.now() - reloaded;
        const out = run.stderr();
        assert.match(
          out,
          /\nchainprice: NATS at nats:\/\/127\.0\.0\.1:\d+ refused the credentials \(token\) when reconnecting, so this service stops\nhint: check the CHAINPRICE_NATS_… variables[^\n]*\n$/,
        );
        assert.ok(!out.includes('    at '), 'no stack trace');
        assertNoSecret(name, out, [...before.secrets, ...after.secrets]);
        console.log(
          `# ${name} stopped ${tookMs} ms after the server's token changed: ${out.trim().split('\n').at(-2)}`,
        );
      }
    } finally {
      await nats.dispose();
    }
  });

  test('a user JWT renewed in its credentials file before it expires: serve and edge go on with the new one', async () => {
    const login = makeJwtLogin();
    const nats = await NatsServer.start({ config: login.config });
    const file = join(dir, 'renewed.creds');
    // Expires in 8 s (the commands start meanwhile); renewed in place 2 s before.
    const expiring = login.userCreds(Math.floor(Date.now() / 1000) + 8);
    writeFileSync(file, expiring.creds, { mode: 0o600 });
    const env = { CHAINPRICE_NATS_CREDS: file };
    try {
      const publisher = runCli(publisherArgs(nats.url), env);
      const edge = runCli(edgeArgs(nats.url), env);
      const logs = () => logsOf({ publisher, edge });
      await waitForLine(publisher, /lease for demo: acquired/, 60_000);
      const edgeUrl = await servedAt(edge);
      const renewed = login.userCreds();
      await sleep(Math.max(0, expiring.expiresAt - 2_000 - Date.now())); // the renewal's moment is the test
      writeFileSync(file, renewed.creds, { mode: 0o600 });
      // nats-server cuts off a user whose JWT expired: the edge says it lost NATS, and reconnects.
      const said = edge.stderr().length;
      await waitFor(() => /NATS: reconnected to/.test(edge.stderr().slice(said)), {
        what: 'the edge to be cut off at the expiry and to reconnect',
        timeoutMs: 15_000,
        detail: logs,
      });
      assert.match(edge.stderr().slice(said), /lost the connection/);
      await healthy(edge, edgeUrl, 20_000);
      const backMs = Date.now() - expiring.expiresAt;
      await sleep(2_000); // the assertion: both still run two seconds on
      assert.equal(publisher.child.exitCode, null, `serve goes on\n${logs()}`);
      assert.equal(edge.child.exitCode, null, `edge goes on\n${logs()}`);
      assert.ok(!/refused the credentials/.test(logs()), logs());
      console.log(
        `# renewed creds: the edge was cut off at the expiry and healthy again ${backMs} ms after it, with the renewed file; serve and edge went on`,
      );
    } finally {
      await nats.dispose();
    }
  });

  test('a credentials file that is not there, or is not one: one sentence before connecting', async () => {
    const notThere = join(dir, 'nowhere.creds');
    const notOne = join(dir, 'not-creds.txt');
    writeFileSync(notOne, 'user: chainprice\npassword: hunter2\n');
    for (const args of [edgeArgs('nats://127.0.0.1:1'), publisherArgs('nats://127.0.0.1:1')]) {
      const missing = runCli(args, { CHAINPRICE_NATS_CREDS: notThere });
      assert.equal(await missing.exited, 1);
      assert.match(
        missing.stderr(),
        /^chainprice: cannot read the NATS credentials file \S+nowhere\.creds \(CHAINPRICE_NATS_CREDS\): there is no such file\nhint: /,
      );
      const bad = runCli(args, { CHAINPRICE_NATS_CREDS: notOne });
      assert.equal(await bad.exited, 1);
      assert.match(
        bad.stderr(),
        /^chainprice: \S+not-creds\.txt \(CHAINPRICE_NATS_CREDS\) is not a NATS credentials file\nhint: /,
      );
      assert.ok(!bad.stderr().includes('hunter2'), 'the file’s content never shows');
    }
  });
});
