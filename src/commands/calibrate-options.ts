// What `chainprice calibrate` takes, declared once (options.ts): the data folder, where to write the
// comb model, and --dry-run. Out: CalibrateOptions (undefined folders: the defaults).

import { MIN_AMOUNT_Z } from '../dev/calibration.ts';
import { declareCommand, flag, option } from './options.ts';

export const calibrateCommand = declareCommand({
  name: 'calibrate',
  summary: 'measure the comb of round dollar amounts on the real dev blocks',
  usage: ['chainprice calibrate [--data DIR] [--out FILE] [--dry-run]'],
  description: `Measures how popular each round dollar amount is on the real dev blocks: for every amount U
from $0.10 to $90,000, the excess of candidate outputs at U / price over the local background,
at each block's reference price (the per-height exchange price, else the day's close), pooled
over all blocks. Amounts whose excess is at least ${MIN_AMOUNT_Z} standard deviations above the
background form the comb; their weight is the excess per candidate output. The same is done for
every year of the blocks' span (each block weighted by how near its year is: the era's comb) with
the era's typical payment (the median candidate output in dollars).`,
  options: {
    data: option({ value: 'DIR', help: 'the real data folder', shownDefault: '../shared/data/real' }),
    out: option({
      value: 'FILE',
      help: 'where to write the comb model',
      shownDefault: 'src/oracle/comb-model.json',
    }),
    dryRun: flag({ help: 'print the measurements, write nothing' }),
  },
  finish: ({ values }) => values,
});

export type CalibrateOptions = ReturnType<typeof calibrateCommand.parse>;
