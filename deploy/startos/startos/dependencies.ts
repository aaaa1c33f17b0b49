// chainprice needs the Bitcoin node running with ZMQ on: a task asks the bitcoind package to turn
// ZMQ on (its hidden "autoconfig" action, which takes a partial bitcoin.conf) whenever it is off.
// The action is named here by its id and the one input field set, rather than imported from the
// bitcoind package's repository (an npm dependency on a GitHub branch, which this repository's
// installs cannot reach).
import { sdk } from './sdk';
import { bitcoind } from './utils';

interface AutoconfigInput {
  zmqEnabled: boolean;
}

/** bitcoind's action as createTask takes one: its id, and its input's type (the SDK's own actions hold null there). */
const bitcoindAutoconfig: { readonly id: 'autoconfig'; readonly _INPUT: AutoconfigInput } = {
  id: 'autoconfig',
  _INPUT: null as unknown as AutoconfigInput,
};

export const setDependencies = sdk.setupDependencies(async ({ effects }) => {
  await sdk.action.createTask(effects, bitcoind.packageId, bitcoindAutoconfig, 'critical', {
    input: { kind: 'partial', accept: [{ zmqEnabled: true }], set: { zmqEnabled: true } },
    when: { condition: 'input-not-matches', once: false },
    reason: 'chainprice follows the mempool through ZMQ: turn ZMQ on in Bitcoin',
    replayId: 'chainprice-zmq',
  });
  return {
    // Running is enough: chainprice waits for a node that is still starting, and says so.
    bitcoind: { kind: 'running', versionRange: '>=28.0', healthChecks: [] },
  };
});
