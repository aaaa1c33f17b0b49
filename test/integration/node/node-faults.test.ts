// Faults of the node under `chainprice serve` (the real CLI as a child process, cookie auth, ZMQ
// through TCP proxies that can fail), against a regtest node that a driver economy keeps paying
// round dollar amounts:
//   - the node hangs (kill -STOP for 60 s, then -CONT): no crash, resident memory flat while it
//     waits, /health says within 10 s that the node does not answer while /api/v1/price still gives
//     the last price with its age, and within 5 s of the node answering again the window is the
//     node's (its mempool and the transactions mined in the window's span);
//   - the node restarts cleanly (RPC stop, start): it writes a new cookie, and serve reconnects by
//     itself (RPC and ZMQ);
//   - ZMQ goes quiet while RPC works (the proxies stall, then drop and refuse connections) while
//     transactions keep coming: found within a minute, the window follows the node by polling, and
//     /health says so until ZMQ speaks again.
// "The window is the node's" is checked through what serve shows: its size (/health) equals the
// node's set of transactions, and its histogram (the WebSocket snapshot) equals that of a fresh
// window built from the node's own transactions, so nothing is missing and nothing counted twice.
// The measured times are printed as test diagnostics.
import assert from 'node:assert/strict';
import type { ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { readBlock } from '../../../src/bitcoin/block.ts';
import { parseTransaction } from '../../../src/bitcoin/transaction.ts';
import { addBlock } from '../../../src/node/block-prices.ts';
import { PriceWindow } from '../../../src/oracle/window.ts';
import type { PriceMessage } from '../../../src/server/protocol.ts';
import { DatabaseSync } from '../../../src/store/sqlite.ts';
import { openClient } from '../../server/ws-client.ts';
import { startServe } from '../../support/serve-process.ts';
import { TcpProxy } from '../../support/tcp-proxy.ts';
import { sleep, waitFor } from '../../support/wait.ts';
import { Economy } from './economy.ts';
import { bitcoindOrSkipReason, RegtestNode } from './regtest-node.ts';

const found = bitcoindOrSkipReason();
const skip = 'skip' in found ? found.skip : false;
const _CLI = fileURLToPath(new URL('../../../src/cli.ts', import.meta.url));
/** Not a round number, so round-dollar outputs are not round-bitcoin outputs. */
const PRICE = 53_217.83;
const WINDOW_SECONDS = 3 * 3600;
/** The figures: how long the node hangs, and the promises around it. */
const HANG_MS = 60_000;
const SAYS_NOT_ANSWERING_MS = 10_000;
const IN_STEP_AFTER_ANSWER_MS = 5_000;
const ZMQ_QUIET_FOUND_MS = 60_000;
/** Resident memory may move this much while the node hangs (allocator noise), not more. */
const HANG_RSS_SLACK_BYTES = 16 * 2 ** 20;

interface Health {
  status: string;
  node: { connected: boolean };
  node_link?: { rpc_answering: boolean; zmq_quiet_seconds: number | null };
  window_size: number;
  detail: string | null;
  problems: string[];
}

function rssBytes(pid: number): number {
  const line = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  return line ? Number(line[1]) * 1024 : 0;
}

describe('chainprice serve when the node hangs, restarts with a new cookie, or its ZMQ goes quiet', {
  skip,
  timeout: 600_000,
}, () => {
  let node: RegtestNode;
  let economy: Economy;
  let server: ChildProcess;
  let base = '';
  let output = '';
  const proxies: TcpProxy[] = [];
  const dataDir = mkdtempSync(join(tmpdir(), 'chainprice-node-faults-'));

  async function getJson<T>(path: string): Promise<{ status: number; body: T }> {
    const response = await fetch(`${base}${path}`, { signal: AbortSignal.timeout(5_000) });
    return { status: response.status, body: (await response.json()) as T };
  }

  const health = async () => (await getJson<Health>('/health')).body;

  /** The node's window: its mempool plus every transaction of the blocks mined in the span. */
  async function nodeTxids(): Promise<{ mempool: string[]; blocks: string[] }> {
    const mempool = await node.call<string[]>('getrawmempool');
    const blocks: string[] = [];
    const cutoff = Date.now() / 1000 - WINDOW_SECONDS;
    let hash: string | undefined = await node.call<string>('getbestblockhash');
    while (hash) {
      const block: { time: number; previousblockhash?: string } = await node.call('getblock', hash, 1);
      if (block.time < cutoff) break;
      blocks.push(hash);
      hash = block.previousblockhash;
    }
    return { mempool, blocks };
  }

  /** A fresh window over the node's own transactions: what serve's window must equal. */
  async function reference(): Promise<PriceWindow> {
    const { mempool, blocks } = await nodeTxids();
    const window = new PriceWindow();
    const raws = await node.rpc.batch<string>(
      mempool.map((txid) => ({ method: 'getrawtransaction', params: [txid] })),
    );
    for (const r of raws) if (r.ok) window.add(parseTransaction(Buffer.from(r.value, 'hex')), 0);
    for (const hash of blocks) {
      addBlock(window, readBlock(Buffer.from(await node.call<string>('getblock', hash, 0), 'hex')));
    }
    return window;
  }

  /** Serve's window histogram, from a fresh WebSocket snapshot. */
  async function servedHistogram(): Promise<{ counts: number[]; size: number }> {
    const client = await openClient(`${base.replace('http', 'ws')}/ws/mempool`);
    try {
      const snapshot = (await client.message(0, 5_000)) as PriceMessage;
      assert.equal(snapshot.type, 'snapshot');
      return { counts: snapshot.histogram?.counts ?? [], size: snapshot.stats.active_in_window };
    } finally {
      client.close();
    }
  }

  /**
   * Whether serve's window is the node's right now: the same number of transactions, and the same
   * candidate histogram as a window built from the node's transactions. Returns a description of
   * the difference, or null.
   */
  async function windowDifference(): Promise<string | null> {
    const expected = await reference();
    const served = await health();
    if (served.window_size !== expected.size)
      return `serve's window holds ${served.window_size} transactions, the node's ${expected.size}`;
    const { counts } = await servedHistogram();
    const want = Array.from(expected.counts);
    const differing = want.filter((c, i) => c !== (counts[i] ?? 0)).length;
    if (differing > 0 || counts.length !== want.length)
      return `serve's histogram differs from the node's transactions' in ${differing} bins (${counts.reduce((a, b) => a + b, 0)} outputs vs ${want.reduce((a, b) => a + b, 0)})`;
    if (!(await health()).problems.every((p) => !/ZMQ|answer/.test(p))) return 'health still has a problem';
    return null;
  }

  /** Waits (up to `ms`) until serve's window is the node's; returns the ms it took. */
  async function untilInStep(what: string, ms: number, from = performance.now()): Promise<number> {
    await waitFor(windowDifference, {
      what: `serve's window to equal the node's (${what})`,
      timeoutMs: Math.max(1, ms - (performance.now() - from)),
      until: (d) => d === null,
      everyMs: 100,
      detail: () => output.split('\n').slice(-15).join('\n'),
    });
    return Math.round(performance.now() - from);
  }

  before(async () => {
    node = await RegtestNode.start((found as { bitcoind: string }).bitcoind);
    economy = new Economy(node, 21);
    await economy.setup({ fundingOutputs: 500, buryBlocks: 144 });
    await economy.roundUsdPayments(100, PRICE);
    for (const topic of ['rawtx', 'sequence', 'rawblock'] as const) {
      const port = Number(node.zmq[topic].split(':').at(-1));
      proxies.push(await TcpProxy.start({ host: '127.0.0.1', port }));
    }
    const served = await startServe(
      [
        '--data-dir',
        dataDir,
        ...node.cliArgs,
        '--zmq-rawtx',
        proxies[0].endpoint,
        '--zmq-sequence',
        proxies[1].endpoint,
        '--zmq-rawblock',
        proxies[2].endpoint,
      ],
      {
        onOutput: (text) => {
          output += text;
        },
      },
    );
    server = served.child;
    base = served.base;
    await waitFor(async () => (await getJson<{ price: number | null }>('/api/v1/price')).body.price, {
      what: "a live price near the driver's",
      timeoutMs: 30_000,
      ignoreErrors: true,
      until: (p) => typeof p === 'number' && Math.abs(p / PRICE - 1) < 0.01,
    });
  });

  after(async () => {
    if (node?.pid) {
      try {
        process.kill(node.pid, 'SIGCONT');
      } catch {
        // gone already
      }
    }
    if (server && server.exitCode === null) {
      server.kill('SIGKILL');
      await new Promise((resolve) => server.once('exit', resolve));
    }
    for (const proxy of proxies) await proxy.close();
    await node?.stop();
    rmSync(dataDir, { recursive: true, force: true });
    if (process.env.CHAINPRICE_TEST_VERBOSE) console.error(output);
  });

  it('a node that hangs for 60 s: said within 10 s, last price kept with its age, window exact within 5 s of its return', async (t) => {
    // The start's background work (the block window, the chain history's recent days) done first,
    // so resident memory measured during the hang is the wait's alone.
    await waitFor(() => /chain history: \d+ recent days current/.test(output), {
      what: "serve's start-up work to finish",
      timeoutMs: 60_000,
      detail: () => output,
    });
    await economy.roundUsdPayments(20, PRICE);
    await untilInStep('before the hang', 15_000);
    const pid = node.pid as number;
    // Payments right before the stop: their announcements may or may not get out.
    await economy.roundUsdPayments(10, PRICE);
    const rssBefore = rssBytes(server.pid as number);
    // A page's stream: it is told when the node stops answering, and when it answers again.
    const stream = await openClient(`${base.replace('http', 'ws')}/ws/mempool`);
    await stream.message(0);
    process.kill(pid, 'SIGSTOP');
    const stopped = performance.now();
    let cont = false;
    let hangRss: { before: number; samples: number[] } | null = null;
    try {
      const down = await waitFor(health, {
        what: '/health to say the node does not answer',
        timeoutMs: SAYS_NOT_ANSWERING_MS,
        until: (h) => h.problems.some((p) => /the node does not answer/.test(p)),
        everyMs: 100,
      });
      const saidMs = Math.round(performance.now() - stopped);
      assert.equal(down.status, 'unhealthy');
      assert.equal(down.node_link?.rpc_answering, false);
      // /metrics says it too, for a box's Prometheus.
      const metrics = await (await fetch(`${base}/metrics`)).text();
      assert.match(metrics, /^chainprice_node_rpc_answering 0$/m);
      assert.match(metrics, /^chainprice_node_zmq_quiet_seconds 0$/m);
      // Seconds since the node last answered (NaN when the hang came before its first answer).
      const age = Number(/^chainprice_node_rpc_answer_age_seconds (\S+)$/m.exec(metrics)?.[1]);
      assert.ok(Number.isNaN(age) || age >= 4, `the node last answered ${age} s ago, by /metrics`);
      // A block's price needs the node: refused at once, not after the RPC timeout.
      const asked = performance.now();
      const blockPrice = await getJson<{ message: string }>('/api/v1/blocks/1/price');
      const answeredMs = Math.round(performance.now() - asked);
      assert.equal(blockPrice.status, 503);
      assert.match(blockPrice.body.message, /the node does not answer RPC now/);
      assert.ok(answeredMs < 1_000, `a block's price refused in ${answeredMs} ms`);
      t.diagnostic(`hang: /api/v1/blocks/1/price answered 503 in ${answeredMs} ms`);
      const silent = await stream.waitFor(
        (m) => m.type === 'error' && m.code === 'node_unavailable',
        0,
        5_000,
      );
      assert.match(silent.type === 'error' ? silent.message : '', /^the node does not answer; /);
      t.diagnostic(`hang: /health said the node does not answer ${saidMs} ms after kill -STOP`);
      t.diagnostic(`hang: /health problems ${JSON.stringify(down.problems)}`);

      // While it hangs: the last price with its age, and memory that stays put.
      const rss: number[] = [];
      let lastPrice: { status: number; body: Record<string, unknown> } | null = null;
      while (performance.now() - stopped < HANG_MS) {
        rss.push(rssBytes(server.pid as number));
        lastPrice = await getJson<Record<string, unknown>>('/api/v1/price');
        await sleep(1_000); // sampling pace while the hang lasts: time passing is the test here
      }
      assert.ok(lastPrice);
      assert.equal(lastPrice.status, 200);
      assert.ok(
        Math.abs((lastPrice.body.price as number) / PRICE - 1) < 0.01,
        JSON.stringify(lastPrice.body),
      );
      const hungSeconds = (performance.now() - stopped) / 1000;
      assert.ok(
        (lastPrice.body.age_seconds as number) >= hungSeconds - 5,
        `age ${lastPrice.body.age_seconds} s after ${hungSeconds} s of hang`,
      );
      assert.match(String(lastPrice.body.warning), /the node does not answer/);
      const peak = Math.max(...rss);
      t.diagnostic(
        `hang: /api/v1/price after ${hungSeconds.toFixed(0)} s: price ${lastPrice.body.price}, age_seconds ${lastPrice.body.age_seconds}, warning ${JSON.stringify(lastPrice.body.warning)}`,
      );
      t.diagnostic(
        `hang: serve RSS ${(rssBefore / 2 ** 20).toFixed(1)} MB before, ${(Math.min(...rss) / 2 ** 20).toFixed(1)}–${(peak / 2 ** 20).toFixed(1)} MB over ${rss.length} samples while hung, ${((rss.at(-1) as number) / 2 ** 20).toFixed(1)} MB at the end`,
      );
      assert.equal(server.exitCode, null, 'serve is still running');
      hangRss = { before: rssBefore, samples: rss };
    } finally {
      process.kill(pid, 'SIGCONT');
      cont = true;
    }
    assert.ok(cont);
    const continued = performance.now();
    await node.call('getblockcount');
    const answered = performance.now();
    // Payments right after: the window must have these too.
    await economy.roundUsdPayments(10, PRICE);
    const inStepMs = await untilInStep('after kill -CONT', IN_STEP_AFTER_ANSWER_MS, answered);
    await stream.waitFor((m) => m.type === 'error' && m.code === 'node_available', 0, 5_000);
    stream.close();
    const after = await health();
    assert.equal(after.status, 'ok', JSON.stringify(after));
    t.diagnostic(
      `hang: the node answered ${Math.round(answered - continued)} ms after kill -CONT; serve's window equal to the node's (${after.window_size} transactions) ${inStepMs} ms after that`,
    );
    // Memory while it waited: flat (asserted after the recovery, so a failure here shows that too).
    assert.ok(hangRss);
    const peak = Math.max(...hangRss.samples);
    assert.ok(
      peak <= hangRss.before + HANG_RSS_SLACK_BYTES,
      `RSS rose from ${hangRss.before} to ${peak} bytes while the node hung`,
    );
    assert.match(output, /the node does not answer RPC \(.*\); waiting for it/);
    assert.match(output, /the node answers RPC again after \d+ s/);
    // The confirmed-block price is not left failed by a fill the hang made time out.
    await waitFor(
      () =>
        output
          .match(/(the last 144 blocks (price bitcoin|give no price)|could not price the last 144 blocks)/g)
          ?.at(-1),
      {
        what: 'the last word on the confirmed-block window to be a price (or no price), not a failure',
        timeoutMs: 30_000,
        until: (line) => line !== undefined && !line.startsWith('could not'),
      },
    );
  });

  it('a node restarted (stop, start) with a new cookie: serve reconnects by itself', async (t) => {
    const cookieBefore = readFileSync(node.cookieFile, 'utf8');
    await node.stop({ keepDatadir: true });
    const stoppedAt = performance.now();
    const down = await waitFor(health, {
      what: '/health to say the node is gone',
      timeoutMs: SAYS_NOT_ANSWERING_MS,
      until: (h) => h.status === 'unhealthy' && h.node_link?.rpc_answering === false,
      everyMs: 100,
    });
    t.diagnostic(
      `restart: /health unhealthy ${Math.round(performance.now() - stoppedAt)} ms after the stop: ${JSON.stringify(down.problems)}`,
    );
    await node.launch();
    const back = performance.now();
    const cookieAfter = readFileSync(node.cookieFile, 'utf8');
    assert.notEqual(cookieAfter, cookieBefore, 'the restarted node wrote a new cookie');
    await economy.roundUsdPayments(10, PRICE);
    const inStepMs = await untilInStep('after the restart', IN_STEP_AFTER_ANSWER_MS, back);
    const after = await health();
    assert.equal(after.status, 'ok', JSON.stringify(after));
    t.diagnostic(
      `restart: new cookie; serve's window equal to the node's (${after.window_size} transactions) ${inStepMs} ms after the node answered RPC`,
    );
    assert.match(output, /ZMQ reconnected; resynchronising/);
  });

  for (const fault of ['stalled', 'closed'] as const) {
    it(`ZMQ ${fault} while RPC works: found within a minute, the window kept in step by polling, cleared when ZMQ is back`, async (t) => {
      await untilInStep(`before ZMQ is ${fault}`, 15_000);
      let sending = true;
      let sent = 0;
      const sender = (async () => {
        while (sending) {
          sent += (await economy.roundUsdPayments(3, PRICE)).length;
          await sleep(1_000); // the driver's pace, not a wait
        }
      })();
      const failed = performance.now();
      if (fault === 'stalled') for (const p of proxies) p.stall();
      else for (const p of proxies) await p.close();
      let quiet: Health;
      let quietBlock = '';
      try {
        quiet = await waitFor(health, {
          what: '/health to say ZMQ is quiet',
          timeoutMs: ZMQ_QUIET_FOUND_MS,
          until: (h) => h.problems.some((p) => /no ZMQ messages from the node/.test(p)),
          everyMs: 250,
        });
        // A block mined while ZMQ is quiet must reach the window too, and serve's record of block prices.
        [quietBlock] = await node.mine(1);
        await sleep(3_000); // a few more payments after the block
      } finally {
        sending = false;
        await sender;
      }
      const foundMs = Math.round(performance.now() - failed);
      t.diagnostic(
        `ZMQ ${fault}: /health said so ${foundMs} ms after the fault: ${JSON.stringify(quiet.problems)}`,
      );
      // Still quiet, the window catches up from RPC.
      const polledMs = await untilInStepDespiteQuiet(`ZMQ ${fault}, polling`);
      const still = await health();
      assert.equal(still.status, 'unhealthy');
      assert.ok(
        still.problems.some((p) => /kept in step by polling/.test(p)),
        JSON.stringify(still),
      );
      t.diagnostic(
        `ZMQ ${fault}: ${sent} payments and a block while quiet; serve's window equal to the node's (${still.window_size}) ${polledMs} ms after the sender stopped, ZMQ still ${fault}`,
      );
      // The resync that found the block announced it: its price is recorded like an announced one's.
      await waitFor(() => recordedBlock(quietBlock), {
        what: `the block mined while ZMQ was ${fault} in serve's block-price record`,
        timeoutMs: 10_000,
        until: Boolean,
        everyMs: 250,
      });

      if (fault === 'stalled') for (const p of proxies) p.resume();
      else for (const p of proxies) await p.reopen();
      const restored = performance.now();
      await economy.roundUsdPayments(5, PRICE);
      const clearMs = await untilInStep(`ZMQ ${fault} then back`, 15_000, restored);
      const after = await health();
      assert.equal(after.status, 'ok', JSON.stringify(after));
      assert.equal(after.node_link?.zmq_quiet_seconds, null);
      t.diagnostic(`ZMQ ${fault}: back; /health ok and the window equal to the node's ${clearMs} ms after`);
      assert.match(output, /no ZMQ messages from the node for \d+ s while its mempool changed/);
    });
  }

  /** Whether serve's history holds the price of block `hash` (read beside serve, read-only). */
  function recordedBlock(hash: string): boolean {
    const db = new DatabaseSync(join(dataDir, 'history.sqlite'), { readOnly: true });
    try {
      return db.prepare('SELECT 1 FROM blocks WHERE hash = ?').get(hash) !== undefined;
    } finally {
      db.close();
    }
  }

  /** Like untilInStep, but the ZMQ-quiet problem may (must) stay. */
  async function untilInStepDespiteQuiet(what: string): Promise<number> {
    const from = performance.now();
    await waitFor(
      async () => {
        const expected = await reference();
        const served = await health();
        if (served.window_size !== expected.size) return `${served.window_size} vs ${expected.size}`;
        const { counts } = await servedHistogram();
        return Array.from(expected.counts).every((c, i) => c === (counts[i] ?? 0))
          ? null
          : 'histograms differ';
      },
      {
        what: `serve's window to equal the node's (${what})`,
        timeoutMs: 30_000,
        until: (d) => d === null,
        everyMs: 250,
        detail: () => output.split('\n').slice(-15).join('\n'),
      },
    );
    return Math.round(performance.now() - from);
  }

  it('exits cleanly on SIGINT after all that', async () => {
    const exited = new Promise<number | null>((resolve) => server.once('exit', (code) => resolve(code)));
    server.kill('SIGINT');
    assert.equal(await exited, 0, output);
    assert.doesNotMatch(output, /internal error|at .*\.ts:\d+/);
  });
});
