// BIP34: from block version 2 on, the coinbase scriptSig begins with the block height.
// In: the coinbase scriptSig. Out: the height, or null when the script does not start with a height.
// Core writes heights 1..16 as OP_1..OP_16 (seen in regtest) and larger ones as a little-endian push.

const OP_1 = 0x51;
const OP_16 = 0x60;
/** Five bytes hold every height up to 2^39 - 1; mainnet needs three until block 8,388,608. */
const MAX_HEIGHT_PUSH_BYTES = 5;

export function coinbaseHeight(scriptSig: Uint8Array): number | null {
  if (scriptSig.length === 0) return null;
  const op = scriptSig[0];
  if (op >= OP_1 && op <= OP_16) return op - OP_1 + 1;
  if (op < 1 || op > MAX_HEIGHT_PUSH_BYTES || scriptSig.length < 1 + op) return null;
  const top = scriptSig[op];
  // A script number's top byte carries the sign; a negative height is not a height.
  if ((top & 0x80) !== 0) return null;
  let height = 0;
  for (let i = op; i >= 1; i--) height = height * 256 + scriptSig[i];
  return height;
}
