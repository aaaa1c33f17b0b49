// Connecting to the node: a NodeConfig in, a working RPC client and the node's chain facts out —
// or one clear sentence with a hint for whatever the user can fix (node not running, wrong port,
// credentials rejected, wrong network). A node still starting (RPC error -28) is waited for, with
// its own status text passed to `onStatus`, so the user sees why nothing happens yet.

import { UserError } from '../errors.ts';
import { CookieError, readCookie } from './cookie.ts';
import { datadirSubfolder, defaultRpcPort, type Network, parseNetwork } from './network.ts';
import type { NodeConfig } from './node-config.ts';
import { RpcClient } from './rpc-client.ts';
import { isWarmingUp, RpcError, RpcTransportError } from './rpc-errors.ts';

export interface ChainInfo {
  chain: Network;
  blocks: number;
  bestBlockHash: string;
  pruned: boolean;
  /** Lowest height whose block is still stored, when pruned. */
  pruneHeight: number | null;
  initialBlockDownload: boolean;
}

interface BlockchainInfoReply {
  chain: string;
  blocks: number;
  bestblockhash: string;
  pruned: boolean;
  pruneheight?: number;
  initialblockdownload: boolean;
}

/** Ask again this often while the node warms up: often enough to feel live, rarely enough to cost nothing. */
const WARMUP_RETRY_MS = 1000;

export function createRpcClient(config: NodeConfig): RpcClient {
  const auth = config.rpc.auth;
  return new RpcClient({
    host: config.rpc.host,
    port: config.rpc.port,
    timeoutMs: config.rpc.timeoutMs,
    credentials: async () =>
      auth.kind === 'cookie' ? readCookie(auth.cookieFile) : { user: auth.user, password: auth.password },
  });
}

export interface ConnectOptions {
  /** Told about waits (warm-up), one line each time the node's status text changes. */
  onStatus?: (line: string) => void;
  /** Give up waiting for warm-up after this long (default: wait as long as it takes). */
  warmupTimeoutMs?: number;
  signal?: AbortSignal;
}

/** Connects, waits out the warm-up, checks the network; throws UserError for everything the user can fix. */
export async function connectToNode(
  config: NodeConfig,
  options: ConnectOptions = {},
): Promise<{ rpc: RpcClient; chain: ChainInfo }> {
  const rpc = createRpcClient(config);
  try {
    const chain = await waitForChainInfo(rpc, config, options);
    if (chain.chain !== config.network) {
      const hint =
        config.origin.network === 'default'
          ? `pass --network ${chain.chain} (or set chain=${chain.chain} in bitcoin.conf), or point --rpc-port at your ${config.network} node.`
          : `pass --network ${chain.chain}, or point --rpc-port at your ${config.network} node (the ${config.network} default is ${defaultRpcPort(config.network)}).`;
      throw new UserError(
        `the node at ${rpc.endpoint} runs ${chain.chain}, but chainprice was set up for ${config.network}.`,
        { hint },
      );
    }
    return { rpc, chain };
  } catch (error) {
    rpc.close();
    throw error;
  }
}

/** getblockchaininfo, retried while the node warms up; other failures become UserErrors. */
export async function waitForChainInfo(
  rpc: RpcClient,
  config: NodeConfig,
  options: ConnectOptions = {},
): Promise<ChainInfo> {
  const started = Date.now();
  let lastStatus = '';
  for (;;) {
    try {
      const reply = await rpc.call<BlockchainInfoReply>('getblockchaininfo');
      return toChainInfo(reply);
    } catch (error) {
      if (!isWarmingUp(error)) throw explainNodeError(error, config);
      const status = `the node is still starting (${error.message.replace(/^getblockchaininfo: /, '').replace(/ \(code -28\)$/, '')}); waiting…`;
      if (status !== lastStatus) options.onStatus?.(status);
      lastStatus = status;
      if (options.warmupTimeoutMs !== undefined && Date.now() - started > options.warmupTimeoutMs) {
        throw new UserError(
          `the node at ${rpc.endpoint} is still starting after ${Math.round((Date.now() - started) / 1000)} s.`,
          {
            hint: 'wait until it has loaded (see its debug.log) and run chainprice again.',
          },
        );
      }
      await delay(WARMUP_RETRY_MS, options.signal);
    }
  }
}

