// The options that say where the node is, declared once for every command that talks to one
// (`serve`, `block`, `blocks`, `day`, `history`): the parsed values in, the NodeFlags that
// node-config.ts resolves out. `--regtest` and friends are shortcuts for `--network NAME`. Their
// CHAINPRICE_* variables are read by node-config.ts, which ranks them above bitcoin.conf and says
// which source a bad setting came from.

import { parseNetwork } from '../node/network.ts';
import { DEFAULT_RPC_TIMEOUT_SECONDS, NODE_ENV, type NodeFlags } from '../node/node-config.ts';
import { flag, option, usageError } from './options.ts';

const GROUP = "Node options (default: read the node's bitcoin.conf and cookie, like bitcoin-cli)";

function nodeOption<const S extends { value: string; help: string; shownDefault?: string }>(
  key: keyof NodeFlags,
  spec: S,
) {
  return option({ ...spec, env: NODE_ENV[key], envReadElsewhere: true, group: GROUP });
}

const SHORTCUT_HELP = 'short for --network main, test, testnet4, signet or regtest';
/** The network each shortcut names. */
const SHORTCUTS = {
  mainnet: 'main',
  testnet: 'test',
  testnet4: 'testnet4',
  signet: 'signet',
  regtest: 'regtest',
} as const;

export const NODE_OPTIONS = {
  network: nodeOption('network', {
    value: 'NAME',
    help: "the node's network: main, test, testnet4, signet or regtest",
    shownDefault: "bitcoin.conf's chain, else main",
  }),
  mainnet: flag({ help: SHORTCUT_HELP, group: GROUP }),
  testnet: flag({ help: SHORTCUT_HELP, group: GROUP }),
  testnet4: flag({ help: SHORTCUT_HELP, group: GROUP }),
  signet: flag({ help: SHORTCUT_HELP, group: GROUP }),
  regtest: flag({ help: SHORTCUT_HELP, group: GROUP }),
  datadir: nodeOption('datadir', {
    value: 'DIR',
    help: "the node's data directory",
    shownDefault: "~/.bitcoin, or the OS's default",
  }),
  conf: nodeOption('conf', {
    value: 'FILE',
    help: "the node's bitcoin.conf",
    shownDefault: 'DATADIR/bitcoin.conf',
  }),
  rpcHost: nodeOption('rpcHost', {
    value: 'HOST',
    help: 'JSON-RPC host',
    shownDefault: "bitcoin.conf's rpcconnect, else 127.0.0.1",
  }),
  rpcPort: nodeOption('rpcPort', {
    value: 'PORT',
    help: 'JSON-RPC port',
    shownDefault: "bitcoin.conf's rpcport, else the network's",
  }),
  rpcCookieFile: nodeOption('rpcCookieFile', {
    value: 'FILE',
    help: 'the RPC cookie file',
    shownDefault: "the network's .cookie in the datadir",
  }),
  rpcUser: nodeOption('rpcUser', { value: 'USER', help: 'RPC user, with a password: instead of the cookie' }),
  rpcPassword: nodeOption('rpcPassword', {
    value: 'PASS',
    help: 'RPC password; prefer the variable: flags show in ps',
  }),
  rpcTimeout: nodeOption('rpcTimeout', {
    value: 'SECONDS',
    help: 'per-request timeout',
    shownDefault: String(DEFAULT_RPC_TIMEOUT_SECONDS),
  }),
  zmqRawtx: nodeOption('zmqRawtx', {
    value: 'URL',
    help: 'ZMQ endpoint of new transactions',
    shownDefault: 'asked from the node',
  }),
  zmqSequence: nodeOption('zmqSequence', {
    value: 'URL',
    help: 'ZMQ endpoint of mempool and chain events',
    shownDefault: 'asked from the node',
  }),
  zmqRawblock: nodeOption('zmqRawblock', {
    value: 'URL',
    help: 'ZMQ endpoint of new blocks',
    shownDefault: 'asked from the node',
  }),
};

type NodeValues = { [K in keyof NodeFlags]: string | undefined } & Record<keyof typeof SHORTCUTS, boolean>;

/** The node settings given on the command line; a usage error when two networks are named. */
export function nodeFlagsOf(values: NodeValues, command: string): NodeFlags {
  const flags: NodeFlags = {};
  for (const key of Object.keys(NODE_ENV) as (keyof NodeFlags)[]) {
    const value = values[key];
    if (value !== undefined) flags[key] = value;
  }
  const named = Object.entries(SHORTCUTS)
    .filter(([shortcut]) => values[shortcut as keyof typeof SHORTCUTS])
    .map(([, network]) => network as string);
  if (flags.network !== undefined) named.unshift(flags.network);
  const networks = new Set(named.map((name) => parseNetwork(name) ?? name));
  if (networks.size > 1) {
    throw usageError(command, `two networks given (${[...networks].join(' and ')}): give one`);
  }
  if (named.length > 0) flags.network = named[0];
  return flags;
}
