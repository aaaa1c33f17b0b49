// The body of a ZMQ `sequence` message, decoded: 32-byte hash (display order) + one letter —
// A (tx added to the mempool), R (tx removed: replaced, evicted, conflicted, expired; not sent for
// mined transactions), C (block connected), D (block disconnected) — and, for A and R, the
// mempool's 8-byte little-endian sequence number. Pure.

export type SequenceEvent =
  | { kind: 'added' | 'removed'; txid: string; mempoolSequence: bigint }
  | { kind: 'connected' | 'disconnected'; blockHash: string };

const KINDS: Record<string, 'added' | 'removed' | 'connected' | 'disconnected'> = {
  A: 'added',
  R: 'removed',
  C: 'connected',
  D: 'disconnected',
};

/** Decodes one sequence body; null when it is not one of the four known shapes. */
export function parseSequenceEvent(body: Uint8Array): SequenceEvent | null {
  if (body.length < 33) return null;
  const kind = KINDS[String.fromCharCode(body[32])];
  if (kind === undefined) return null;
  const hash = Buffer.from(body.buffer, body.byteOffset, 32).toString('hex');
  if (kind === 'added' || kind === 'removed') {
    if (body.length !== 41) return null;
    const view = new DataView(body.buffer, body.byteOffset + 33, 8);
    return { kind, txid: hash, mempoolSequence: view.getBigUint64(0, true) };
  }
  if (body.length !== 33) return null;
  return { kind, blockHash: hash };
}
