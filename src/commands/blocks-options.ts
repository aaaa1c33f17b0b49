// What `chainprice blocks` takes, declared once (options.ts): how many of the last blocks, --json
// and the node options. Out: BlocksOptions.

import { NODE_OPTIONS, nodeFlagsOf } from './node-options.ts';
import { BadValue, declareCommand, flag, option } from './options.ts';

/** About one day of blocks. */
const DEFAULT_LAST = 144;
/** A month of blocks: more is a mistake more often than a wish (and takes minutes). */
const MAX_LAST = 4320;

export const blocksCommand = declareCommand({
  name: 'blocks',
  summary: 'price the last N blocks of your node (default 144)',
  usage: ['chainprice blocks [--last N] [--json] [node options]'],
  description: `Prints the BTC/USD price read from the last N blocks of your node (default ${DEFAULT_LAST},
about one day): all their transactions in one window, then one estimate.`,
  options: {
    last: option({
      value: 'N',
      help: `how many blocks, ending at the tip (1 to ${MAX_LAST})`,
      default: String(DEFAULT_LAST),
      example: '6',
      parse: (text: string, from: string): number => {
        const n = Number(text);
        if (!Number.isInteger(n) || n < 1 || n > MAX_LAST)
          throw new BadValue(`${from} needs a whole number of blocks from 1 to ${MAX_LAST}, not "${text}".`);
        return n;
      },
    }),
    json: flag({ help: 'print the result as JSON' }),
    ...NODE_OPTIONS,
  },
  finish: ({ values }) => ({ last: values.last, json: values.json, node: nodeFlagsOf(values, 'blocks') }),
});

export type BlocksOptions = ReturnType<typeof blocksCommand.parse>;
