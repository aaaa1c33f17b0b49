// `chainprice serve` (the real command) against a regtest node, its data directory on a real tmpfs
// that fills while it runs: new blocks arrive while nothing can be written. /health names the full
// disk, serve keeps running; once the filler is deleted, the block prices kept waiting in memory and
// the chain history (the days of the new blocks) are written by themselves, /health clears, and
// the database passes SQLite's integrity check.
import assert from 'node:assert/strict';
import type { ChildProcess } from 'node:child_process';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { DatabaseSync } from '../../../src/store/sqlite.ts';
import { type ServeProcess, startServe } from '../../support/serve-process.ts';
import { sleep, waitFor } from '../../support/wait.ts';
import { bitcoindOrSkipReason, RegtestNode } from '../node/regtest-node.ts';
import { getJson, type Health, integrityCheck, untilStorageClears } from './service-checks.ts';
import { mountSkipReason, SmallDisk } from './small-disk.ts';

const found = bitcoindOrSkipReason();
const skip = 'skip' in found ? found.skip : (mountSkipReason() ?? false);

/** `chainprice serve` for the node, on a free port; resolves once it says where it listens. */
function serve(node: RegtestNode, dataDir: string): Promise<ServeProcess> {
  return startServe(['--data-dir', dataDir, ...node.cliArgs]);
}

