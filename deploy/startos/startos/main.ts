// chainprice's daemon on StartOS: the image's `serve`, pointed at the bitcoind package through the
// bridge (RPC, and ZMQ on the ports bitcoind publishes, given explicitly: the node's own
// getzmqnotifications names its bind address, 0.0.0.0, and the bridge may map other ports), with
// bitcoind's volume mounted read-only for its bitcoin.conf, RPC cookie and block files (the history
// build reads them) and chainprice's own volume for the price history. Two checks: the web
// interface answers, and /health says the price is live (connected, hearing from the node, estimating).
import { sdk } from './sdk';
import { bitcoind, bitcoindMountpoint, dataMountpoint, uiPort } from './utils';

/** How long one /health request may take before the check counts as failed. */
const HEALTH_TIMEOUT_MS = 5_000;

export const main = sdk.setupMain(async ({ effects }) => {
  const bridge = (hostId: string, internalPort: number) =>
    sdk.host
      .getBridgeAddress(effects, { packageId: bitcoind.packageId, hostId, internalPort, ssl: false })
      .const();
  const rpc = await bridge(bitcoind.rpcHostId, bitcoind.rpcPort);
  const zmqTransactions = await bridge(bitcoind.zmqHostId, bitcoind.zmqTransactionPort);
  const zmqBlocks = await bridge(bitcoind.zmqHostId, bitcoind.zmqBlockPort);
  if (!rpc) throw new Error('Bitcoin is not installed or not serving RPC: install and start Bitcoin first');
  if (!zmqTransactions)
    throw new Error(
      'Bitcoin publishes no ZMQ: run the task on Bitcoin that turns ZMQ on, then start chainprice',
    );
  const [rpcHost, rpcPort] = splitAddress(rpc);

  const mounts = sdk.Mounts.of()
    .mountVolume({ volumeId: 'main', subpath: null, mountpoint: dataMountpoint, readonly: false })
    .mountDependency({
      dependencyId: bitcoind.packageId,
      volumeId: bitcoind.volumeId,
      subpath: null,
      mountpoint: bitcoindMountpoint,
      readonly: true,
    });
  const subcontainer = sdk.SubContainer.of(effects, { imageId: 'chainprice' }, mounts, 'chainprice');

  return sdk.Daemons.of(effects)
    .addDaemon('primary', {
      subcontainer,
      exec: {
        command: sdk.useEntrypoint(['serve']),
        // As root: bitcoind's cookie and block files are readable by its own user only.
        user: 'root',
        env: {
          CHAINPRICE_HOST: '0.0.0.0',
          CHAINPRICE_PORT: String(uiPort),
          CHAINPRICE_DATA_DIR: dataMountpoint,
          // A board computer blocks now and then (a slow SD card, a large collection): unhealthy only past 3 s.
          CHAINPRICE_MAX_STALL_S: '3',
          CHAINPRICE_DATADIR: bitcoindMountpoint,
          CHAINPRICE_RPC_HOST: rpcHost,
          CHAINPRICE_RPC_PORT: rpcPort,
          CHAINPRICE_ZMQ_RAWTX: `tcp://${zmqTransactions}`,
          CHAINPRICE_ZMQ_SEQUENCE: `tcp://${zmqTransactions}`,
          ...(zmqBlocks ? { CHAINPRICE_ZMQ_RAWBLOCK: `tcp://${zmqBlocks}` } : {}),
        },
      },
      ready: {
        display: 'Web interface',
        fn: () =>
          sdk.healthCheck.checkPortListening(effects, uiPort, {
            successMessage: 'The web interface is ready',
            errorMessage: 'The web interface is not answering',
          }),
      },
      requires: [],
    })
    .addHealthCheck('price', {
      ready: { display: 'Live price', fn: livePrice },
      requires: ['primary'],
    });
});

/** "10.0.3.1:8332" → ["10.0.3.1", "8332"]. */
function splitAddress(address: string): [string, string] {
  const colon = address.lastIndexOf(':');
  return [address.slice(0, colon), address.slice(colon + 1)];
}

/** Success when chainprice's /health answers 200; its own words for why not, otherwise. */
async function livePrice(): Promise<{ result: 'success' | 'starting' | 'failure'; message: string }> {
  try {
    const response = await fetch(`http://127.0.0.1:${uiPort}/health`, {
      signal: AbortSignal.timeout(HEALTH_TIMEOUT_MS),
    });
    if (response.ok) return { result: 'success', message: 'Connected to Bitcoin and estimating' };
    // The problems are what /health says is wrong (a full disk, a node that does not answer);
    // detail is only the feed's state.
    const body = (await response.json()) as { problems?: string[]; detail?: string | null };
    const problems = body.problems ?? [];
    const why = problems.length > 0 ? problems.join('; ') : body.detail;
    // Before its first estimate the service is starting; any other problem is a failure to show.
    const starting = problems.every((problem) => problem === 'no estimate yet');
    return {
      result: starting ? 'starting' : 'failure',
      message: why ?? `/health answered ${response.status}`,
    };
  } catch (error) {
    return { result: 'failure', message: `chainprice does not answer: ${(error as Error).message}` };
  }
}
