// The worker pool's close() in a process that has nothing else to do: it settles, and the process
// ends with its own exit code, even when a job's result arrives while the pool is closing (a history
// build that stopped on a failing disk ended now and then with "unsettled top-level await", exit 13).
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { describe, it } from 'node:test';

const POOL = new URL('../../src/history/worker-pool.ts', import.meta.url).href;

/** Runs `body` as a module in a child process, after a pool of `size` workers is made. */
function inChild(size: number, body: string) {
  const script = `import { WorkerPool } from ${JSON.stringify(POOL)};
const pool = new WorkerPool(${size});
const job = (id) => ({ id, day: '2024-01-01', key: null, blocks: [] });
${body}
console.log('closed');`;
  return spawnSync(process.execPath, ['--input-type=module', '-e', script], { encoding: 'utf8' });
}

describe('WorkerPool.close', () => {
  it('settles with idle workers, and with a job running (whose promise it rejects)', () => {
    const idle = inChild(2, 'await pool.close();');
    assert.equal(idle.status, 0, idle.stderr);
    assert.equal(idle.stdout.trim(), 'closed');
    const busy = inChild(
      2,
      `const running = pool.run(job(1)).then(() => 'resolved', (e) => e.message);
await pool.close();
console.log(await running);`,
    );
    assert.equal(busy.status, 0, busy.stderr);
    assert.equal(busy.stdout.trim(), 'the worker pool is closed\nclosed');
  });

  it("settles when a job's result arrives while it closes", () => {
    // The result comes as a message from the worker after close() has begun: the worker must stay
    // referenced until it has exited.
    const late = inChild(
      1,
      `const [worker] = pool.all;
pool.run(job(1)).catch(() => {});
const closing = pool.close();
worker.emit('message', { id: 1, ok: false, hash: '', message: 'late' });
await closing;`,
    );
    assert.equal(late.status, 0, late.stderr);
    assert.equal(late.stdout.trim(), 'closed');
  });
});
