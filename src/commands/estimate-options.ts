// What `chainprice estimate` takes, declared once (options.ts): block files, an optional seed price
// and --json. Out: EstimateOptions.

import { BadValue, declareCommand, flag, option, usageError } from './options.ts';

export const estimateCommand = declareCommand({
  name: 'estimate',
  summary: 'estimate the price from raw block files',
  usage: ['chainprice estimate FILE.raw... [--seed PRICE] [--json]'],
  description: `Estimates the BTC/USD price from the transactions of the given blocks, taken together as one
window (each transaction timed by its block). Files hold one block each, in wire format
(or the same bytes as hex text).`,
  positionals: 'FILE',
  options: {
    seed: option({
      value: 'PRICE',
      help: 'search within ±30 % of PRICE (USD per BTC) instead of the whole range',
      example: '48000',
      parse: (text: string, from: string): number => {
        const price = Number(text);
        if (text.trim() === '' || !Number.isFinite(price) || price <= 0)
          throw new BadValue(`${from} needs a positive price in USD per BTC, not "${text}"`);
        return price;
      },
    }),
    json: flag({ help: 'print the estimate as JSON (with every evidence output)' }),
  },
  finish: ({ values, positionals }) => {
    if (positionals.length === 0)
      throw usageError('estimate', 'no block file given', 'chainprice estimate FILE.raw... [--seed PRICE]');
    return { files: positionals, seed: values.seed ?? null, json: values.json };
  },
});

export type EstimateOptions = ReturnType<typeof estimateCommand.parse>;
