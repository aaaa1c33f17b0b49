// The command line stays light: `chainprice --help` and a command's --help load the commands'
// declarations only, and `chainprice block …` never loads the web server, NATS, ZMQ or SQLite —
// each command's code is imported when it runs (src/commands/command-list.ts). Proved on spawned
// processes whose every resolved module is recorded (module-log.ts).

import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { fileURLToPath } from 'node:url';

const CLI = fileURLToPath(new URL('../../src/cli.ts', import.meta.url));
const HOOK = fileURLToPath(new URL('./module-log.ts', import.meta.url));
const dir = mkdtempSync(join(tmpdir(), 'chainprice-modules-'));
after(() => rmSync(dir, { recursive: true, force: true }));

/** What the service, the bus, the node feed and the store load: none of it belongs to a --help. */
const HEAVY = [
  /\/node_modules\/fastify\//,
  /\/node_modules\/@nats-io\//,
  /\/node_modules\/zeromq\//,
  /^node:sqlite$/,
];

let runs = 0;
function modulesOf(...args: string[]): { status: number | null; stdout: string; modules: string[] } {
  const log = join(dir, `${runs++}.json`);
  const run = spawnSync(process.execPath, ['--import', HOOK, CLI, ...args], {
    encoding: 'utf8',
    // Without the memory restart (heap-settings.ts), which would start a process without the hook.
    env: { ...process.env, CHAINPRICE_TEST_MODULE_LOG: log, CHAINPRICE_V8_DEFAULTS: '1' },
  });
  return {
    status: run.status,
    stdout: run.stdout,
    modules: JSON.parse(readFileSync(log, 'utf8')) as string[],
  };
}

const source = (modules: string[]) =>
  modules.filter((m) => m.includes('/src/')).map((m) => m.slice(m.indexOf('/src/') + 1));

test('the record sees what a command loads when it runs (the check below can fail)', () => {
  const { status, modules } = modulesOf('estimate', join(dir, 'missing.raw'));
  assert.equal(status, 1);
  assert.ok(source(modules).includes('src/commands/estimate.ts'), 'the command, imported when it ran');
  assert.ok(source(modules).includes('src/oracle/window.ts'), "and the command's own imports");
});

test('the record sees the web server where it is loaded', () => {
  // An address of no machine: serve loads the app, fails to listen and exits at once.
  const { status, modules } = modulesOf(
    'serve',
    '--demo',
    '--no-history',
    '--host',
    '192.0.2.1',
    '--port',
    '0',
  );
  assert.equal(status, 1);
  assert.ok(
    modules.some((m) => HEAVY[0].test(m)),
    'fastify',
  );
});

for (const args of [['--help'], ['block', '--help'], ['serve', '--help'], ['edge', '--help']]) {
  test(`chainprice ${args.join(' ')} loads no command's code`, () => {
    const { status, stdout, modules } = modulesOf(...args);
    assert.equal(status, 0);
    assert.match(stdout, /Usage: chainprice/);
    for (const heavy of HEAVY)
      assert.ok(!modules.some((m) => heavy.test(m)), `${heavy} loaded:\n${modules.join('\n')}`);
    const commands = source(modules).filter((m) => m.startsWith('src/commands/'));
    assert.deepEqual(
      commands.filter((m) => !/-options\.ts$|\/options\.ts$|\/command-list\.ts$/.test(m)),
      [],
      'declarations only',
    );
  });
}

test('chainprice block FILE reads the block without the web server', () => {
  const { status, modules } = modulesOf('block', join(dir, 'missing.raw'));
  assert.equal(status, 1);
  assert.ok(source(modules).includes('src/commands/block.ts'));
  for (const heavy of HEAVY) assert.ok(!modules.some((m) => heavy.test(m)), `${heavy} loaded`);
  assert.ok(!source(modules).some((m) => m.startsWith('src/server/app')), 'no app');
});
