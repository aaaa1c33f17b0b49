// The commands as a user runs them, against a real nats-server: two `chainprice serve --demo --nats`
// (one publishes, one stands by; their markets far apart, so a mix would show) and an edge. Killing
// the publisher (SIGKILL) hands over to the stand-by within 5 s, and the edge's client sees one
// fresh snapshot of the new market and never a point or price of the old one after it. Pausing the
// publisher (SIGSTOP … SIGCONT) does the same, and the old one, back, stands by instead of
// publishing. Credentials come from the environment and never show; bad input is one sentence and
// a hint.

import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { parseEdgeArgs } from '../../../src/commands/edge-options.ts';
import { parseServeArgs } from '../../../src/commands/serve-options.ts';
import type { PriceMessage, ServerMessage } from '../../../src/server/protocol.ts';
import { openClient, type TestClient } from '../../server/ws-client.ts';
import { waitFor } from '../../support/wait.ts';
import { logsOf, type Run, runCli, waitForLine } from './cli-run.ts';
import { NatsServer, NO_NATS } from './nats-server.ts';

const isPrice = (m: ServerMessage): m is PriceMessage => m.type === 'snapshot' || m.type === 'update';

/** A demo estimator whose market starts at `price`, 4 transactions a real second. */
function estimator(nats: string, price: number): Run {
  return runCli([
    'serve',
    '--demo',
    '--demo-rate',
    '1',
    '--demo-speed',
    '4',
    '--demo-price',
    String(price),
    '--no-history',
    '--port',
    '0',
    '--nats',
    nats,
  ]);
}

/**
 * Waits until a demo estimator has its market: it says it serves before its pre-fill of simulated
 * transactions is done (a few seconds; more on a loaded machine), and a stand-by that takes over
 * before then hands over an empty window with no price.
 */
async function marketReady(run: Run): Promise<void> {
  await waitForLine(run, /demo: \d+ transactions and \d+ blocks in/, 60_000);
}

async function edgeClient(nats: string): Promise<{ edge: Run; client: TestClient; url: string }> {
  const edge = runCli(['edge', '--nats', nats, '--network', 'demo', '--port', '0']);
  const [, url] = await waitForLine(edge, /on (http:\/\/\S+\/)/, 20_000);
  await waitFor(
    async () => {
      const health = await fetch(`${url}health`);
      return { status: health.status, problems: ((await health.json()) as { problems: string[] }).problems };
    },
    {
      what: 'the edge to be healthy',
      until: (health) => health.status === 200,
      timeoutMs: 20_000,
      everyMs: 100,
      detail: () => edge.stderr(),
    },
  );
  const client = await openClient(`${url.replace('http', 'ws')}ws/mempool`);
  await client.message(0);
  return { edge, client, url };
}

/** Cheap (≤ 45,000) or dear (≥ 75,000): the two markets are far apart, so any mix shows. */
const CHEAP = 30_000;
const DEAR = 120_000;
const isDear = (p: number) => p > 75_000;
const isCheap = (p: number) => p < 45_000;

/** The client's messages from `from` on, one a line, for a failure message. */
function messagesOf(client: TestClient, from: number): string {
  return client.messages
    .slice(from)
    .map((m) =>
      isPrice(m)
        ? `${m.seq} ${m.type} ${m.price} (${m.transactions.length} points)`
        : `${m.type} ${'code' in m ? m.code : ''}`,
    )
    .join('\n');
}

/** Checks the client's messages from `from` on: cheap until a snapshot, dear from it on, nothing mixed. */
function assertHandedOver(client: TestClient, from: number, logs = () => ''): PriceMessage {
  const later = client.messages.slice(from).filter(isPrice);
  const switchAt = later.findIndex((m) => m.price !== null && isDear(m.price));
  assert.ok(switchAt >= 0, 'the new market arrives');
  const first = later[switchAt];
  assert.equal(
    first.type,
    'snapshot',
    `the new publisher arrives as a fresh snapshot; the client got:\n${messagesOf(client, from)}\n${logs()}`,
  );
  for (const m of later.slice(0, switchAt)) {
    assert.ok(m.price === null || isCheap(m.price), `before the hand-over only the old market (${m.price})`);
  }
  for (const m of later.slice(switchAt)) {
    assert.ok(m.price !== null && isDear(m.price), `after the hand-over only the new market (${m.price})`);
    for (const t of m.transactions)
      assert.ok(t.price > 60_000, `no old evidence after the hand-over (${t.price})`);
  }
  return first;
}

