// The ZMQ listener against a local publisher speaking the node's format: messages are delivered,
// a skipped sequence number is reported as a gap, and a publisher restart is a disconnect followed
// by a reconnect within the promised 5 s.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { XPublisher } from 'zeromq';
import { ZmqListener, type ZmqMessage } from '../../src/node/zmq-listener.ts';
import { waitFor } from '../support/wait.ts';

function seq(n: number): Buffer {
  const b = Buffer.alloc(4);
  b.writeUInt32LE(n);
  return b;
}

async function until(condition: () => boolean, ms: number, what = 'the listener'): Promise<void> {
  await waitFor(condition, { what, timeoutMs: ms, everyMs: 10 });
}

/**
 * A publisher that sees its subscribers' subscriptions (an XPUB socket), so the test sends once the
 * listener is subscribed instead of after a guessed pause (a message sent before is lost).
 */
function publisher(): XPublisher {
  return new XPublisher({ linger: 0, receiveTimeout: 5_000 });
}

/** Resolves once `topics` are all subscribed to; throws after 5 s. */
async function subscribed(socket: XPublisher, topics: string[]): Promise<void> {
  const seen = new Set<string>();
  while (!topics.every((t) => seen.has(t))) {
    const [message] = await socket.receive();
    if (message[0] === 1) seen.add(message.subarray(1).toString());
  }
}

describe('ZMQ listener', () => {
  it('delivers messages, reports gaps and reconnects after the publisher restarts', async () => {
    let pub = publisher();
    // A port of its own choosing; the restart below binds the same port again.
    await pub.bind('tcp://127.0.0.1:*');
    const endpoint = pub.lastEndpoint as string;
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
      await subscribed(pub, ['rawtx', 'sequence']);
      await pub.send(['rawtx', Buffer.from([1, 2, 3]), seq(7)]);
      await pub.send(['rawtx', Buffer.from([4]), seq(8)]);
      await pub.send(['hashtx', Buffer.alloc(32), seq(0)]); // not subscribed
      await pub.send(['rawtx', Buffer.from([5]), seq(10)]);
      await pub.send(['sequence', Buffer.alloc(33), seq(0xffffffff)]);
      await pub.send(['sequence', Buffer.alloc(33), seq(0)]);
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

      pub.close();
      await until(() => !listener.connected, 5000);
      const restarted = Date.now();
      pub = publisher();
      await pub.bind(endpoint);
      await until(() => listener.connected, 5000);
      assert.ok(Date.now() - restarted < 5000);
      assert.deepEqual(connections, [true, false, true]);
      await subscribed(pub, ['rawtx', 'sequence']);
      await pub.send(['rawtx', Buffer.from([6]), seq(0)]);
      await until(() => messages.length === 6, 5000);
      assert.equal(
        gaps.length,
        1,
        'a restarted publisher counting from 0 is not a gap (the reconnect resyncs anyway)',
      );
    } finally {
      await listener.close();
      pub.close();
    }
  });
});
