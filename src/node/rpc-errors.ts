// What can go wrong talking to the node over JSON-RPC, as typed errors: the node answered with an
// error (`RpcError`, with the node's numeric code), or no usable answer came back
// (`RpcTransportError`, with a kind: refused, timeout, auth, forbidden, not-rpc, busy, network).
// Messages name the endpoint, never a secret.

/** Error codes of the node's JSON-RPC interface that chainprice reacts to. */
export const RPC_CODE = {
  /** The node is still starting: loading the block index, verifying blocks, loading the wallet. */
  inWarmup: -28,
  /** Unknown block or transaction (e.g. getblockhash past the tip, a tx that left the mempool). */
  invalidAddressOrKey: -5,
  /** getblockhash with a height out of range. */
  invalidParameter: -8,
  /** Generic failure; "Block not available (pruned data)" uses it. */
  miscError: -1,
  methodNotFound: -32601,
} as const;

export class RpcError extends Error {
  readonly code: number;
  readonly method: string;
  constructor(method: string, code: number, message: string) {
    super(`${method}: ${message} (code ${code})`);
    this.name = 'RpcError';
    this.code = code;
    this.method = method;
  }
}

export type TransportKind = 'refused' | 'timeout' | 'auth' | 'forbidden' | 'not-rpc' | 'busy' | 'network';

export class RpcTransportError extends Error {
  readonly kind: TransportKind;
  readonly endpoint: string;
  constructor(kind: TransportKind, endpoint: string, message: string) {
    super(message);
    this.name = 'RpcTransportError';
    this.kind = kind;
    this.endpoint = endpoint;
  }
}

export function isWarmingUp(error: unknown): error is RpcError {
  return error instanceof RpcError && error.code === RPC_CODE.inWarmup;
}

/** True when the node could not be reached or answered nothing usable (as opposed to a JSON-RPC error). */
export function isUnreachable(error: unknown): boolean {
  return (
    error instanceof RpcTransportError &&
    (error.kind === 'refused' || error.kind === 'network' || error.kind === 'timeout')
  );
}
