// `chainprice day YYYY-MM-DD`: the BTC/USD price read from every block of your node whose header
// time falls in that UTC day: all their transactions in one price window, then an estimate.
// Progress on stderr; one line (or JSON with --json) on stdout.

import { EXIT, UserError } from '../errors.ts';
import { utcDayBounds } from '../node/day-blocks.ts';
import { connectBlockPrices, describeRange, progressLine } from '../node/node-command.ts';
import { NODE_FLAGS_HELP, takeNodeFlags } from '../node/node-flags.ts';
import type { Command } from './command.ts';

const HELP = `Usage: chainprice day YYYY-MM-DD [--json] [node options]

Prints the BTC/USD price read from the blocks whose header time falls in that
UTC day (found by binary search on block times), fetched from your node.
A pruned node can only price the days it still has blocks for.

Options:
  --json   print the result as JSON

${NODE_FLAGS_HELP}`;

async function run(args: string[]): Promise<number> {
  const { flags, rest } = takeNodeFlags(args);
  let json = false;
  const positional: string[] = [];
  for (const arg of rest) {
    if (arg === '--json') json = true;
    else if (arg.startsWith('-') && arg.length > 1) {
      throw new UserError(`day: unknown option ${arg}`, {
        hint: 'chainprice day --help',
        exitCode: EXIT.usage,
      });
    } else positional.push(arg);
  }
  if (positional.length !== 1) {
    throw new UserError(
      positional.length === 0 ? 'day: which day? Give it as YYYY-MM-DD (UTC)' : 'day: give exactly one day',
      {
        hint: 'chainprice day 2024-04-20',
        exitCode: EXIT.usage,
      },
    );
  }
  const date = positional[0];
  const { start } = utcDayBounds(date);
  if (start > Date.now() / 1000)
    throw new UserError(`day: ${date} has not begun yet (UTC).`, { exitCode: EXIT.usage });
  const { prices, close } = await connectBlockPrices(flags);
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

export const command: Command = {
  name: 'day',
  summary: 'price one UTC day (YYYY-MM-DD) from the blocks of your node',
  help: HELP,
  run,
};
