// What the Umbrel Bitcoin app exports (its exports.sh) that chainprice's Umbrel app may use, and
// umbrelOS's own APP_DATA_DIR: the only variables deploy/umbrel's compose file may name.

export const UMBREL_EXPORTS = [
  'APP_DATA_DIR',
  'APP_BITCOIN_NODE_IP',
  'APP_BITCOIN_RPC_PORT',
  'APP_BITCOIN_RPC_USER',
  'APP_BITCOIN_RPC_PASS',
  'APP_BITCOIN_NETWORK',
  'APP_BITCOIN_DATA_DIR',
  'APP_BITCOIN_ZMQ_RAWBLOCK_PORT',
  'APP_BITCOIN_ZMQ_RAWTX_PORT',
  'APP_BITCOIN_ZMQ_SEQUENCE_PORT',
] as const;
