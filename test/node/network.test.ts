// The network names node boxes pass on: Umbrel's Bitcoin app exports APP_BITCOIN_NETWORK as
// mainnet, testnet (testnet3 in its older releases), testnet4, signet or regtest, and the Umbrel
// app hands it to chainprice as CHAINPRICE_NETWORK. Each names its network, whose files (the
// blocks the history is built from) are in the datadir's subfolder for it.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { datadirSubfolder, parseNetwork } from '../../src/node/network.ts';

test("Umbrel's network names: the network and its datadir subfolder", () => {
  const umbrel: [string, string, string][] = [
    ['mainnet', 'main', ''],
    ['testnet', 'test', 'testnet3'],
    ['testnet3', 'test', 'testnet3'],
    ['testnet4', 'testnet4', 'testnet4'],
    ['signet', 'signet', 'signet'],
    ['regtest', 'regtest', 'regtest'],
  ];
  for (const [name, network, subfolder] of umbrel) {
    const parsed = parseNetwork(name);
    assert.equal(parsed, network, name);
    assert.equal(datadirSubfolder(parsed!), subfolder, name);
  }
  assert.equal(parseNetwork('testnet5'), null);
});
