// `chainprice calibrate`: measures the comb's amounts and popularity weights on the real dev blocks
// and writes the comb model JSON the estimator loads (src/oracle/comb-model.json by default),
// with its provenance: the data, the date and the command. In: the parsed options
// (calibrate-options.ts): the data folder, the output file, --dry-run.

import { writeFileSync } from 'node:fs';
import { relative, resolve } from 'node:path';
import { calibrateComb, MIN_AMOUNT_Z, TYPICAL_PAYMENT_MIN_OUTPUTS } from '../dev/calibration.ts';
import { DEFAULT_DATA_DIR, loadDevBlocks } from '../dev/eval-data.ts';
import { EXIT, UserError } from '../errors.ts';
import { ERA_KERNEL_YEARS } from '../oracle/era.ts';
import { DEFAULT_FILTER_PROFILE } from '../oracle/filter-profile.ts';
import { BINS_PER_DECADE } from '../oracle/log-scale.ts';
import { RING_INNER_BINS, RING_OUTER_BINS, TOOTH_HALF_WIDTH_BINS } from '../oracle/tooth.ts';
import type { CalibrateOptions } from './calibrate-options.ts';

const DEFAULT_OUT = new URL('../oracle/comb-model.json', import.meta.url).pathname;
const REPO_ROOT = new URL('../../', import.meta.url).pathname;

export async function run(options: CalibrateOptions): Promise<number> {
  const dir = options.data === undefined ? DEFAULT_DATA_DIR : resolve(options.data);
  const out = options.out === undefined ? DEFAULT_OUT : resolve(options.out);
  const { dryRun } = options;
  const blocks = loadDevBlocks(dir, { profile: DEFAULT_FILTER_PROFILE, extras: false }).filter(
    (b) => b.reference !== null,
  );
  if (blocks.length === 0) throw new UserError(`no block with a reference price in ${dir}`);
  const samples = blocks.map((b) => ({
    label: b.label,
    counts: b.candidates.counts,
    price: b.reference!,
    time: b.time,
  }));
  const { model, measurements } = calibrateComb(samples);
  if (model.amounts.length === 0) throw new UserError('no amount shows a clear excess: nothing to write');

  console.log('   amount      excess  background       z     weight  in comb');
  for (const m of measurements) {
    const kept = model.amounts.some((a) => a.usd === m.usd);
    console.log(
      `${`$${m.usd}`.padStart(9)} ${m.excess.toFixed(1).padStart(11)} ${m.background.toFixed(1).padStart(11)} ` +
        `${m.z.toFixed(1).padStart(7)} ${m.weight.toExponential(3).padStart(10)}  ${kept ? 'yes' : ''}`,
    );
  }
  const candidateOutputs = blocks.reduce((s, b) => s + b.candidates.candidateOutputs, 0);
  console.log(
    `\n${model.amounts.length} of ${measurements.length} amounts kept, from ${blocks.length} blocks ` +
      `(${candidateOutputs} candidate outputs).`,
  );
  console.log('\nEras (each year: every block weighted by exp(−|Δyears| / ' + `${ERA_KERNEL_YEARS}))`);
  for (const era of model.eras ?? [])
    console.log(
      `  ${era.year}: ${String(era.amounts.length).padStart(2)} amounts, typical payment ` +
        `$${(10 ** era.typicalPaymentLog10Usd).toFixed(0)} (median candidate output)`,
    );
  if (dryRun) return EXIT.ok;

  const json = {
    description:
      'The comb of round dollar amounts: weight = measured excess of candidate outputs at usd / price over the local background, per candidate output.',
    provenance: {
      command: 'chainprice calibrate',
      date: new Date().toISOString().slice(0, 10),
      data: `${relative(REPO_ROOT, dir) || '.'} (raw blocks with a reference price: per-height exchange price, else the day's close)`,
      blocks: blocks.map((b) => b.height),
      candidateOutputs,
      filterProfile: DEFAULT_FILTER_PROFILE.name,
      binsPerDecade: BINS_PER_DECADE,
      tooth: {
        halfWidthBins: TOOTH_HALF_WIDTH_BINS,
        ringInnerBins: RING_INNER_BINS,
        ringOuterBins: RING_OUTER_BINS,
      },
      minZ: MIN_AMOUNT_Z,
      eraKernelYears: ERA_KERNEL_YEARS,
      typicalPaymentMinOutputs: TYPICAL_PAYMENT_MIN_OUTPUTS,
    },
    amounts: model.amounts,
    eras: model.eras,
    measurements: measurements.map((m) => ({
      usd: m.usd,
      excess: Number(m.excess.toFixed(2)),
      background: Number(m.background.toFixed(2)),
      z: Number(m.z.toFixed(2)),
    })),
  };
  writeFileSync(out, `${JSON.stringify(json, null, 2)}\n`);
  console.log(`wrote ${relative(process.cwd(), out) || out}`);
  return EXIT.ok;
}
