// The memory policy (src/runtime/memory-policy.ts): its one switch turns the restart and every
// release off; a fill asks for a last-resort full GC, chunked replies for a young GC every
// CHUNKED_BYTES_PER_YOUNG_GC.

import assert from 'node:assert/strict';
import { afterEach, beforeEach, test } from 'node:test';
import { SERVE_NODE_FLAGS } from '../../src/runtime/heap-settings.ts';
import {
  CHUNKED_BYTES_PER_YOUNG_GC,
  MEMORY_POLICY_SWITCH,
  memory,
  memoryPolicyOn,
  memoryRestart,
} from '../../src/runtime/memory-policy.ts';

const argv = ['/usr/bin/node', '/app/src/cli.ts', 'serve'];
const holder = globalThis as { gc?: unknown };
let calls: unknown[] = [];
let realGc: unknown;
let switchBefore: string | undefined;

beforeEach(() => {
  // V8's gc function, as --expose-gc gives it, replaced by one that records its calls.
  realGc = holder.gc;
  calls = [];
  holder.gc = (options: unknown) => calls.push(options);
  switchBefore = process.env[MEMORY_POLICY_SWITCH];
  delete process.env[MEMORY_POLICY_SWITCH];
});

afterEach(() => {
  holder.gc = realGc;
  if (switchBefore === undefined) delete process.env[MEMORY_POLICY_SWITCH];
  else process.env[MEMORY_POLICY_SWITCH] = switchBefore;
});

test('CHAINPRICE_V8_DEFAULTS=1 is the one switch: no restart, no release', () => {
  assert.equal(memoryPolicyOn({}), true);
  assert.equal(memoryPolicyOn({ CHAINPRICE_V8_DEFAULTS: '0' }), true);
  assert.equal(memoryPolicyOn({ CHAINPRICE_V8_DEFAULTS: '1' }), false);
  const restart = memoryRestart({}, '/usr/bin/node', [], argv);
  assert.ok(restart);
  assert.deepEqual(restart.args.slice(1, 1 + SERVE_NODE_FLAGS.length), [...SERVE_NODE_FLAGS]);
  assert.equal(memoryRestart({ CHAINPRICE_V8_DEFAULTS: '1' }, '/usr/bin/node', [], argv), null);

  process.env[MEMORY_POLICY_SWITCH] = '1';
  memory.afterFill();
  memory.afterChunkedReply(2 * CHUNKED_BYTES_PER_YOUNG_GC);
  const stop = memory.watchBursts(() => 0);
  stop();
  assert.deepEqual(calls, []);
});

test('after a fill: one last-resort full GC', () => {
  memory.afterFill();
  assert.deepEqual(calls, [{ type: 'major', execution: 'sync', flavor: 'last-resort' }]);
});

test('chunked replies: a young GC once CHUNKED_BYTES_PER_YOUNG_GC have been read, not before', () => {
  // Start from a clean count: whatever an earlier test left is used up by one large reply.
  memory.afterChunkedReply(CHUNKED_BYTES_PER_YOUNG_GC);
  calls = [];
  const reply = CHUNKED_BYTES_PER_YOUNG_GC / 4;
  for (let i = 0; i < 3; i++) memory.afterChunkedReply(reply);
  assert.deepEqual(calls, []);
  memory.afterChunkedReply(reply);
  assert.deepEqual(calls, [{ type: 'minor', execution: 'sync' }]);
  memory.afterChunkedReply(reply);
  assert.equal(calls.length, 1);
});
