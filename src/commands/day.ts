// `chainprice day YYYY-MM-DD`: the BTC/USD price read from every block of your node whose header
// time falls in that UTC day: all their transactions in one price window, then an estimate.
// In: the parsed options (day-options.ts). Progress on stderr; one line (or JSON with --json) on
// stdout.

import { EXIT, UserError } from '../errors.ts';
import { connectBlockPrices, describeRange, progressLine } from '../node/node-command.ts';
import type { DayOptions } from './day-options.ts';

export async function run({ date, json, node }: DayOptions): Promise<number> {
  const { prices, close } = await connectBlockPrices(node);
  const progress = progressLine(`fetching the blocks of ${date}`);
  try {
    const range = await prices.day(date, progress.update);
    progress.end();
    if (range === null) {
      throw new UserError(`the node has no block with a header time on ${date} (UTC).`, {
        hint: "the day may be before the chain began, after the node's tip, or the node is still syncing.",
      });
    }
    console.log(json ? JSON.stringify({ date, ...range }, null, 2) : `${date}: ${describeRange(range)}`);
    return range.price === null ? EXIT.failure : EXIT.ok;
  } finally {
    progress.end();
    close();
  }
}
