// What `chainprice day` takes, declared once (options.ts): one UTC day, --json and the node
// options. Out: DayOptions, the day checked (a real date that has begun).

import { utcDayBounds } from '../node/day-blocks.ts';
import { NODE_OPTIONS, nodeFlagsOf } from './node-options.ts';
import { declareCommand, flag, usageError } from './options.ts';

export const dayCommand = declareCommand({
  name: 'day',
  summary: 'price one UTC day (YYYY-MM-DD) from the blocks of your node',
  usage: ['chainprice day YYYY-MM-DD [--json] [node options]'],
  description: `Prints the BTC/USD price read from the blocks whose header time falls in that
UTC day (found by binary search on block times), fetched from your node.
A pruned node can only price the days it still has blocks for.`,
  positionals: 'YYYY-MM-DD',
  options: {
    json: flag({ help: 'print the result as JSON' }),
    ...NODE_OPTIONS,
  },
  finish: ({ values, positionals }) => {
    if (positionals.length !== 1) {
      throw usageError(
        'day',
        positionals.length === 0 ? 'which day? Give it as YYYY-MM-DD (UTC)' : 'give exactly one day',
        'chainprice day 2024-04-20',
      );
    }
    const [date] = positionals;
    const { start } = utcDayBounds(date);
    if (start > Date.now() / 1000) throw usageError('day', `${date} has not begun yet (UTC).`);
    return { date, json: values.json, node: nodeFlagsOf(values, 'day') };
  },
});

export type DayOptions = ReturnType<typeof dayCommand.parse>;
