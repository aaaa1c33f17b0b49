// Lost ZMQ messages against a real node, made deterministic: the service subscribes through a
// relay that forwards the node's messages untouched (with the node's own sequence numbers) but
// drops a run of them on request. The service must see the jump in the sequence numbers,
// resynchronise from RPC, and end with exactly the node's mempool in its window — including the
// transactions whose messages it never got.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { Publisher, Subscriber } from 'zeromq';
import { defaultEnvironment, resolveNodeConfig } from '../../../src/node/node-config.ts';
import { createNodeFeed, type NodeFeed } from '../../../src/node/node-feed.ts';
import { waitFor } from '../../support/wait.ts';
import { Economy } from './economy.ts';
import { bitcoindOrSkipReason, RegtestNode } from './regtest-node.ts';

const found = bitcoindOrSkipReason();
const skip = 'skip' in found ? found.skip : false;
const PRICE = 57_123.45;

/**
 * Forwards the node's ZMQ topics to endpoints of its own (ports of its own choosing: bound to
 * `*`); drops the next `n` messages of a topic on request.
 */
class LossyRelay {
  readonly endpoints = { rawtx: '', sequence: '', rawblock: '' };
  private readonly drops = new Map<string, number>();
  private readonly sockets: (Subscriber | Publisher)[] = [];
  dropped = 0;

  static async start(node: RegtestNode): Promise<LossyRelay> {
    const relay = new LossyRelay();
    for (const topic of ['rawtx', 'sequence', 'rawblock'] as const) {
      const pub = new Publisher({ linger: 0 });
      await pub.bind('tcp://127.0.0.1:*');
      relay.endpoints[topic] = pub.lastEndpoint as string;
      const sub = new Subscriber({ linger: 0 });
      let handshaken = false;
      void (async () => {
        try {
          for await (const event of sub.events) if (event.type === 'handshake') handshaken = true;
        } catch {
          // closed
        }
      })();
      sub.connect(node.zmq[topic]);
      sub.subscribe(topic);
      relay.sockets.push(pub, sub);
      void (async () => {
        try {
          for await (const parts of sub) {
            const left = relay.drops.get(topic) ?? 0;
            if (left > 0) {
              relay.drops.set(topic, left - 1);
              relay.dropped++;
              continue;
            }
            await pub.send(parts);
          }
        } catch {
          // closed
        }
      })();
      // Subscribed: the subscription goes out right after the handshake, so no message of the test
      // is lost to a late joiner.
      await waitFor(() => handshaken, {
        what: `the relay's ${topic} subscriber to reach the node`,
        timeoutMs: 10_000,
      });
    }
    return relay;
  }

  drop(topic: 'rawtx' | 'sequence', count: number): void {
    this.drops.set(topic, count);
  }

  close(): void {
    for (const socket of this.sockets) socket.close();
  }
}

describe('lost ZMQ messages', { skip, timeout: 120_000 }, () => {
  let node: RegtestNode;
  let relay: LossyRelay;
  let feed: NodeFeed;
  let economy: Economy;
  before(async () => {
    node = await RegtestNode.start((found as { bitcoind: string }).bitcoind);
    relay = await LossyRelay.start(node);
    economy = new Economy(node, 11);
    await economy.setup({ fundingOutputs: 100 });
  });
  after(async () => {
    await feed?.stop();
    relay?.close();
    await node?.stop();
  });

  it("detects the gap and resynchronises to exactly the node's mempool", async () => {
    await economy.roundUsdPayments(5, PRICE);
    // The relay's endpoints, given as flags: they win over what the node announces.
    const config = resolveNodeConfig(
      {
        network: 'regtest',
        datadir: node.datadir,
        rpcPort: String(node.rpcPort),
        zmqRawtx: relay.endpoints.rawtx,
        zmqSequence: relay.endpoints.sequence,
        zmqRawblock: relay.endpoints.rawblock,
      },
      { ...defaultEnvironment(), env: {} },
    );
    feed = await createNodeFeed(config);
    assert.deepEqual(feed.endpoints, relay.endpoints);
    await feed.start();
    assert.equal(feed.trackedTxids().size, 5);
    const resyncsBefore = feed.health().counters.resyncs ?? 0;

    // The next 10 transactions' messages never reach the service; then 10 more arrive normally.
    relay.drop('rawtx', 10);
    relay.drop('sequence', 10);
    const lost = await economy.roundUsdPayments(10, PRICE);
    const seen = await economy.roundUsdPayments(10, PRICE);
    const mempool = new Set(await node.call<string[]>('getrawmempool'));
    assert.equal(mempool.size, 25);

    await waitFor(() => feed.trackedTxids(), {
      what: `the tracker to hold the node's mempool (${mempool.size} transactions)`,
      until: (tracked) => tracked.size === mempool.size && [...mempool].every((txid) => tracked.has(txid)),
      timeoutMs: 15_000,
      detail: () => `counters ${JSON.stringify(feed.health().counters)}`,
    });
    assert.equal(relay.dropped, 20);
    const counters = feed.health().counters;
    assert.ok((counters.zmq_gaps ?? 0) >= 1, `a gap was seen (counters ${JSON.stringify(counters)})`);
    assert.ok((counters.resyncs ?? 0) > resyncsBefore, 'and a resync followed');
    for (const txid of [...lost, ...seen])
      assert.ok(feed.windowTxids().has(txid), `${txid} is in the window`);
    assert.deepEqual([...feed.trackedTxids()].sort(), [...mempool].sort());
    assert.deepEqual([...feed.windowTxids()].sort(), [...mempool].sort());
  });

  it('recovers from losses in mid-stream on either topic', async () => {
    for (const topic of ['sequence', 'rawtx'] as const) {
      const gapsBefore = feed.health().counters.zmq_gaps ?? 0;
      await economy.roundUsdPayments(3, PRICE); // a baseline for the counters
      const holdsMempool = async (what: string) => {
        const mempool = new Set(await node.call<string[]>('getrawmempool'));
        await waitFor(() => feed.windowTxids(), {
          what: `the window to hold the node's mempool (${mempool.size} transactions) ${what}`,
          until: (windowed) =>
            windowed.size === mempool.size && [...mempool].every((txid) => windowed.has(txid)),
          timeoutMs: 15_000,
          detail: () => `counters ${JSON.stringify(feed.health().counters)}`,
        });
        return mempool;
      };
      // The baseline's messages all arrived before the drop starts (it must hit the next ones).
      await holdsMempool(`before the ${topic} loss`);
      relay.drop(topic, 3);
      await economy.roundUsdPayments(6, PRICE);
      const mempool = await holdsMempool(`after the ${topic} loss`);
      assert.ok((feed.health().counters.zmq_gaps ?? 0) > gapsBefore, `${topic}: the loss was seen`);
      assert.deepEqual([...feed.windowTxids()].sort(), [...mempool].sort(), `${topic}: window == mempool`);
    }
  });
});
