// Connecting to a real regtest node: cookie auth, batching, ZMQ discovery, and one clear sentence
// for each mistake a user can make (wrong port, wrong credentials, wrong datadir, wrong network,
// no ZMQ). The warm-up wait is checked against a fake node that answers -28 a few times.
import assert from 'node:assert/strict';
import http from 'node:http';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { UserError } from '../../../src/errors.ts';
import { defaultEnvironment, type NodeFlags, resolveNodeConfig } from '../../../src/node/node-config.ts';
import { connectToNode, createRpcClient, waitForChainInfo } from '../../../src/node/node-connection.ts';
import { RpcError } from '../../../src/node/rpc-errors.ts';
import { discoverZmqEndpoints } from '../../../src/node/zmq-endpoints.ts';
import { CLOSED_PORT } from '../../support/ports.ts';
import { bitcoindOrSkipReason, RegtestNode } from './regtest-node.ts';

const found = bitcoindOrSkipReason();
const skip = 'skip' in found ? found.skip : false;

function configFor(node: RegtestNode, flags: NodeFlags = {}) {
  return resolveNodeConfig(
    { network: 'regtest', datadir: node.datadir, rpcPort: String(node.rpcPort), ...flags },
    { ...defaultEnvironment(), env: {} },
  );
}

async function userError(promise: Promise<unknown>): Promise<UserError> {
  try {
    await promise;
  } catch (error) {
    assert.ok(error instanceof UserError, `expected a UserError, got ${error}`);
    return error;
  }
  assert.fail('expected a failure');
}

