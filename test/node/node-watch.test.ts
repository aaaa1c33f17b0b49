// The node watch with a scripted node (fast intervals): a node that stops answering is reported and
// the report clears when it answers; ZMQ silent while the node's mempool sequence moves is found,
// the window is resynchronised at each check while the node moves, and a ZMQ message ends it; a
// quiet node whose mempool does not move, or messages that keep coming, find nothing.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { NodeWatch, type NodeWatchOptions } from '../../src/node/node-watch.ts';
import type { CallOptions, RpcClient } from '../../src/node/rpc-client.ts';
import { RpcTransportError } from '../../src/node/rpc-errors.ts';
import { waitFor } from '../support/wait.ts';

/** A node whose answers the test sets: its mempool sequence and tip, and whether it answers at all. */
class ScriptedNode {
  sequence = 5;
  tip = 'aa';
  hung = false;
  /** Answer every call with this HTTP-level refusal (rpcwhitelist, credentials). */
  refusing: RpcTransportError | null = null;
  readonly calls: string[] = [];
  readonly endpoint = '127.0.0.1:18443';

  async call<T>(method: string, _params: unknown[] = [], options: CallOptions = {}): Promise<T> {
    this.calls.push(method);
    if (this.hung) {
      await new Promise((resolve) => setTimeout(resolve, options.timeoutMs ?? 1_000));
      throw new RpcTransportError(
        'timeout',
        this.endpoint,
        `the node at ${this.endpoint} did not answer ${method} within ${(options.timeoutMs ?? 1_000) / 1000} s`,
      );
    }
    if (this.refusing) throw this.refusing;
    if (method === 'getrawmempool') return { txids: [], mempool_sequence: this.sequence } as T;
    if (method === 'getbestblockhash') return this.tip as T;
    return {} as T;
  }
}

function setup(node: ScriptedNode, overrides: Partial<NodeWatchOptions> = {}) {
  const state = {
    lastMessageMs: performance.now() as number | null,
    connected: true,
    snapshot: { sequence: 5n, tip: 'aa', atMs: performance.now() },
    resyncs: 0,
    log: [] as string[],
  };
  const watch = new NodeWatch({
    rpc: node as unknown as RpcClient,
    lastMessageMs: () => state.lastMessageMs,
    zmqConnected: () => state.connected,
    expectedSequence: () => null,
    lastSnapshot: () => state.snapshot,
    resyncing: () => false,
    resync: async () => {
      state.resyncs++;
      state.snapshot = { sequence: BigInt(node.sequence), tip: node.tip, atMs: performance.now() };
    },
    log: (line) => state.log.push(line),
    livenessIntervalMs: 20,
    livenessTimeoutMs: 100,
    mempoolCheckMs: 50,
    announceGraceMs: 20,
    ...overrides,
  });
  return { watch, state };
}

describe('node watch', () => {
  it('reports a node that does not answer, and clears when it answers again', async (t) => {
    const node = new ScriptedNode();
    let backs = 0;
    const { watch, state } = setup(node, { onAnswerAgain: () => backs++ });
    watch.start();
    t.after(() => watch.stop());
    await waitFor(() => watch.report().lastRpcAnswerAgeSeconds !== null, {
      what: 'a first answer',
      timeoutMs: 2_000,
    });
    assert.deepEqual(watch.report().problems, []);
    node.hung = true;
    const report = await waitFor(() => watch.report(), {
      what: 'the node reported as not answering',
      timeoutMs: 2_000,
      until: (r) => !r.rpcAnswering,
    });
    assert.match(
      report.problems[0],
      /^the node does not answer RPC for \d+ s \(the node at 127\.0\.0\.1:18443 did not answer getmempoolinfo within 0\.1 s\); the last price is still served, with its age$/,
    );
    const pending = node.calls.filter((c) => c === 'getmempoolinfo').length;
    await new Promise((resolve) => setTimeout(resolve, 300)); // time passing is the test: calls stay one at a time
    const during = node.calls.filter((c) => c === 'getmempoolinfo').length - pending;
    assert.ok(during <= 4, `${during} checks in 300 ms with a 100 ms timeout: one at a time`);
    assert.equal(state.resyncs, 0, 'no mempool check while the node does not answer');
    node.hung = false;
    await waitFor(() => watch.report().rpcAnswering, { what: 'the node answering again', timeoutMs: 2_000 });
    assert.equal(backs, 1);
    assert.match(
      state.log.join('\n'),
      /the node does not answer RPC \(.*\); waiting for it\n.*the node answers RPC again after \d+ s/,
    );
  });

  it('does not call a node that refuses (rpcwhitelist, credentials) a node that does not answer', async (t) => {
    const node = new ScriptedNode();
    node.refusing = new RpcTransportError('forbidden', node.endpoint, 'refused');
    const { watch } = setup(node);
    watch.start();
    t.after(() => watch.stop());
    await waitFor(() => node.calls.length, { what: 'a few checks', timeoutMs: 2_000, until: (n) => n >= 3 });
    assert.equal(watch.report().rpcAnswering, true);
    node.refusing = null;
    node.hung = true;
    await waitFor(() => watch.report().rpcAnswering, {
      what: 'a hung node reported (the test can fail)',
      timeoutMs: 2_000,
      until: (a) => !a,
    });
  });

  it('finds ZMQ quiet while the mempool moves, polls, and clears when ZMQ speaks', async (t) => {
    const node = new ScriptedNode();
    const { watch, state } = setup(node);
    watch.start();
    t.after(() => watch.stop());
    // Silent, but the node's mempool does not move either: nothing to find.
    state.lastMessageMs = performance.now() - 1_000;
    await new Promise((resolve) => setTimeout(resolve, 200)); // a few checks pass
    assert.equal(watch.quiet, false);
    assert.equal(state.resyncs, 0);
    // Now it moves without a message.
    node.sequence = 9;
    await waitFor(() => watch.quiet, { what: 'ZMQ found quiet', timeoutMs: 2_000 });
    assert.ok(state.resyncs >= 1, 'resynchronised from RPC');
    assert.match(
      watch.report().problems[0],
      /^no ZMQ messages from the node for \d+ s while its mempool changed; the window is kept in step by polling/,
    );
    const resyncs = state.resyncs;
    node.tip = 'bb';
    await waitFor(() => state.resyncs, {
      what: 'a polling resync for the new tip',
      timeoutMs: 2_000,
      until: (n) => n > resyncs,
    });
    state.lastMessageMs = performance.now();
    watch.heard('ZMQ messages from the node again');
    assert.equal(watch.quiet, false);
    assert.deepEqual(watch.report().problems, []);
    assert.equal(watch.report().zmqQuietSeconds, null);
  });

  it('finds nothing while ZMQ messages keep coming, however the mempool moves', async (t) => {
    const node = new ScriptedNode();
    const { watch, state } = setup(node);
    watch.start();
    t.after(() => watch.stop());
    const feeding = setInterval(() => {
      node.sequence++;
      state.lastMessageMs = performance.now();
    }, 10);
    t.after(() => clearInterval(feeding));
    await new Promise((resolve) => setTimeout(resolve, 300)); // time passing is the test
    assert.equal(watch.quiet, false);
    assert.equal(node.calls.includes('getrawmempool'), false, 'no mempool check while ZMQ speaks');
  });
});