describe('stand-by estimator', { skip: NO_NATS, timeout: 180_000 }, () => {
  test('the publisher killed: the stand-by publishes within 5 s, and the edge’s client sees one fresh snapshot, no mix', async () => {
    const nats = await NatsServer.start();
    try {
      const first = estimator(nats.url, CHEAP);
      await waitForLine(first, /lease for demo: acquired/, 60_000);
      const second = estimator(nats.url, DEAR);
      await waitForLine(second, /serving the demo price/, 60_000);
      await Promise.all([marketReady(first), marketReady(second)]);
      const { client, url } = await edgeClient(nats.url);
      // A few updates (about 1.5 s of them) while both run: only the first's market.
      await waitFor(() => client.messages.filter((m) => m.type === 'update').length, {
        what: 'three updates through the edge',
        until: (n) => n >= 3,
        timeoutMs: 10_000,
      });
      assert.ok(client.messages.filter(isPrice).every((m) => m.price === null || isCheap(m.price)));
      assert.ok(!/acquired/.test(second.stderr()), 'the second stands by');

      const from = client.messages.length;
      const killed = Date.now();
      first.child.kill('SIGKILL');
      const snapshot = await client.waitFor(
        (m) => isPrice(m) && m.price !== null && isDear(m.price),
        from,
        10_000,
      );
      const tookMs = Date.now() - killed;
      console.log(`# take-over: the edge's client had the stand-by's snapshot ${tookMs} ms after the kill`);
      assert.ok(tookMs < 5_000, `take-over took ${tookMs} ms`);
      assert.equal(snapshot.type, 'snapshot');
      await client.waitFor((m) => m.type === 'update', client.messages.indexOf(snapshot), 5_000);
      assertHandedOver(client, from);
      assert.equal((await fetch(`${url}health`)).status, 200);
      assert.match(second.stderr(), /holder silent for [\d.]+ s; taking over/);
    } finally {
      await nats.dispose();
    }
  });

  test('the publisher paused and resumed: the stand-by takes over, and the old one stands by', async () => {
    const nats = await NatsServer.start();
    try {
      const first = estimator(nats.url, CHEAP);
      await waitForLine(first, /lease for demo: acquired/, 60_000);
      const second = estimator(nats.url, DEAR);
      await waitForLine(second, /serving the demo price/, 60_000);
      await Promise.all([marketReady(first), marketReady(second)]);
      const { client, edge } = await edgeClient(nats.url);
      const logs = () => logsOf({ first, second, edge });
      const from = client.messages.length;
      const paused = Date.now();
      first.child.kill('SIGSTOP');
      await waitForLine(second, /lease for demo: acquired/, 10_000);
      const acquired = Date.now();
      first.child.kill('SIGCONT');
      // The paused publisher still has its state subscription: the edge must not wait on it once
      // the stand-by holds the lease (it did, for its 3 s request timeout, before the fix).
      await waitFor(
        () => client.messages.slice(from).find((m) => isPrice(m) && m.price !== null && isDear(m.price)),
        {
          what: 'the stand-by’s market at the edge’s client',
          timeoutMs: 10_000,
          detail: logs,
        },
      );
      const followedMs = Date.now() - acquired;
      console.log(
        `# take-over: the edge's client had the stand-by's market ${Date.now() - paused} ms after the pause, ${followedMs} ms after the stand-by took the lease`,
      );
      // The lease's own timing (up to 4 s) is the kill test's; here the edge must follow at once
      // (it took up to 3 s more before the fix). Generous for a loaded machine: it takes ~0.1 s.
      assert.ok(followedMs < 2_000, `the edge followed ${followedMs} ms after the take-over\n${logs()}`);
      await waitForLine(first, /taken over by another estimator; standing by/, 10_000);
      // Whatever the old one still sends is ignored by the edge: three more updates after it stood by.
      const stoodBy = client.messages.length;
      await waitFor(() => client.messages.slice(stoodBy).filter((m) => m.type === 'update').length, {
        what: 'three updates after the old publisher stood by',
        until: (n) => n >= 3,
        timeoutMs: 10_000,
        detail: logs,
      });
      assertHandedOver(client, from, logs);
    } finally {
      await nats.dispose();
    }
  });
});

