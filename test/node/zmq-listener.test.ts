// The ZMQ listener against a local publisher speaking the node's format: messages are delivered,
// a skipped sequence number is reported as a gap, and a publisher restart is a disconnect followed
// by a reconnect within the promised 5 s.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { Publisher } from 'zeromq';
import { ZmqListener, type ZmqMessage } from '../../src/node/zmq-listener.ts';
import { freePort, sleep } from '../integration/node/regtest-node.ts';

function seq(n: number): Buffer {
  const b = Buffer.alloc(4);
  b.writeUInt32LE(n);
  return b;
}

async function until(condition: () => boolean, ms: number): Promise<void> {
  const deadline = Date.now() + ms;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error('timed out');
    await sleep(10);
  }
}

describe('ZMQ listener', () => {
  it('delivers messages, reports gaps and reconnects after the publisher restarts', async () => {
    const endpoint = `tcp://127.0.0.1:${await freePort()}`;
    let publisher = new Publisher({ linger: 0 });
    await publisher.bind(endpoint);
    const messages: ZmqMessage[] = [];
    const gaps: [string, number, number][] = [];
    const connections: boolean[] = [];
    const listener = new ZmqListener(
      { rawtx: endpoint, sequence: endpoint },
      {
        message: (m) => messages.push(m),
        gap: (topic, expected, received) => gaps.push([topic, expected, received]),
        connection: (connected) => connections.push(connected),
      },
    );
    try {
      listener.start();
      await until(() => listener.connected, 5000);
      await sleep(100); // let the subscription reach the publisher
      await publisher.send(['rawtx', Buffer.from([1, 2, 3]), seq(7)]);
      await publisher.send(['rawtx', Buffer.from([4]), seq(8)]);
      await publisher.send(['hashtx', Buffer.alloc(32), seq(0)]); // not subscribed
      await publisher.send(['rawtx', Buffer.from([5]), seq(10)]);
      await publisher.send(['sequence', Buffer.alloc(33), seq(0xffffffff)]);
      await publisher.send(['sequence', Buffer.alloc(33), seq(0)]);
      await until(() => messages.length === 5, 5000);
      assert.deepEqual(
        messages.map((m) => [m.topic, m.sequence]),
        [
          ['rawtx', 7],
          ['rawtx', 8],
          ['rawtx', 10],
          ['sequence', 0xffffffff],
          ['sequence', 0],
        ],
      );
      assert.deepEqual(gaps, [['rawtx', 9, 10]], 'the counter wraps from 2^32-1 to 0 without a gap');

      publisher.close();
      await until(() => !listener.connected, 5000);
      const restarted = Date.now();
      publisher = new Publisher({ linger: 0 });
      await publisher.bind(endpoint);
      await until(() => listener.connected, 5000);
      assert.ok(Date.now() - restarted < 5000);
      assert.deepEqual(connections, [true, false, true]);
      await sleep(100);
      await publisher.send(['rawtx', Buffer.from([6]), seq(0)]);
      await until(() => messages.length === 6, 5000);
      assert.equal(
        gaps.length,
        1,
        'a restarted publisher counting from 0 is not a gap (the reconnect resyncs anyway)',
      );
    } finally {
      await listener.close();
      publisher.close();
    }
  });
});
