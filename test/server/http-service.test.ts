// The HTTP service's life shared by serve and edge (src/server/http-service.ts): the line that says
// where it listens, a listen that fails as one sentence with a way out, and the close on a signal —
// clean and exit 0 on the first, exit 130 at once on a second while the first is closing.

import assert from 'node:assert/strict';
import { type ChildProcess, spawn } from 'node:child_process';
import { createServer } from 'node:net';
import { describe, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import Fastify from 'fastify';
import { UserError } from '../../src/errors.ts';
import { listen } from '../../src/server/http-service.ts';

const CHILD = fileURLToPath(new URL('./http-service-child.ts', import.meta.url));

describe('listen', () => {
  test('says where, with the token left out, and warns when reachable without one', async () => {
    const lines: string[] = [];
    const app = Fastify();
    const { url, uninstall } = await listen(app, {
      host: '0.0.0.0',
      port: 0,
      command: 'edge',
      token: undefined,
      who: 'edge e1: ',
      what: 'the demo price',
      more: ' — more',
      close: () => app.close(),
      log: (line) => lines.push(line),
    });
    uninstall();
    await app.close();
    assert.match(url, /^http:\/\/127\.0\.0\.1:\d+\/$/);
    assert.equal(lines[0], `edge e1: serving the demo price on ${url} — more`);
    assert.match(lines[1], /^listening on 0\.0\.0\.0 without a token: anyone who can reach this port/);

    const quiet: string[] = [];
    const withToken = Fastify();
    const served = await listen(withToken, {
      host: '127.0.0.1',
      port: 0,
      command: 'serve',
      token: 'secret',
      what: 'the node price',
      close: () => withToken.close(),
      log: (line) => quiet.push(line),
    });
    served.uninstall();
    await withToken.close();
    assert.deepEqual(quiet, [`serving the node price on ${served.url}?token=… (add your token)`]);
  });

  test('a port in use, or an address of another machine: one sentence and a way out', async () => {
    const blocker = createServer();
    await new Promise<void>((resolve) => blocker.listen(0, '127.0.0.1', resolve));
    const port = (blocker.address() as { port: number }).port;
    const refused = async (host: string, at: number): Promise<UserError> => {
      try {
        const app = Fastify();
        await listen(app, {
          host,
          port: at,
          command: 'edge',
          token: 't',
          what: 'x',
          close: () => app.close(),
          log: () => {},
        });
      } catch (error) {
        assert.ok(error instanceof UserError);
        return error;
      }
      assert.fail('listened');
    };
    try {
      const inUse = await refused('127.0.0.1', port);
      assert.equal(
        inUse.message,
        `port ${port} on 127.0.0.1 is already in use (another chainprice, or another server).`,
      );
      assert.equal(inUse.hint, `stop it, or pick another port: chainprice edge --port ${port + 1}`);
    } finally {
      blocker.close();
    }
    const elsewhere = await refused('192.0.2.1', 0);
    assert.equal(elsewhere.message, 'cannot listen on 192.0.2.1: it is not an address of this machine.');
    assert.match(elsewhere.hint ?? '', /--host/);
  });
});

interface Run {
  child: ChildProcess;
  stderr: () => string;
  exited: Promise<number | null>;
}

function start(env: Record<string, string> = {}): Run {
  const child = spawn(process.execPath, [CHILD], {
    stdio: ['ignore', 'ignore', 'pipe'],
    env: { ...process.env, ...env },
  });
  let stderr = '';
  child.stderr?.on('data', (chunk) => {
    stderr += chunk;
  });
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  return { child, stderr: () => stderr, exited };
}

/** Resolves when stderr has a line matching `pattern` (rejects if the child ends first). */
function line(run: Run, pattern: RegExp): Promise<void> {
  return new Promise((resolve, reject) => {
    const check = () => {
      if (pattern.test(run.stderr())) {
        run.child.stderr?.off('data', check);
        resolve();
      }
    };
    run.child.stderr?.on('data', check);
    run.child.once('exit', () => reject(new Error(`no ${pattern} in:\n${run.stderr()}`)));
    check();
  });
}

describe('closing on a signal', () => {
  test('SIGTERM closes cleanly and exits 0', async () => {
    const run = start();
    try {
      await line(run, /serving a test on/);
      run.child.kill('SIGTERM');
      assert.equal(await run.exited, 0);
      assert.match(
        run.stderr(),
        /chainprice: SIGTERM: closing connections and stopping\nchainprice: stopped\n$/,
      );
    } finally {
      run.child.kill('SIGKILL');
    }
  });

  test('a second SIGINT while closing exits at once with 130', async () => {
    const run = start({ CHAINPRICE_TEST_CLOSE_HANGS: '1' });
    try {
      await line(run, /serving a test on/);
      run.child.kill('SIGINT');
      await line(run, /SIGINT: closing connections and stopping/);
      run.child.kill('SIGINT');
      assert.equal(await run.exited, 130);
      assert.match(run.stderr(), /chainprice: SIGINT again: exiting now\n$/);
    } finally {
      run.child.kill('SIGKILL');
    }
  });
});
