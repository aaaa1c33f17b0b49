// Names and numbers the package's files share: chainprice's own port and mount points, and where
// the bitcoind package (Start9's Bitcoin Core, or Knots, which implements it) serves what
// chainprice needs. bitcoind's ids and ports are its package's contract with dependents
// (bitcoin-core-startos, startos/utils.ts): RPC on host "rpc", port 8332; ZMQ on host "zmq",
// blocks (rawblock) on 28332, transactions (rawtx and sequence) on 28333.

/** chainprice's web interface, API and stream (the image's CHAINPRICE_PORT). */
export const uiPort = 8000;
/** chainprice's own volume: the price history. */
export const dataMountpoint = '/data';
/** bitcoind's volume, read-only: its bitcoin.conf, RPC cookie and block files. */
export const bitcoindMountpoint = '/mnt/bitcoind';

export const bitcoind = {
  packageId: 'bitcoind',
  volumeId: 'main',
  rpcHostId: 'rpc',
  rpcPort: 8332,
  zmqHostId: 'zmq',
  zmqBlockPort: 28332,
  zmqTransactionPort: 28333,
} as const;
