// `chainprice block FILE | HEIGHT | HASH`: an existing file (or a name ending .raw/.hex) is summarised
// from its bytes (block-file.ts); a height or a 64-hex hash is priced from the node over RPC —
// every transaction of that block into a price window, then an estimate. In: the parsed options
// (block-options.ts). Out: one line (or JSON with --json) on stdout.

import { EXIT, UserError } from '../errors.ts';
import { connectBlockPrices, formatUsd, formatUtc } from '../node/node-command.ts';
import { isBlockFileArgument, printBlockFile } from './block-file.ts';
import type { BlockOptions } from './block-options.ts';
import { usageError } from './options.ts';

export async function run({ targets, txs, json, node }: BlockOptions): Promise<number> {
  const [target] = targets;
  if (target !== undefined && isBlockFileArgument(target)) {
    if (targets.length !== 1)
      throw usageError('block', 'give exactly one block FILE', 'chainprice block FILE [--txs]');
    if (json || Object.keys(node).length > 0)
      throw usageError('block', '--json and the node options are for a block from the node, not a FILE');
    printBlockFile(target, txs);
    return EXIT.ok;
  }
  if (targets.length !== 1) {
    throw usageError(
      'block',
      targets.length === 0 ? 'which block? Give a FILE, a HEIGHT or a HASH' : 'give exactly one block',
      'chainprice block FILE | HEIGHT | HASH',
    );
  }
  if (!/^\d+$/.test(target) && !/^[0-9a-fA-F]{64}$/.test(target)) {
    throw usageError(
      'block',
      `"${target}" is not a file, a block height or a 64-hex-digit block hash.`,
      'chainprice block 840000, or chainprice block path/to/block.raw',
    );
  }
  if (txs) throw usageError('block', '--txs is for a block FILE; from the node, --json gives the details');
  const { prices, close } = await connectBlockPrices(node);
  try {
    const price = await prices.priceOf(target);
    if (price === null) {
      throw new UserError(`the node has no block ${target}.`, {
        hint: /^\d+$/.test(target)
          ? "the height is above the node's tip (or the node is still syncing)."
          : 'check the hash (the node may be on another network).',
      });
    }
    if (json) console.log(JSON.stringify(price, null, 2));
    else {
      const head = `block ${price.height} ${price.hash} (${formatUtc(price.time)}, ${price.transactions.toLocaleString('en-US')} transactions)`;
      console.log(
        price.price === null
          ? `${head}: no estimate: ${price.reason}`
          : `${head}: ${formatUsd(price.price)}, confidence ${price.confidence.toFixed(2)} (${price.outputsUsed} of ${price.candidates} candidate outputs)`,
      );
    }
    return price.price === null ? EXIT.failure : EXIT.ok;
  } finally {
    close();
  }
}