describe('serve with a regtest node and a data directory on a disk that fills', {
  skip,
  timeout: 240_000,
}, () => {
  let node: RegtestNode;
  let disk: SmallDisk;
  let dataDir = '';
  let server: ChildProcess | null = null;
  let output: () => string = () => '';
  let base = '';

  before(async () => {
    node = await RegtestNode.start((found as { bitcoind: string }).bitcoind);
    await node.call('createwallet', 'miner');
    await node.mine(20);
    disk = SmallDisk.tmpfs('4m');
    dataDir = disk.sub('data');
    const started = await serve(node, dataDir);
    server = started.child;
    base = started.base;
    output = started.output;
    await waitFor(() => /chain history: \d+ recent days current/.test(output()), {
      what: 'the first chain history build',
      timeoutMs: 60_000,
      detail: output,
    });
  });

  after(async () => {
    if (server && server.exitCode === null) {
      server.kill('SIGKILL');
      await new Promise((resolve) => server?.once('exit', resolve));
    }
    await node?.stop();
    disk?.unmount();
  });

  it('names the full disk, keeps running, and writes the waiting blocks and days once there is room', async (t) => {
    disk.fill(0);
    const hashes = await node.mine(3);
    const top = await node.call<number>('getblockcount');
    const expected = `no space left on the device that holds ${dataDir}`;
    const full = await waitFor(() => getJson<Health>(`${base}/health`), {
      what: '/health to name the full disk',
      timeoutMs: 60_000,
      everyMs: 200,
      // Both wait: the three block prices, and the chain history's run for the new blocks' day.
      until: (r) => r.body.storage?.waiting.join() === 'chain_history,live',
      detail: output,
    });
    assert.equal(full.status, 503);
    assert.deepEqual(full.body.storage?.problems, [expected]);
    assert.ok(full.body.problems.includes(`${expected} (the price history is not being written)`));
    t.diagnostic(
      `/health while full: ${JSON.stringify(full.body.problems)} ${JSON.stringify(full.body.storage)}`,
    );
    // The confirmed-block price is served from memory meanwhile.
    const block = await getJson<{ height: number }>(`${base}/api/v1/blocks/${hashes[2]}/price`);
    assert.equal(block.status, 200, JSON.stringify(block.body));
    assert.equal(block.body.height, top);
    assert.equal(server?.exitCode, null, 'serve is still running');

    disk.free();
    const freedAt = performance.now();
    const cleared = await untilStorageClears(base, output);
    t.diagnostic(
      `/health's storage cleared ${((performance.now() - freedAt) / 1000).toFixed(2)} s after the filler was deleted`,
    );
    assert.deepEqual(cleared.body.storage?.problems, []);
    await waitFor(
      () => getJson<{ blocks: unknown[] }>(`${base}/api/v1/history/blocks?from=${top - 2}&to=${top}`),
      {
        what: 'the blocks mined while the disk was full in the chain history',
        timeoutMs: 30_000,
        everyMs: 200,
        until: (r) => r.body.blocks.length === 3,
        detail: output,
      },
    );
    assert.match(output(), new RegExp(`${expected}: the price history is not being written`));
    assert.match(output(), /the price history is being written again in /);
    assert.doesNotMatch(output(), /cannot rollback|SQLITE|disk is full|\n\s+at /);
  });

  it('stops cleanly and leaves a sound database with every block', async (t) => {
    const child = server as ChildProcess;
    child.kill('SIGINT');
    assert.equal(await new Promise((resolve) => child.once('exit', resolve)), 0, output());
    const top = await node.call<number>('getblockcount');
    const db = new DatabaseSync(join(dataDir, 'history.sqlite'), { readOnly: true });
    try {
      assert.equal(integrityCheck(db), 'ok');
      const count = (sql: string) => (db.prepare(sql).get() as { n: number }).n;
      // The block prices written live, including the three that waited in memory for room.
      assert.equal(count(`SELECT COUNT(*) AS n FROM blocks WHERE height > ${top - 3}`), 3);
      t.diagnostic(
        `integrity_check ok; kept ${count('SELECT COUNT(*) AS n FROM chain_blocks')} chain blocks, ${count('SELECT COUNT(*) AS n FROM blocks')} live block prices`,
      );
    } finally {
      db.close();
    }
  });

  it('started again on a nearly full disk: the first chain history build waits, then goes on by itself', async (t) => {
    // A day of 300 more blocks: far more rows than the room left.
    await node.mine(300);
    const top = await node.call<number>('getblockcount');
    disk.fill(48 * 1024);
    const again = await serve(node, dataDir);
    server = again.child;
    const output2 = again.output;
    const full = await waitFor(() => getJson<Health>(`${again.base}/health`), {
      what: "/health to say the chain history's first build waits for room",
      timeoutMs: 60_000,
      everyMs: 200,
      ignoreErrors: true,
      until: (r) => r.body.storage?.waiting.includes('chain_history') === true,
      detail: output2,
    });
    assert.equal(full.status, 503);
    assert.deepEqual(full.body.storage?.problems, [`no space left on the device that holds ${dataDir}`]);
    // Time passing is the point: two retry periods go by while the disk stays full.
    await sleep(11_000);
    assert.equal(again.child.exitCode, null, 'serve is still running');

    disk.free();
    const freedAt = performance.now();
    await waitFor(() => /chain history: \d+ recent days current/.test(output2()), {
      what: 'the first chain history build to finish once there is room',
      timeoutMs: 30_000,
      detail: output2,
    });
    const cleared = await waitFor(() => getJson<Health>(`${again.base}/health`), {
      what: '/health to clear',
      timeoutMs: 30_000,
      everyMs: 50,
      until: (r) => r.body.storage?.ok === true,
      detail: output2,
    });
    t.diagnostic(
      `first build done and /health's storage clear ${((performance.now() - freedAt) / 1000).toFixed(2)} s after the filler was deleted: ${JSON.stringify(cleared.body.storage)}`,
    );
    const blocks = await getJson<{ blocks: unknown[] }>(
      `${again.base}/api/v1/history/blocks?from=${top - 9}&to=${top}`,
    );
    assert.equal(blocks.body.blocks.length, 10);
    // Retried quietly: the build says what it builds once, the watch says the problem once.
    assert.equal(output2().match(/chain history: building the last 30 days/g)?.length, 1, output2());
    assert.equal(output2().match(/no space left on the device/g)?.length, 1, output2());
    const exited = new Promise((resolve) => again.child.once('exit', resolve));
    again.child.kill('SIGINT');
    assert.equal(await exited, 0, output2());
    const db = new DatabaseSync(join(dataDir, 'history.sqlite'), { readOnly: true });
    try {
      assert.equal(integrityCheck(db), 'ok');
    } finally {
      db.close();
    }
  });
});