function toChainInfo(reply: BlockchainInfoReply): ChainInfo {
  const chain = parseNetwork(reply.chain);
  if (chain === null) throw new UserError(`the node reports an unknown chain "${reply.chain}".`);
  return {
    chain,
    blocks: reply.blocks,
    bestBlockHash: reply.bestblockhash,
    pruned: reply.pruned,
    pruneHeight: reply.pruned ? (reply.pruneheight ?? null) : null,
    initialBlockDownload: reply.initialblockdownload,
  };
}

/** One sentence and a hint for an RPC failure (any error in, a UserError out; UserErrors pass through). */
export function explainNodeError(error: unknown, config: NodeConfig): UserError {
  if (error instanceof UserError) return error;
  const where = `${config.rpc.host}:${config.rpc.port}`;
  const portHint = `the ${config.network} RPC port is ${defaultRpcPort(config.network)} unless bitcoin.conf sets rpcport (chainprice used ${config.rpc.port}, from ${config.origin.port})`;
  if (error instanceof CookieError) {
    if (error.reason === 'missing') {
      return new UserError(
        `cannot find the node's cookie file ${error.file}: the node is not running, or it uses another datadir or network.`,
        {
          hint: `start bitcoind (with server=1), or pass --datadir / --network to match it (the ${config.network} cookie lives in DATADIR${datadirSubfolder(config.network) ? `/${datadirSubfolder(config.network)}` : ''}/.cookie); or use --rpc-user/--rpc-password.`,
        },
      );
    }
    if (error.reason === 'unreadable') {
      return new UserError(`${error.message}.`, {
        hint: "run chainprice as the node's user or a member of its group (bitcoind -rpccookieperms=group), or use rpcuser/rpcpassword.",
      });
    }
    return new UserError(`${error.message}.`, { hint: 'restart the node so it writes a fresh cookie.' });
  }
  if (error instanceof RpcTransportError) {
    switch (error.kind) {
      case 'refused':
        return new UserError(`no Bitcoin node is answering RPC at ${where} (connection refused).`, {
          hint: `start bitcoind with server=1, or point chainprice at it with --rpc-port/--network; ${portHint}.`,
        });
      case 'not-rpc':
        return new UserError(`${where} is not the node's JSON-RPC port (${error.message}).`, {
          hint: `it may be the P2P or ZMQ port; ${portHint}.`,
        });
      case 'auth': {
        const auth = config.rpc.auth;
        return new UserError(
          `the node at ${where} rejected the RPC credentials (${auth.kind === 'cookie' ? `cookie ${auth.cookieFile}` : `user "${auth.user}"`}).`,
          {
            hint:
              auth.kind === 'cookie'
                ? 'the cookie belongs to another node or network: check --datadir and --network, or use --rpc-user/--rpc-password.'
                : "check the user and password against rpcuser/rpcpassword (or rpcauth) in the node's bitcoin.conf.",
          },
        );
      }
      case 'forbidden':
        return new UserError(`the node at ${where} refuses RPC from this address.`, {
          hint: "allow it with rpcallowip= (and rpcbind=) in the node's bitcoin.conf.",
        });
      case 'timeout':
        return new UserError(`${error.message}.`, {
          hint: 'the node may be busy (reindexing, or a slow disk); wait, or raise --rpc-timeout.',
        });
      case 'busy':
        return new UserError(`${error.message}.`, {
          hint: 'raise rpcworkqueue= in bitcoin.conf, or run fewer RPC clients.',
        });
      default:
        return new UserError(`${error.message}.`, { hint: `check --rpc-host and --rpc-port; ${portHint}.` });
    }
  }
  if (error instanceof RpcError) {
    return new UserError(`the node at ${where} answered with an error: ${error.message}.`);
  }
  return new UserError(
    `talking to the node at ${where} failed: ${error instanceof Error ? error.message : String(error)}.`,
  );
}

function delay(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) {
      reject(signal.reason);
      return;
    }
    const timer = setTimeout(resolve, ms);
    signal?.addEventListener(
      'abort',
      () => {
        clearTimeout(timer);
        reject(signal.reason);
      },
      { once: true },
    );
  });
}
