// Which ZMQ endpoints to subscribe to: the ones the user configured, the rest asked from the node
// (`getzmqnotifications`). Addresses the node binds on every interface (0.0.0.0, *, [::]) are
// connected to on the RPC host. When the node publishes no `rawtx` or no `sequence`, the error
// shows the exact bitcoin.conf lines to add. `rawblock` is optional (blocks are then fetched by RPC).

import { UserError } from '../errors.ts';
import type { NodeConfig, ZmqEndpoints, ZmqTopic } from './node-config.ts';
import type { RpcClient } from './rpc-client.ts';
import { RPC_CODE, RpcError } from './rpc-errors.ts';

interface ZmqNotification {
  type: string;
  address: string;
  hwm: number;
}

/** Ports people conventionally use for the node's ZMQ topics, offered in the "add these lines" hint. */
const SUGGESTED_PORTS: Record<ZmqTopic, number> = { rawtx: 28332, sequence: 28333, rawblock: 28334 };
const REQUIRED: readonly ZmqTopic[] = ['rawtx', 'sequence'];

export async function discoverZmqEndpoints(rpc: RpcClient, config: NodeConfig): Promise<ZmqEndpoints> {
  let published: ZmqNotification[];
  try {
    published = await rpc.call<ZmqNotification[]>('getzmqnotifications');
  } catch (error) {
    if (error instanceof RpcError && error.code === RPC_CODE.methodNotFound) {
      if (REQUIRED.every((topic) => config.zmq[topic])) return normalise(config.zmq, config.rpc.host);
      throw new UserError(
        'the node was built without ZMQ support, which chainprice needs for the live price.',
        {
          hint: 'run a bitcoind built with ZMQ (the official release binaries are).',
        },
      );
    }
    throw error;
  }
  const endpoints: ZmqEndpoints = {};
  for (const n of published) {
    const topic = n.type.replace(/^pub/, '') as ZmqTopic;
    if (topic === 'rawtx' || topic === 'sequence' || topic === 'rawblock') endpoints[topic] = n.address;
  }
  Object.assign(endpoints, config.zmq);
  const missing = REQUIRED.filter((topic) => !endpoints[topic]);
  if (missing.length > 0) throw missingZmqError(missing, endpoints, config);
  return normalise(endpoints, config.rpc.host);
}

function missingZmqError(missing: ZmqTopic[], endpoints: ZmqEndpoints, config: NodeConfig): UserError {
  const existing = Object.values(endpoints)[0];
  const add = [...missing, ...(endpoints.rawblock ? [] : (['rawblock'] as ZmqTopic[]))];
  const lines = add.map(
    (topic) => `  zmqpub${topic}=${existing ?? `tcp://127.0.0.1:${SUGGESTED_PORTS[topic]}`}`,
  );
  const where = config.confFile ?? `${config.datadir}/bitcoin.conf`;
  return new UserError(
    `the node publishes no ZMQ ${missing.join(' or ')} notifications, which chainprice needs to follow the mempool live.`,
    { hint: `add these lines to ${where}, restart the node, and run chainprice again:\n${lines.join('\n')}` },
  );
}

/** Replaces a wildcard bind address with a host we can connect to. */
function normalise(endpoints: ZmqEndpoints, rpcHost: string): ZmqEndpoints {
  const out: ZmqEndpoints = {};
  for (const [topic, address] of Object.entries(endpoints) as [ZmqTopic, string][]) {
    const host = rpcHost.includes(':') ? `[${rpcHost}]` : rpcHost;
    out[topic] = address.replace(/^tcp:\/\/(?:\*|0\.0\.0\.0|\[::\]|\[\*\])(?=:)/, `tcp://${host}`);
  }
  return out;
}
