// `chainprice serve --demo` (the real command, as a child process) started with its data directory
// on a tmpfs with no room left, as after a node box's chain filled the disk and the box restarted:
// it does not exit (a service manager would restart it in a loop, never serving), but serves the
// live price without a history, and says why in its log and in /health (503), in our words.

import assert from 'node:assert/strict';
import type { ChildProcess } from 'node:child_process';
import { after, before, describe, it } from 'node:test';
import { startServe } from '../../support/serve-process.ts';
import { waitFor } from '../../support/wait.ts';
import { getJson, type Health } from './service-checks.ts';
import { mountSkipReason, SmallDisk } from './small-disk.ts';

const skip = mountSkipReason() ?? false;

describe('serve --demo started on a full disk', { skip, timeout: 120_000 }, () => {
  let disk: SmallDisk;
  let dataDir = '';
  let server: ChildProcess | null = null;
  let output = '';

  before(() => {
    disk = SmallDisk.tmpfs('1m');
    dataDir = disk.sub('data');
    disk.fill(0);
  });

  after(async () => {
    if (server && server.exitCode === null) {
      server.kill('SIGKILL');
      await new Promise((resolve) => server?.once('exit', resolve));
    }
    disk?.unmount();
  });

  it('serves the live price without a history, and /health and the log say why', async (t) => {
    const served = await startServe(['--demo', '--data-dir', dataDir], {
      onOutput: (text) => {
        output += text;
      },
    });
    server = served.child;
    const child = served.child;
    const base = served.base;
    const full = `no space left on the device that holds ${dataDir}`;
    assert.match(
      output,
      new RegExp(
        `cannot open the history database \\S+: ${full}; serving the live price without a history \\(restart once there is room\\)`,
      ),
    );
    const price = await waitFor(() => getJson<{ price: number | null }>(`${base}/api/v1/price`), {
      what: 'the live price',
      timeoutMs: 60_000,
      everyMs: 200,
      ignoreErrors: true,
      until: (r) => r.status === 200 && typeof r.body.price === 'number',
      detail: () => output,
    });
    t.diagnostic(`live price ${price.body.price} with no history`);
    const health = await getJson<Health>(`${base}/health`);
    assert.equal(health.status, 503);
    const sentence = `${full}, so chainprice started without its price history; restart it once there is room`;
    assert.deepEqual(health.body.storage?.problems, [sentence]);
    assert.ok(
      health.body.problems.includes(`${sentence} (the price history is not being written)`),
      JSON.stringify(health.body.problems),
    );
    t.diagnostic(`/health: ${JSON.stringify(health.body.problems)}`);
    // The history API says why there is none (not "--no-history").
    const daily = await getJson<{ message: string }>(`${base}/api/v1/history/daily`);
    assert.equal(daily.status, 503);
    assert.match(
      daily.body.message,
      /keeps no history \(its data directory’s disk was full when it started: see \/health\)/,
    );
    assert.doesNotMatch(output, /SQLITE|disk is full|\n\s+at /);
    child.kill('SIGTERM');
    assert.equal(await new Promise((resolve) => child.once('exit', resolve)), 0, output);
  });
});