describe('connecting to a regtest node', { skip }, () => {
  let node: RegtestNode;
  let bare: RegtestNode;
  before(async () => {
    const { bitcoind } = found as { bitcoind: string };
    [node, bare] = await Promise.all([
      RegtestNode.start(bitcoind),
      RegtestNode.start(bitcoind, { withoutZmq: ['rawtx', 'sequence', 'rawblock'] }),
    ]);
  });
  after(async () => {
    await Promise.all([node?.stop(), bare?.stop()]);
  });

  it('connects with the cookie found from --datadir and --regtest', async () => {
    const { rpc, chain } = await connectToNode(configFor(node));
    try {
      assert.equal(chain.chain, 'regtest');
      assert.equal(chain.blocks, 0);
    } finally {
      rpc.close();
    }
  });

  it('batches calls and keeps per-call errors in order', async () => {
    const rpc = createRpcClient(configFor(node));
    try {
      const results = await rpc.batch<string>([
        { method: 'getblockhash', params: [0] },
        { method: 'getblockhash', params: [5] },
        { method: 'getblockcount' },
      ]);
      assert.equal(results.length, 3);
      assert.ok(results[0].ok && /^[0-9a-f]{64}$/.test(results[0].value));
      assert.ok(!results[1].ok && results[1].error instanceof RpcError && results[1].error.code === -8);
      assert.deepEqual(results[2], { ok: true, value: 0 });
    } finally {
      rpc.close();
    }
  });

  it("reads a block's bytes as its hex streams in: the same bytes as getblock's hex", async () => {
    const rpc = createRpcClient(configFor(node));
    try {
      const hash = await rpc.call<string>('getblockhash', [0]);
      const hex = await rpc.call<string>('getblock', [hash, 0]);
      const bytes = await rpc.callHex('getblock', [hash, 0]);
      assert.deepEqual(Buffer.from(bytes), Buffer.from(hex, 'hex'));
      await assert.rejects(rpc.callHex('getblock', ['00'.repeat(32), 0]), (error: unknown) => {
        assert.ok(error instanceof RpcError, String(error));
        assert.equal(error.code, -5);
        return true;
      });
      await assert.rejects(rpc.callHex('getblockcount'), /has no hex result/);
    } finally {
      rpc.close();
    }
  });

  it('discovers the ZMQ endpoints from the node', async () => {
    const config = configFor(node);
    const rpc = createRpcClient(config);
    try {
      assert.deepEqual(await discoverZmqEndpoints(rpc, config), node.zmq);
    } finally {
      rpc.close();
    }
  });

  it('shows the exact bitcoin.conf lines when the node publishes no rawtx/sequence', async () => {
    const config = configFor(bare);
    const rpc = createRpcClient(config);
    try {
      const error = await userError(discoverZmqEndpoints(rpc, config));
      assert.match(error.message, /publishes no ZMQ rawtx or sequence notifications/);
      assert.match(
        error.hint ?? '',
        /zmqpubrawtx=tcp:\/\/127\.0\.0\.1:28332\n {2}zmqpubsequence=tcp:\/\/127\.0\.0\.1:28333/,
      );
      assert.match(error.hint ?? '', new RegExp(`${bare.datadir}/bitcoin.conf`));
    } finally {
      rpc.close();
    }
  });

  it('says nothing listens on a wrong port', async () => {
    const error = await userError(connectToNode(configFor(node, { rpcPort: String(CLOSED_PORT) })));
    assert.match(
      error.message,
      /no Bitcoin node is answering RPC at 127\.0\.0\.1:\d+ \(connection refused\)/,
    );
    assert.match(error.hint ?? '', /regtest RPC port is 18443/);
  });

  it('says a ZMQ port is not the RPC port', async () => {
    const zmqPort = node.zmq.rawtx.split(':').at(-1) as string;
    const error = await userError(connectToNode(configFor(node, { rpcPort: zmqPort, rpcTimeout: '5' })));
    assert.match(error.message, /is not the node's JSON-RPC port|did not answer/);
  });

  it('says the credentials were rejected, without printing the password', async () => {
    const error = await userError(
      connectToNode(configFor(node, { rpcUser: 'alice', rpcPassword: 'wrong-horse' })),
    );
    assert.match(error.message, /rejected the RPC credentials \(user "alice"\)/);
    assert.doesNotMatch(`${error.message} ${error.hint}`, /wrong-horse/);
  });

  it('says the cookie is missing when the datadir is wrong', async () => {
    const error = await userError(
      connectToNode(configFor(node, { datadir: path.join(node.datadir, 'nope') })),
    );
    assert.match(
      error.message,
      /cannot find the node's cookie file .*nope\/regtest\/\.cookie: the node is not running/,
    );
  });

  it('says the node runs another network', async () => {
    const config = configFor(node, { network: 'signet', rpcCookieFile: node.cookieFile });
    const error = await userError(connectToNode(config));
    assert.match(error.message, /runs regtest, but chainprice was set up for signet/);
    assert.match(error.hint ?? '', /--network regtest/);
  });
});

describe('waiting for a warming-up node', () => {
  it("retries RPC error -28 and reports the node's status while waiting", async () => {
    let calls = 0;
    const server = http.createServer((req, res) => {
      let body = '';
      req.on('data', (c) => {
        body += c;
      });
      req.on('end', () => {
        const { id } = JSON.parse(body);
        calls++;
        const reply =
          calls <= 2
            ? {
                id,
                result: null,
                error: { code: -28, message: calls === 1 ? 'Loading block index…' : 'Verifying blocks…' },
              }
            : {
                id,
                error: null,
                result: {
                  chain: 'regtest',
                  blocks: 7,
                  bestblockhash: '00'.repeat(32),
                  pruned: false,
                  initialblockdownload: false,
                },
              };
        res.writeHead(calls <= 2 ? 500 : 200, { 'content-type': 'application/json' });
        res.end(JSON.stringify(reply));
      });
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const port = (server.address() as { port: number }).port;
    const config = resolveNodeConfig(
      { network: 'regtest', rpcPort: String(port), rpcUser: 'u', rpcPassword: 'p' },
      { ...defaultEnvironment(), env: {} },
    );
    const rpc = createRpcClient(config);
    const statuses: string[] = [];
    try {
      const chain = await waitForChainInfo(rpc, config, { onStatus: (s) => statuses.push(s) });
      assert.equal(chain.blocks, 7);
      assert.equal(calls, 3);
      assert.deepEqual(statuses, [
        'the node is still starting (Loading block index…); waiting…',
        'the node is still starting (Verifying blocks…); waiting…',
      ]);
    } finally {
      rpc.close();
      server.close();
    }
  });
});