describe('the estimator loses NATS', { skip: NO_NATS, timeout: 120_000 }, () => {
  test('serve --nats says so in /health and its log while NATS is down, serves its own clients, and clears once back', async () => {
    const nats = await NatsServer.start();
    try {
      const serve = estimator(nats.url, CHEAP);
      await waitForLine(serve, /lease for demo: acquired/, 60_000);
      await marketReady(serve);
      const [, url] = await waitForLine(serve, /on (http:\/\/\S+\/)/, 10_000);
      const health = async () => {
        const res = await fetch(`${url}health`);
        return { status: res.status, problems: ((await res.json()) as { problems: string[] }).problems };
      };
      await waitFor(health, {
        what: 'serve to be healthy',
        until: (h) => h.status === 200,
        timeoutMs: 30_000,
      });
      await nats.stop(true);
      const down = await waitFor(health, {
        what: '/health to name the lost NATS connection',
        until: (h) =>
          h.problems.some((p) => /^not connected to NATS at nats:\/\/127\.0\.0\.1:\d+ for \d+ s/.test(p)),
        timeoutMs: 10_000,
        detail: () => serve.stderr(),
      });
      assert.equal(down.status, 503);
      assert.match(down.problems.join('; '), /the edges get no updates from this estimator\); reconnecting/);
      await waitForLine(serve, /NATS: lost the connection to nats:\/\/127\.0\.0\.1:\d+; reconnecting/, 5_000);
      // Its own price goes on meanwhile.
      const price = await (await fetch(`${url}api/v1/price`)).json();
      assert.equal(typeof (price as { price: unknown }).price, 'number');
      await nats.restart();
      await waitForLine(serve, /NATS: reconnected to nats:\/\/127\.0\.0\.1:\d+ after \d+\.\d s/, 20_000);
      await waitFor(health, {
        what: '/health to clear once NATS is back',
        until: (h) => h.status === 200,
        timeoutMs: 20_000,
        detail: () => serve.stderr(),
      });
      serve.child.kill('SIGTERM');
      assert.equal(await serve.exited, 0);
    } finally {
      await nats.dispose();
    }
  });
});

describe('credentials and bad input', { skip: NO_NATS, timeout: 60_000 }, () => {
  const PASSWORD = 'pw-7c1d9e';

  test('user and password from the environment: wrong ones are one sentence, and no password ever shows', async () => {
    const nats = await NatsServer.start({
      config: `authorization { user: chainprice, password: "${PASSWORD}" }`,
    });
    try {
      const wrong = runCli(['edge', '--nats', nats.url, '--network', 'demo', '--port', '0'], {
        CHAINPRICE_NATS_USER: 'chainprice',
        CHAINPRICE_NATS_PASSWORD: 'not-the-pw-4411',
      });
      assert.equal(await wrong.exited, 1);
      assert.match(
        wrong.stderr(),
        /^chainprice: NATS at nats:\/\/127\.0\.0\.1:\d+ refused the credentials \(user\)\nhint: /,
      );
      assert.ok(!wrong.stderr().includes('not-the-pw-4411') && !wrong.stderr().includes('    at '));

      const none = runCli(['edge', '--nats', nats.url, '--network', 'demo', '--port', '0']);
      assert.equal(await none.exited, 1);
      assert.match(none.stderr(), /refused the credentials \(none\)/);

      const right = runCli(['edge', '--nats', nats.url, '--network', 'demo', '--port', '0'], {
        CHAINPRICE_NATS_USER: 'chainprice',
        CHAINPRICE_NATS_PASSWORD: PASSWORD,
      });
      await waitForLine(right, /serving the demo price from NATS at \S+ \(credentials: user\)/, 20_000);
      right.child.kill('SIGTERM');
      assert.equal(await right.exited, 0);
      assert.ok(!right.stderr().includes(PASSWORD), 'the password is never logged');
    } finally {
      await nats.dispose();
    }
  });

  test('no NATS there, or no JetStream: one sentence and a hint', async () => {
    const nowhere = runCli(['edge', '--nats', 'nats://127.0.0.1:1', '--network', 'demo']);
    assert.equal(await nowhere.exited, 1);
    assert.match(
      nowhere.stderr(),
      /^chainprice: cannot reach NATS at nats:\/\/127\.0\.0\.1:1\nhint: is nats-server running/,
    );
    const nats = await NatsServer.start({ config: 'jetstream: disabled' });
    try {
      const run = runCli(['serve', '--demo', '--no-history', '--port', '0', '--nats', nats.url]);
      assert.equal(await run.exited, 1);
      assert.match(
        run.stderr(),
        /has no JetStream, which the estimators' lease needs\nhint: start nats-server with -js/,
      );
    } finally {
      await nats.dispose();
    }
  });
});

