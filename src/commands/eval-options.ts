// What `chainprice eval` takes, declared once (options.ts): the data folder, the modes, the comb and
// a JSON file to write. Out: EvalOptions (data: undefined for the default folder).

import { declareCommand, flag, option } from './options.ts';

export const evalCommand = declareCommand({
  name: 'eval',
  summary: 'judge the estimator on the real dev blocks (per-block table, summary, calibration)',
  usage: ['chainprice eval [--data DIR] [--seeded | --cold | --both] [--committed] [--json FILE]'],
  description: `Estimates the price of every real dev block alone and compares it with the block's reference
price (the per-height exchange price where known, else that UTC day's close):
  cold     no seed, the whole price range
  seeded   seeded with the previous UTC day's close (search within ±30 %)
Blocks: DIR/blocks/*.raw, the output lists DIR/derived/*.outputs.csv (no witnesses or outpoints:
the witness and same-window rules cannot be applied to them) and the esplora BRC-20 block.

Prints a per-block table, the summary (median, p90 and max error; share within 1 %, 2 %, 5 %;
coverage) by mode, era and candidate count, a calibration table and the issue's targets.`,
  options: {
    data: option({ value: 'DIR', help: 'the real data folder', shownDefault: '../shared/data/real' }),
    both: flag({ help: 'cold and seeded (the default)' }),
    cold: flag({ help: 'the cold mode only' }),
    seeded: flag({ help: 'the seeded mode only' }),
    committed: flag({
      help: 'judge every block with the committed comb (in-sample for the dev blocks); by default a raw block is judged with a comb calibrated without it',
    }),
    json: option({ value: 'FILE', help: 'also write rows, summaries and targets as JSON' }),
  },
  finish: ({ values: v }) => {
    const modes: ('cold' | 'seeded')[] =
      v.cold && !v.seeded && !v.both
        ? ['cold']
        : v.seeded && !v.cold && !v.both
          ? ['seeded']
          : ['cold', 'seeded'];
    return { data: v.data, modes, committed: v.committed, json: v.json };
  },
});

export type EvalOptions = ReturnType<typeof evalCommand.parse>;
