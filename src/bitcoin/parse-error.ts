// The one error the wire-format parser throws: a reason and the byte offset where the input went wrong.
// Message: `${reason} at byte ${offset}`. Any other exception escaping src/bitcoin is a bug.

export class ParseError extends Error {
  /** Offset into the input buffer given to the parser (not into the transaction) where parsing failed. */
  readonly offset: number;
  /** What was wrong, without the offset: e.g. "truncated output value: needs 8 bytes, 3 left". */
  readonly reason: string;

  constructor(reason: string, offset: number) {
    super(`${reason} at byte ${offset}`);
    this.name = 'ParseError';
    this.reason = reason;
    this.offset = offset;
  }
}
