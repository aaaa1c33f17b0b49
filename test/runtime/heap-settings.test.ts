// serve's memory settings (src/runtime/heap-settings.ts): the in-place restart that applies them,
// once, without overriding what the user set (the switch that turns them off: memory-policy.test.ts).
// The servers started by serve-command.test.ts and test/node run through that restart.

import assert from 'node:assert/strict';
import { test } from 'node:test';
import {
  DEFAULT_COMPILE_CACHE,
  memoryRelaunch,
  SERVE_MALLOC_ENV,
  SERVE_NODE_FLAGS,
} from '../../src/runtime/heap-settings.ts';

const argv = ['/usr/bin/node', '/app/src/cli.ts', 'serve', '--demo'];

test('restarts once with the V8 flags and malloc settings, keeping the arguments and environment', () => {
  const relaunch = memoryRelaunch(
    { HOME: '/home/me', MALLOC_ARENA_MAX: '4' },
    '/usr/bin/node',
    ['--no-warnings'],
    argv,
  );
  assert.ok(relaunch);
  assert.equal(relaunch.file, '/usr/bin/node');
  assert.deepEqual(relaunch.args, [
    '/usr/bin/node',
    '--no-warnings',
    ...SERVE_NODE_FLAGS,
    '/app/src/cli.ts',
    'serve',
    '--demo',
  ]);
  assert.equal(relaunch.env.HOME, '/home/me');
  // The user's own malloc setting wins; ours fill in the rest.
  assert.equal(relaunch.env.MALLOC_ARENA_MAX, '4');
  assert.equal(relaunch.env.MALLOC_MMAP_THRESHOLD_, SERVE_MALLOC_ENV.MALLOC_MMAP_THRESHOLD_);
  // The restarted process does not restart again.
  assert.equal(
    memoryRelaunch(relaunch.env, '/usr/bin/node', relaunch.args.slice(1, 2 + SERVE_NODE_FLAGS.length), argv),
    null,
  );
});

test('a flag already given is not repeated', () => {
  const relaunch = memoryRelaunch({}, '/usr/bin/node', [SERVE_NODE_FLAGS[0]], argv);
  assert.ok(relaunch);
  assert.equal(relaunch.args.filter((a) => a === SERVE_NODE_FLAGS[0]).length, 1);
  // The user's own value of one of the flags wins.
  const own = memoryRelaunch({}, '/usr/bin/node', ['--max_semi_space_size=16'], argv);
  assert.ok(own);
  assert.deepEqual(
    own.args.filter((a) => a.includes('semi')),
    ['--max_semi_space_size=16'],
  );
});

test("the restart keeps Node's compile cache on (where the user has not chosen), so type stripping is not loaded again", () => {
  const relaunch = memoryRelaunch({}, '/usr/bin/node', [], argv);
  assert.ok(relaunch);
  assert.equal(relaunch.env.NODE_COMPILE_CACHE, DEFAULT_COMPILE_CACHE);
  const own = memoryRelaunch({ NODE_COMPILE_CACHE: '/var/cache/mine' }, '/usr/bin/node', [], argv);
  assert.equal(own?.env.NODE_COMPILE_CACHE, '/var/cache/mine');
  const off = memoryRelaunch({ NODE_DISABLE_COMPILE_CACHE: '1' }, '/usr/bin/node', [], argv);
  assert.ok(off);
  assert.equal(off.env.NODE_COMPILE_CACHE, undefined);
});