describe('options', () => {
  test('edge: flags over the environment; credentials only from the environment', () => {
    const o = parseEdgeArgs(['--network', 'demo', '--port', '9001'], {
      CHAINPRICE_NATS: 'nats://10.0.0.5:4222,nats://10.0.0.6:4222',
      CHAINPRICE_NATS_TOKEN: 's3cret',
    });
    assert.deepEqual(o.nats.servers, ['nats://10.0.0.5:4222', 'nats://10.0.0.6:4222']);
    assert.equal(o.nats.authKind, 'token');
    assert.ok(!o.nats.shown.includes('s3cret'));
    assert.equal(o.network, 'demo');
    assert.equal(o.port, 9001);
    assert.equal(parseEdgeArgs(['--nats', 'nats://a:1'], {}).network, 'main');
    assert.equal(parseServeArgs(['--demo', '--nats', 'nats://a:1'], {}).nats?.shown, 'nats://a:1');
    assert.equal(parseServeArgs(['--demo'], {}).nats, undefined);
    const creds = parseEdgeArgs(['--nats', 'nats://a:1'], {
      CHAINPRICE_NATS_CREDS: '/etc/chainprice/nats.creds',
    });
    assert.equal(creds.nats.authKind, 'creds');
    assert.equal(creds.nats.auth.credsFile, '/etc/chainprice/nats.creds');
  });

  for (const [args, env, pattern] of [
    [[], {}, /--nats URL is required/],
    [['--nats', 'nats://a:1', '--network', 'mars'], {}, /--network is one of demo, main/],
    [['--nats', 'http://a:1'], {}, /must start with nats:\/\/ or tls:\/\//],
    [['--nats', 'nats://u:p@a:1'], {}, /credentials do not belong in the URL/],
    [['--nats', 'nats://a:1'], { CHAINPRICE_NATS_USER: 'u' }, /go together: one is missing/],
    [
      ['--nats', 'nats://a:1'],
      { CHAINPRICE_NATS_TOKEN: 't', CHAINPRICE_NATS_NKEY: 'SUx' },
      /more than one kind/,
    ],
    [['--nats', 'nats://a:1'], { CHAINPRICE_NATS_NKEY: 'not-a-seed' }, /not a user NKey seed/],
    [
      ['--nats', 'nats://a:1'],
      { CHAINPRICE_NATS_NKEY: 'SUx', CHAINPRICE_NATS_CREDS: '/etc/chainprice/nats.creds' },
      /more than one kind/,
    ],
    [['--nats', 'nats://a:1', '--frobnicate'], {}, /unknown option --frobnicate \(chainprice edge --help\)$/],
  ] as const) {
    test(`edge refuses ${args.join(' ') || 'no --nats'} ${Object.keys(env).join(' ')}`, () => {
      assert.throws(
        () => parseEdgeArgs([...args], env),
        // A way out: a hint, or (a malformed command line, in one line) the help to read.
        (error: Error & { hint?: string }) =>
          pattern.test(error.message) && (Boolean(error.hint) || error.message.endsWith('--help)')),
      );
    });
  }

  test('chainprice edge --help, and the command list', async () => {
    const help = runCli(['edge', '--help']);
    assert.equal(await help.exited, 0);
    assert.match(help.stderr(), /^Usage: chainprice edge --nats URL \[options\]/);
    assert.match(help.stderr(), /CHAINPRICE_NATS_PASSWORD/);
    const list = runCli(['--help']);
    assert.equal(await list.exited, 0);
    assert.match(list.stderr(), /\n {2}edge +serve the live price from NATS/);
  });
});
