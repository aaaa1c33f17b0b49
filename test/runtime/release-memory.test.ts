// The garbage collections (src/runtime/release-memory.ts) use the gc function --expose-gc gives at
// start, and nothing else: without it nothing happens, and no V8 flag is changed at run time.

import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { collectYoungGarbage, releaseMemory } from '../../src/runtime/release-memory.ts';

test('with the gc function, a last-resort full GC or a young one; without it, nothing', () => {
  const holder = globalThis as { gc?: unknown };
  const real = holder.gc;
  try {
    const calls: unknown[] = [];
    holder.gc = (options: unknown) => calls.push(options);
    assert.equal(releaseMemory(), true);
    assert.equal(collectYoungGarbage(), true);
    assert.deepEqual(calls, [
      { type: 'major', execution: 'sync', flavor: 'last-resort' },
      { type: 'minor', execution: 'sync' },
    ]);
    holder.gc = undefined;
    assert.equal(releaseMemory(), false);
    assert.equal(collectYoungGarbage(), false);
    // Not asked for at run time either.
    assert.equal(holder.gc, undefined);
  } finally {
    holder.gc = real;
  }
});

test('no V8 flag is changed once the process runs: nothing in src/ calls v8.setFlagsFromString', () => {
  const src = fileURLToPath(new URL('../../src/', import.meta.url));
  const offenders = (readdirSync(src, { recursive: true }) as string[])
    .filter((file) => file.endsWith('.ts'))
    .filter((file) => readFileSync(join(src, file), 'utf8').includes('setFlagsFromString'));
  assert.deepEqual(offenders, []);
});
