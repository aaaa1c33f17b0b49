// `chainprice serve` against a real regtest node, as a user runs it: the node found from
// --regtest/--datadir and its cookie, ZMQ discovered, the live price and the confirmed-block price
// over HTTP, /health while the node is up and while it is gone, and a clean exit on SIGINT. The
// data directory holds a history from an earlier run: the start is seeded from its last confident price.
// The chain's price history: the recent days are built in the background on start (from the node's
// block files) and a newly mined block joins it.
import assert from 'node:assert/strict';
import type { ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { HistoryStore } from '../../../src/store/history.ts';
import { startServe } from '../../support/serve-process.ts';
import { waitFor as waitUntil } from '../../support/wait.ts';
import { Economy } from './economy.ts';
import { bitcoindOrSkipReason, RegtestNode } from './regtest-node.ts';

const found = bitcoindOrSkipReason();
const skip = 'skip' in found ? found.skip : false;
/** Not a round number, so round-dollar outputs are not round-bitcoin outputs. */
const PRICE = 48_321.09;

async function getJson(url: string): Promise<{ status: number; body: Record<string, unknown> }> {
  const response = await fetch(url);
  return { status: response.status, body: (await response.json()) as Record<string, unknown> };
}

/** Errors count as "not yet": the service may still be starting or the node coming back. */
async function waitFor(what: string, condition: () => Promise<boolean>, ms = 20_000): Promise<void> {
  await waitUntil(condition, { what, timeoutMs: ms, ignoreErrors: true, everyMs: 100 });
}

describe('chainprice serve with a regtest node', { skip, timeout: 120_000 }, () => {
  let node: RegtestNode;
  let server: ChildProcess | null = null;
  let base = '';
  let output = '';
  let minedHeight = 0;
  const dataDir = mkdtempSync(join(tmpdir(), 'chainprice-serve-node-'));

  before(async () => {
    // An earlier run's history: a confident price an hour ago, an unsure (wrong) one since.
    const earlier = HistoryStore.open({ dataDir });
    const now = Date.now() / 1000;
    earlier.recordEstimate({ price: 48_500, confidence: 0.8, timestamp: now - 3_600 });
    earlier.recordEstimate({ price: 4_850, confidence: 0.3, timestamp: now - 600 });
    earlier.close();
    node = await RegtestNode.start((found as { bitcoind: string }).bitcoind);
    const economy = new Economy(node, 5);
    await economy.setup({ fundingOutputs: 400, buryBlocks: 144 });
    await economy.roundUsdPayments(150, PRICE);
    await node.mine(1);
    minedHeight = await node.call<number>('getblockcount');
    await economy.roundUsdPayments(150, PRICE);
    // Port 0: the service binds a free port itself and says which in its log (no race for it).
    const served = await startServe(['--data-dir', dataDir, ...node.cliArgs], {
      onOutput: (text) => {
        output += text;
      },
    });
    server = served.child;
    base = served.base;
  });

  after(async () => {
    if (server && server.exitCode === null) {
      server.kill('SIGKILL');
      await new Promise((resolve) => server?.once('exit', resolve));
    }
    await node?.stop();
    rmSync(dataDir, { recursive: true, force: true });
  });

  it('serves the live price and the block price from the node', async (t) => {
    await waitFor("a live price near the driver's", async () => {
      const { body } = await getJson(`${base}/api/v1/price`);
      return typeof body.price === 'number' && Math.abs(body.price / PRICE - 1) < 0.01;
    });
    const health = await getJson(`${base}/health`);
    assert.equal(health.status, 200, JSON.stringify(health.body));
    assert.equal(health.body.source, 'node');
    assert.deepEqual(health.body.node, { connected: true });
    assert.match(
      output,
      /seeding the live estimate with the history's last confident price \$48500\.00 \(confidence 0\.80, 60 min old\)/,
    );
    const seed = health.body.seed as { price: number | null; source: string | null };
    // The history's seed holds until the chain gives a confident price (the block window or a cold check).
    assert.ok(
      (seed.source === 'history' && seed.price === 48_500) ||
        seed.source === 'block-window' ||
        seed.source === 'cold-check',
      JSON.stringify(health.body.seed),
    );
    t.diagnostic(
      `seed ${JSON.stringify(health.body.seed)}; cold check ${JSON.stringify(health.body.cold_check)}`,
    );

    const block = await getJson(`${base}/api/v1/blocks/${minedHeight}/price`);
    assert.equal(block.status, 200, JSON.stringify(block.body));
    assert.equal(block.body.height, minedHeight);
    assert.ok(Math.abs((block.body.price as number) / PRICE - 1) < 0.01, `block price ${block.body.price}`);
    const byHash = await getJson(`${base}/api/v1/blocks/${block.body.hash}/price`);
    assert.equal(byHash.body.price, block.body.price);
    assert.equal((await getJson(`${base}/api/v1/blocks/${minedHeight + 1000}/price`)).status, 404);
  });

  it('builds the recent chain history in the background and keeps it current as blocks arrive', async () => {
    await waitFor('the mined block in the chain history', async () => {
      const { body } = await getJson(`${base}/api/v1/history/blocks?from=${minedHeight}&to=${minedHeight}`);
      return (body.blocks as unknown[]).length === 1;
    });
    assert.match(output, /chain history: building the last 30 days \(heights \d+–\d+\) in the background/);
    const { body } = await getJson(`${base}/api/v1/history/blocks?from=${minedHeight}&to=${minedHeight}`);
    assert.equal(body.source, 'node');
    const row = (body.blocks as { price: number | null; hash: string }[])[0];
    const live = await getJson(`${base}/api/v1/blocks/${minedHeight}/price`);
    assert.equal(row.hash, live.body.hash);
    assert.ok(
      row.price !== null && Math.abs(row.price / PRICE - 1) < 0.01,
      `history block price ${row.price}`,
    );
    const [next] = await node.mine(1);
    await waitFor('a newly mined block in the chain history', async () => {
      const { body: b } = await getJson(
        `${base}/api/v1/history/blocks?from=${minedHeight + 1}&to=${minedHeight + 1}`,
      );
      return (b.blocks as { hash: string }[])[0]?.hash === next;
    });
    const daily = await getJson(`${base}/api/v1/history/daily`);
    assert.ok((daily.body.days as unknown[]).length >= 1);
    assert.match(output, /chain history: \d+ recent days current/);
  });

  it('reports the node gone in /health and comes back with it (a new cookie after kill -9)', async () => {
    const cookieBefore = readFileSync(node.cookieFile, 'utf8');
    await node.kill9();
    await waitFor(
      'health to say the node is gone',
      async () => (await getJson(`${base}/health`)).status === 503,
    );
    const down = await getJson(`${base}/health`);
    assert.deepEqual(down.body.node, { connected: false });
    assert.match(String(down.body.detail), /ZMQ|RPC|node|refused|retrying/);
    const blockWhileDown = await getJson(`${base}/api/v1/blocks/${minedHeight}/price`);
    assert.ok(
      blockWhileDown.status === 200 || blockWhileDown.status === 503,
      `cached or unavailable, got ${blockWhileDown.status}`,
    );
    await node.launch();
    // The restarted node wrote a new cookie: serve must read it again by itself.
    assert.notEqual(readFileSync(node.cookieFile, 'utf8'), cookieBefore);
    await waitFor('health to recover', async () => (await getJson(`${base}/health`)).status === 200, 15_000);
    assert.match(output, /ZMQ reconnected; resynchronising/);
  });

  it('exits cleanly on SIGINT', async () => {
    const exited = new Promise<number | null>((resolve) => server?.once('exit', (code) => resolve(code)));
    server?.kill('SIGINT');
    assert.equal(await exited, 0, output);
    assert.doesNotMatch(output, /internal error|at .*\.ts:\d+/);
  });
});
