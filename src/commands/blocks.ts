// `chainprice blocks [--last N]`: the BTC/USD price read from the last N blocks of your node (default
// 144, about a day): every transaction of those blocks in one price window, then an estimate.
// In: the parsed options (blocks-options.ts). Progress on stderr; one line (or JSON with --json)
// on stdout.

import { EXIT, UserError } from '../errors.ts';
import { connectBlockPrices, describeRange, progressLine } from '../node/node-command.ts';
import type { BlocksOptions } from './blocks-options.ts';

export async function run({ last, json, node }: BlocksOptions): Promise<number> {
  const { prices, close } = await connectBlockPrices(node);
  const progress = progressLine(`fetching the last ${last} blocks`);
  try {
    const range = await prices.lastBlocks(last, progress.update);
    progress.end();
    if (range === null) throw new UserError('the node has no blocks yet.');
    console.log(json ? JSON.stringify(range, null, 2) : describeRange(range));
    return range.price === null ? EXIT.failure : EXIT.ok;
  } finally {
    progress.end();
    close();
  }
}
