// `chainprice serve`: its options (flags over environment), and the command run as a user runs it —
// no node (one sentence, a hint, --demo suggested), a port in use, and a demo server that streams
// and shuts down cleanly on SIGTERM, closing WebSocket clients with 1001.

import assert from 'node:assert/strict';
import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { parseServeArgs } from '../../src/commands/serve-options.ts';
import { waitFor } from '../support/wait.ts';
import { openClient } from './ws-client.ts';

const CLI = fileURLToPath(new URL('../../src/cli.ts', import.meta.url));
const HAS_DEMO = existsSync(new URL('../../src/sim/demo-feed.ts', import.meta.url));

describe('options', () => {
  test('defaults: 127.0.0.1:8000, node source, history on, no token', () => {
    const o = parseServeArgs([], {});
    assert.equal(o.host, '127.0.0.1');
    assert.equal(o.port, 8000);
    assert.equal(o.demo, false);
    assert.equal(o.history, true);
    assert.equal(o.token, undefined);
    assert.deepEqual(o.allowedOrigins, []);
  });

  test('environment, then flags over it', () => {
    const env = {
      CHAINPRICE_HOST: '0.0.0.0',
      CHAINPRICE_PORT: '9000',
      CHAINPRICE_TOKEN: 'from-env',
      CHAINPRICE_ALLOW_ORIGIN: 'https://a.example, https://b.example',
      CHAINPRICE_DATA_DIR: '/tmp/x',
    };
    const fromEnv = parseServeArgs([], env);
    assert.equal(fromEnv.host, '0.0.0.0');
    assert.equal(fromEnv.port, 9000);
    assert.equal(fromEnv.token, 'from-env');
    assert.deepEqual(fromEnv.allowedOrigins, ['https://a.example', 'https://b.example']);
    assert.equal(fromEnv.dataDir, '/tmp/x');
    const flags = parseServeArgs(
      [
        '--port=8100',
        '--token',
        'flag',
        '--allow-origin',
        'https://c.example',
        '--demo',
        '--demo-speed',
        '60',
      ],
      env,
    );
    assert.equal(flags.port, 8100);
    assert.equal(flags.token, 'flag');
    assert.deepEqual(
      flags.allowedOrigins,
      ['https://c.example'],
      '--allow-origin replaces the environment list',
    );
    assert.equal(flags.demoSpeed, 60);
  });

  test('--price-hint: optional, a price in dollars', () => {
    assert.equal(parseServeArgs([], {}).priceHint, undefined);
    assert.equal(parseServeArgs(['--price-hint', '65000'], {}).priceHint, 65_000);
    assert.equal(parseServeArgs(['--price-hint=$97,250.5'], {}).priceHint, 97_250.5);
    assert.equal(parseServeArgs(['--demo', '--price-hint', '6800'], {}).priceHint, 6_800);
    for (const bad of ['sixty', '0', '-5', '5', '2e7', '']) {
      assert.throws(
        () => parseServeArgs([`--price-hint=${bad}`], {}),
        (error: Error & { exitCode?: number; hint?: string }) =>
          /^serve: --price-hint needs a price in US dollars per bitcoin from 10 to 10,000,000, not ".*"$/.test(
            error.message,
          ) &&
          /never needed/.test(error.hint ?? '') &&
          error.exitCode === 2,
        bad,
      );
    }
  });

  test('node flags are passed on', () => {
    const o = parseServeArgs(['--regtest', '--rpc-port', '18443'], {});
    assert.deepEqual(o.node, { network: 'regtest', rpcPort: '18443' });
  });

  for (const [args, pattern] of [
    [['--port', '70000'], /--port needs a port number/],
    [['--port'], /--port needs a value/],
    [['--demo-speed', '5'], /only apply with --demo/],
    [['--demo', '--demo-speed', 'fast'], /--demo-speed needs a positive number/],
    [['--token', 'two words'], /printable ASCII without spaces/],
    [['--demo', '--regtest'], /node options do not apply with --demo/],
    [['--frobnicate'], /unknown option --frobnicate/],
  ] as const) {
    test(`refuses ${args.join(' ')}`, () => {
      assert.throws(
        () => parseServeArgs([...args], {}),
        (error: Error & { exitCode?: number }) => pattern.test(error.message) && error.exitCode === 2,
      );
    });
  }
});

