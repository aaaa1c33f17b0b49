// `chainprice blocks [--last N]`: the BTC/USD price read from the last N blocks of your node (default
// 144, about a day): every transaction of those blocks in one price window, then an estimate.
// Progress on stderr; one line (or JSON with --json) on stdout.

import { EXIT, UserError } from '../errors.ts';
import { connectBlockPrices, describeRange, progressLine } from '../node/node-command.ts';
import { NODE_FLAGS_HELP, takeNodeFlags } from '../node/node-flags.ts';
import type { Command } from './command.ts';

/** About one day of blocks. */
const DEFAULT_LAST = 144;
/** A month of blocks: more is a mistake more often than a wish (and takes minutes). */
const MAX_LAST = 4320;

const HELP = `Usage: chainprice blocks [--last N] [--json] [node options]

Prints the BTC/USD price read from the last N blocks of your node (default ${DEFAULT_LAST},
about one day): all their transactions in one window, then one estimate.

Options:
  --last N   how many blocks, ending at the tip (1 to ${MAX_LAST})
  --json     print the result as JSON

${NODE_FLAGS_HELP}`;

async function run(args: string[]): Promise<number> {
  const { flags, rest } = takeNodeFlags(args);
  let last = DEFAULT_LAST;
  let json = false;
  for (let i = 0; i < rest.length; i++) {
    const arg = rest[i];
    if (arg === '--json') json = true;
    else if (arg === '--last' || arg.startsWith('--last=')) {
      const value = arg.includes('=') ? arg.slice(arg.indexOf('=') + 1) : rest[++i];
      const n = Number(value);
      if (value === undefined || !Number.isInteger(n) || n < 1 || n > MAX_LAST) {
        throw new UserError(
          `blocks: --last needs a whole number of blocks from 1 to ${MAX_LAST}, not "${value ?? ''}".`,
          {
            exitCode: EXIT.usage,
          },
        );
      }
      last = n;
    } else {
      throw new UserError(`blocks: unknown argument ${arg}`, {
        hint: 'chainprice blocks --help',
        exitCode: EXIT.usage,
      });
    }
  }
  const { prices, close } = await connectBlockPrices(flags);
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

export const command: Command = {
  name: 'blocks',
  summary: 'price the last N blocks of your node (default 144)',
  help: HELP,
  run,
};
