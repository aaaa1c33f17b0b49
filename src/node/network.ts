// The Bitcoin networks a node can run, and what each implies for finding it: the bitcoin.conf
// section name, the datadir subfolder (where the cookie lives), the default RPC port, and the name
// the node itself reports in `getblockchaininfo.chain`.

export type Network = 'main' | 'test' | 'testnet4' | 'signet' | 'regtest';

export const NETWORKS: readonly Network[] = ['main', 'test', 'testnet4', 'signet', 'regtest'];

interface NetworkFacts {
  /** Subfolder of the datadir holding this network's files ("" for main). */
  datadirSubfolder: string;
  /** The node's default JSON-RPC port for this network. */
  rpcPort: number;
}

const FACTS: Record<Network, NetworkFacts> = {
  main: { datadirSubfolder: '', rpcPort: 8332 },
  test: { datadirSubfolder: 'testnet3', rpcPort: 18332 },
  testnet4: { datadirSubfolder: 'testnet4', rpcPort: 48332 },
  signet: { datadirSubfolder: 'signet', rpcPort: 38332 },
  regtest: { datadirSubfolder: 'regtest', rpcPort: 18443 },
};

/** Names people use for each network (flags, env, `chain=` in bitcoin.conf). */
const ALIASES: Record<string, Network> = {
  main: 'main',
  mainnet: 'main',
  bitcoin: 'main',
  test: 'test',
  testnet: 'test',
  testnet3: 'test',
  testnet4: 'testnet4',
  signet: 'signet',
  regtest: 'regtest',
};

/** The network for a user-given name, or null when the name is unknown. */
export function parseNetwork(name: string): Network | null {
  return ALIASES[name.trim().toLowerCase()] ?? null;
}

export function defaultRpcPort(network: Network): number {
  return FACTS[network].rpcPort;
}

export function datadirSubfolder(network: Network): string {
  return FACTS[network].datadirSubfolder;
}