interface Run {
  child: ChildProcess;
  stderr: () => string;
  exited: Promise<number | null>;
}

function runCli(args: string[]): Run {
  const child = spawn(process.execPath, [CLI, 'serve', ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
  let stderr = '';
  child.stderr?.on('data', (chunk) => {
    stderr += chunk;
  });
  child.stdout?.resume();
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  return { child, stderr: () => stderr, exited };
}

async function waitForLine(run: Run, pattern: RegExp, timeoutMs: number): Promise<RegExpMatchArray> {
  return waitFor(
    () => {
      const found = run.stderr().match(pattern);
      if (found === null && run.child.exitCode !== null) {
        throw new Error(`exited (${run.child.exitCode}) with no line matching ${pattern}:\n${run.stderr()}`);
      }
      return found;
    },
    { what: `a line matching ${pattern}`, timeoutMs, detail: () => run.stderr() },
  );
}

const dirs: string[] = [];
after(async () => {
  for (const dir of dirs) await rm(dir, { recursive: true, force: true });
});
async function dataDir(): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'chainprice-serve-'));
  dirs.push(dir);
  return dir;
}

describe('running it', () => {
  test('without a reachable node: one sentence, a hint, and --demo suggested', async () => {
    const run = runCli(['--rpc-port', '1', '--rpc-user', 'u', '--rpc-password', 'p', '--port', '0']);
    assert.equal(await run.exited, 1);
    const lines = run.stderr().trim().split('\n');
    assert.match(lines[0], /^chainprice: no Bitcoin node is answering RPC at 127\.0\.0\.1:1/);
    assert.ok(lines.some((l) => l.includes('chainprice serve --demo')));
    assert.ok(!run.stderr().includes('    at '), 'no stack trace');
    assert.ok(!run.stderr().includes('"p"') && !/password.*\bp\b/.test(run.stderr()), 'no password shown');
  });

  test('a port in use is one sentence with a way out', {
    skip: HAS_DEMO ? false : 'src/sim/demo-feed.ts is not there yet',
  }, async () => {
    const blocker = createServer();
    await new Promise<void>((resolve) => blocker.listen(0, '127.0.0.1', resolve));
    const port = (blocker.address() as { port: number }).port;
    try {
      const run = runCli(['--demo', '--port', String(port), '--data-dir', await dataDir()]);
      assert.equal(await run.exited, 1);
      assert.match(run.stderr(), new RegExp(`port ${port} on 127\\.0\\.0\\.1 is already in use`));
      assert.match(run.stderr(), /hint: .*--port/);
    } finally {
      blocker.close();
    }
  });

  test('serve --demo streams, and SIGTERM closes clients with 1001 and exits 0', {
    skip: HAS_DEMO ? false : 'src/sim/demo-feed.ts is not there yet',
    timeout: 120_000,
  }, async () => {
    const dir = await dataDir();
    const run = runCli(['--demo', '--port', '0', '--data-dir', dir]);
    try {
      const [, url] = await waitForLine(run, /serving the demo price on (http:\/\/\S+\/)/, 30_000);
      const health = await fetch(`${url}health`);
      assert.ok([200, 503].includes(health.status));
      assert.equal(((await health.json()) as { source: string }).source, 'demo');
      const client = await openClient(`${url.replace('http', 'ws')}ws/mempool`);
      const snapshot = await client.message(0);
      assert.equal(snapshot.type, 'snapshot');
      assert.equal(snapshot.type === 'snapshot' && snapshot.source, 'demo');
      run.child.kill('SIGTERM');
      assert.equal((await client.closed).code, 1001);
      assert.equal(await run.exited, 0);
      assert.match(run.stderr(), /stopped/);
      assert.ok(existsSync(join(dir, 'demo-history.sqlite')), 'the demo history lives in the data directory');
    } finally {
      run.child.kill('SIGKILL');
    }
  });
});
