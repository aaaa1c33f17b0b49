// What the service reads besides the live feed: past estimates (the history store) and confirmed-block
// prices (the node, or the demo source). Both are optional; implementations satisfy these interfaces
// structurally, so `src/store`, `src/node` and `src/sim` never import the server.
// Times are Unix seconds; prices USD per BTC.

/** One stored estimate, as the history API returns it. */
export interface HistoryEstimate {
  timestamp: number;
  price: number;
  confidence: number;
}

export interface HistoryQuery {
  /** Inclusive start, Unix seconds. */
  from: number;
  /** Inclusive end, Unix seconds. */
  to: number;
  /** At most one estimate per `step` seconds (the reader picks or averages within each step). */
  step: number;
}

export interface HistoryReader {
  estimates(query: HistoryQuery): HistoryEstimate[] | Promise<HistoryEstimate[]>;
}

/** The price read from one confirmed block. Implementations may return more fields; they are passed through. */
export interface BlockPrice {
  height: number;
  hash: string;
  /** The block header's time, Unix seconds. */
  time: number;
  /** Null when the block holds too little signal for an estimate. */
  price: number | null;
  confidence: number;
}

export interface BlockPriceReader {
  /**
   * `heightOrHash` is a decimal height or a 64-hex-digit block hash (already validated, hash in lower case).
   * Resolves to null when no such block exists; rejects with a one-line message for other failures
   * (an error with a numeric `statusCode` chooses the HTTP status, e.g. 503 while the node warms up).
   */
  priceOf(heightOrHash: string): Promise<BlockPrice | null>;
}
