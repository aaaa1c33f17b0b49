// The command-line flags that say where the node is, shared by every command that talks to one
// (`serve`, `block`, `blocks`, `day`): an argument list in, the node flags and the remaining
// arguments out. `--flag value` and `--flag=value` both work; `--regtest` and friends are
// shortcuts for `--network NAME`.

import { EXIT, UserError } from '../errors.ts';
import type { NodeFlags } from './node-config.ts';

const VALUE_FLAGS: Record<string, keyof NodeFlags> = {
  '--network': 'network',
  '--datadir': 'datadir',
  '--conf': 'conf',
  '--rpc-host': 'rpcHost',
  '--rpc-port': 'rpcPort',
  '--rpc-user': 'rpcUser',
  '--rpc-password': 'rpcPassword',
  '--rpc-cookie-file': 'rpcCookieFile',
  '--rpc-timeout': 'rpcTimeout',
  '--zmq-rawtx': 'zmqRawtx',
  '--zmq-sequence': 'zmqSequence',
  '--zmq-rawblock': 'zmqRawblock',
};

const NETWORK_SHORTCUTS: Record<string, string> = {
  '--mainnet': 'main',
  '--testnet': 'test',
  '--testnet4': 'testnet4',
  '--signet': 'signet',
  '--regtest': 'regtest',
};

export const NODE_FLAGS_HELP = `Node options (default: read the node's bitcoin.conf and cookie, like bitcoin-cli):
  --network NAME          main, test, testnet4, signet or regtest (or --regtest, --signet, ...)
  --datadir DIR           the node's data directory (default: ~/.bitcoin or the OS default)
  --conf FILE             the node's bitcoin.conf (default: DATADIR/bitcoin.conf)
  --rpc-host HOST         JSON-RPC host (default 127.0.0.1, or rpcconnect from bitcoin.conf)
  --rpc-port PORT         JSON-RPC port (default: the network's, or rpcport from bitcoin.conf)
  --rpc-cookie-file FILE  cookie file (default: the network's .cookie in the datadir)
  --rpc-user USER         RPC user (with a password: instead of the cookie)
  --rpc-password PASS     RPC password (prefer CHAINPRICE_RPC_PASSWORD: flags show in ps)
  --rpc-timeout SECONDS   per-request timeout (default 60)
  --zmq-rawtx URL, --zmq-sequence URL, --zmq-rawblock URL
                          ZMQ endpoints (default: asked from the node)
Each option also reads CHAINPRICE_<NAME> from the environment (e.g. CHAINPRICE_RPC_PORT).`;

/** Separates the node flags from the other arguments; throws a usage error for a flag missing its value. */
export function takeNodeFlags(args: readonly string[]): { flags: NodeFlags; rest: string[] } {
  const flags: NodeFlags = {};
  const rest: string[] = [];
  for (let i = 0; i < args.length; i++) {
    const arg = args[i];
    const shortcut = NETWORK_SHORTCUTS[arg];
    if (shortcut !== undefined) {
      flags.network = shortcut;
      continue;
    }
    const eq = arg.indexOf('=');
    const name = eq === -1 ? arg : arg.slice(0, eq);
    const key = VALUE_FLAGS[name];
    if (key === undefined) {
      rest.push(arg);
      continue;
    }
    let value: string | undefined;
    if (eq !== -1) value = arg.slice(eq + 1);
    else {
      value = args[i + 1];
      if (value === undefined || value.startsWith('--')) {
        throw new UserError(`${name} needs a value.`, { hint: `e.g. ${name}=VALUE`, exitCode: EXIT.usage });
      }
      i++;
    }
    flags[key] = value;
  }
  return { flags, rest };
}
