// What `chainprice history build|show` takes, declared once (options.ts): the subcommand, the range
// (heights or UTC days), build's workers and block files, show's rows and format, the data
// directory and the node options. Out: HistoryOptions.

import { parseRangeValue } from '../history/build-range.ts';
import { NODE_OPTIONS, nodeFlagsOf } from './node-options.ts';
import { BadValue, declareCommand, flag, option, usageError } from './options.ts';
import { DATA_DIR } from './shared-options.ts';

const BLOCK_FILES = ['auto', 'on', 'off'] as const;

export const historyCommand = declareCommand({
  name: 'history',
  summary: "build or show the price of every block and day of your node's chain",
  usage: [
    'chainprice history build [--from HEIGHT|YYYY-MM-DD] [--to HEIGHT|YYYY-MM-DD] [options]',
    'chainprice history show [--from …] [--to …] [--blocks] [--csv | --json] [--data-dir DIR]',
  ],
  description: `build: prices every block and every UTC day of your node's active chain (the
whole chain by default) and stores them in the history database. Whole days
are priced: a range is widened to the days it touches. A day pools all its
blocks in one window; each block is priced alone, seeded by its day's price
(or the last confident day's). Stop it at any time and run it again: it goes
on where it stopped, skips what is current, and replaces the rows of blocks a
reorg replaced. Blocks are read from the node's blk*.dat files when chainprice
can read them (never written), else over RPC.

show: prints the stored history: days by default (--from/--to as dates or
heights), or blocks with --blocks; as a table, --csv or --json.`,
  positionals: 'build|show',
  options: {
    from: option({
      value: 'HEIGHT|YYYY-MM-DD',
      help: 'the first block, or the first UTC day',
      shownDefault: 'the genesis block',
      example: '2024-04-20',
      parse: (text: string, from: string) => parseRangeValue(from, text)!,
    }),
    to: option({
      value: 'HEIGHT|YYYY-MM-DD',
      help: 'the last block, or the last UTC day',
      shownDefault: 'the tip',
      example: '840000',
      parse: (text: string, from: string) => parseRangeValue(from, text)!,
    }),
    workers: option({
      value: 'N',
      help: 'build: worker threads',
      shownDefault: "the machine's cores",
      example: '2',
      parse: (text: string, from: string): number => {
        if (!/^\d{1,3}$/.test(text)) throw new BadValue(`${from} "${text}" is not a number of threads`);
        return Number(text);
      },
    }),
    blocksDir: option({
      value: 'DIR',
      help: "build: the node's blocks directory",
      shownDefault: 'DATADIR[/network]/blocks',
    }),
    blockFiles: option({
      value: 'MODE',
      help: 'build: auto (files when readable), on (files or fail), off (RPC only)',
      default: 'auto',
      example: 'off',
      parse: (text: string, from: string): (typeof BLOCK_FILES)[number] => {
        const mode = BLOCK_FILES.find((m) => m === text);
        if (mode === undefined) throw new BadValue(`${from} is auto, on or off, not "${text}"`);
        return mode;
      },
    }),
    dataDir: DATA_DIR,
    blocks: flag({ help: 'show: blocks instead of days' }),
    csv: flag({ help: 'show: as CSV' }),
    json: flag({ help: 'show: as JSON' }),
    ...NODE_OPTIONS,
  },
  finish: ({ values: v, positionals }) => {
    const [sub, ...extra] = positionals;
    if (sub !== 'build' && sub !== 'show')
      throw usageError('history', sub === undefined ? 'build or show?' : `unknown subcommand "${sub}"`);
    if (extra.length > 0) throw usageError('history', `unexpected argument "${extra[0]}"`);
    if (v.csv && v.json) throw usageError('history', '--csv or --json: choose one');
    return {
      sub,
      from: v.from,
      to: v.to,
      workers: v.workers,
      blocksDir: v.blocksDir,
      blockFiles: v.blockFiles,
      dataDir: v.dataDir,
      blocks: v.blocks,
      format: v.csv ? ('csv' as const) : v.json ? ('json' as const) : ('table' as const),
      node: nodeFlagsOf(v, 'history'),
    };
  },
});

export type HistoryOptions = ReturnType<typeof historyCommand.parse>;
