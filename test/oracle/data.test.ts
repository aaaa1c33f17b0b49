// The calibration, the dev-data tables, the output lists, the esplora form and the evaluation
// arithmetic, on small hand-made inputs.

import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import {
  CANDIDATE_AMOUNTS_USD,
  calibrateComb,
  combFromMeasurements,
  measureAmounts,
} from '../../src/dev/calibration.ts';
import { parseDailyPrices, parseManifest, previousDayClose, referencePrice } from '../../src/dev/dev-data.ts';
import { transactionFromEsplora } from '../../src/dev/esplora-transaction.ts';
import { calibrationTable, checkTargets, type EvalRow, eraOf, summarize } from '../../src/dev/evaluation.ts';
import { candidatesFromOutputList } from '../../src/dev/output-list.ts';
import { combModelFrom, DEFAULT_COMB_MODEL } from '../../src/oracle/comb-model.ts';
import type { Estimate } from '../../src/oracle/estimator.ts';
import { DEFAULT_FILTER_PROFILE, passesTransactionRules } from '../../src/oracle/filter-profile.ts';
import { binOfSats, SCALE_BINS } from '../../src/oracle/log-scale.ts';
import { TimeQueue } from '../../src/oracle/time-queue.ts';
import { random } from './synthetic.ts';

describe('calibration', () => {
  test('recovers which amounts are popular, and how much, from samples at known prices', () => {
    const rand = random(8);
    const samples = [3_000, 9_500, 41_000].map((price, i) => {
      const counts = new Int32Array(SCALE_BINS);
      for (let k = 0; k < 40_000; k++) {
        // A smooth background: log-normal around 0.03 BTC, one decade wide.
        const z = Math.sqrt(-2 * Math.log(Math.max(rand(), 1e-12))) * Math.cos(2 * Math.PI * rand());
        const bin = binOfSats(Math.round(10 ** (6.5 + z)));
        if (bin >= 0) counts[bin]++;
      }
      for (let k = 0; k < 400; k++)
        counts[binOfSats(Math.round((100 / price) * 1e8 * (1 + 0.003 * (rand() - 0.5))))]++;
      for (let k = 0; k < 200; k++)
        counts[binOfSats(Math.round((20 / price) * 1e8 * (1 + 0.003 * (rand() - 0.5))))]++;
      return { label: String(i), counts, price };
    });
    const { model, measurements } = calibrateComb(samples);
    assert.equal(measurements.length, CANDIDATE_AMOUNTS_USD.length);
    const w = (usd: number) => model.amounts.find((a) => a.usd === usd)?.weight ?? 0;
    assert.ok(w(100) > 0.008 && w(100) < 0.011, `weight $100 ${w(100)}`);
    assert.ok(w(20) > 0.003 && w(20) < 0.006, `weight $20 ${w(20)}`);
    assert.ok(model.amounts.length <= 4, `kept ${model.amounts.map((a) => a.usd)}`);
    assert.deepEqual(combFromMeasurements(measureAmounts(samples, [100]), 1e9).amounts, []);
  });
  test('the committed comb model is valid and bad models are refused with a reason', () => {
    assert.ok(DEFAULT_COMB_MODEL.amounts.length >= 5);
    assert.equal(typeof DEFAULT_COMB_MODEL.provenance?.command, 'string');
    assert.throws(() => combModelFrom(null), /not a JSON object/);
    assert.throws(() => combModelFrom({ amounts: [] }), /non-empty/);
    assert.throws(() => combModelFrom({ amounts: [{ usd: -1, weight: 1 }] }), /usd/);
    assert.throws(() => combModelFrom({ amounts: [{ usd: 1, weight: 0 }] }), /weight/);
    assert.throws(
      () =>
        combModelFrom({
          amounts: [
            { usd: 1, weight: 1 },
            { usd: 1, weight: 2 },
          ],
        }),
      /twice/,
    );
  });
});

describe('dev-data tables', () => {
  const manifest = [
    'file,height,time_utc,brk_height_price_usd,day_open,day_high,day_low,day_close',
    'blocks/block-1.raw,1,2019-10-19T00:04:21+00:00,7953.93,8000,8100,7900,8050',
    'blocks/block-2.raw,2,2021-09-30T11:50:41+00:00,,41000,44000,40900,43821.91',
  ].join('\r\n');
  test('manifest rows, reference prices and seeds', () => {
    const rows = parseManifest(manifest);
    assert.equal(rows.length, 2);
    assert.equal(referencePrice(rows[0]), 7953.93);
    assert.equal(referencePrice(rows[1]), 43821.91);
    const daily = parseDailyPrices('date,open,high,low,close\r\n2021-09-29,1,2,0.5,41000.5\r\n');
    assert.equal(previousDayClose(daily, rows[1].time), 41000.5);
    assert.equal(previousDayClose(daily, rows[0].time), null);
    assert.throws(() => parseManifest('file,height\nx,1'), /time_utc/);
    assert.throws(() => parseDailyPrices('day,price'), /date,open/);
  });
});

describe('output lists and esplora transactions', () => {
  test('an output CSV becomes candidates, with the rules it cannot check named', () => {
    const t = (n: number) => n.toString(16).padStart(64, '0');
    const csv = [
      'height,block_time,txid,vout,value_sats,n_inputs,n_outputs,is_coinbase,has_op_return,input_value_sats',
      `7,1600000000,${t(1)},0,625000000,1,1,1,0,`,
      `7,1600000000,${t(2)},0,1234567,1,2,0,0,5000000`,
      `7,1600000000,${t(2)},1,3765433,1,2,0,0,5000000`,
      `7,1600000000,${t(3)},0,1234567,1,2,0,1,5000000`,
      `7,1600000000,${t(3)},1,0,1,2,0,1,5000000`,
      `7,1600000000,${t(4)},0,100000000,6,2,0,0,5000000`,
      `7,1600000000,${t(4)},1,2345678,6,2,0,0,5000000`,
    ].join('\n');
    const list = candidatesFromOutputList(csv, DEFAULT_FILTER_PROFILE);
    assert.equal(list.height, 7);
    assert.equal(list.transactions, 4);
    assert.equal(list.candidateTransactions, 1);
    assert.equal(list.candidates.candidateOutputs, 2);
    assert.ok(list.unchecked.some((u) => /witness/.test(u)));
    assert.throws(() => candidatesFromOutputList('txid,vout\n', DEFAULT_FILTER_PROFILE), /value_sats/);
    assert.throws(
      () => candidatesFromOutputList(`${csv}\nnot-a-txid,0,5,1,2,0,0,0,`, DEFAULT_FILTER_PROFILE),
      /line 9/,
    );
  });
  test('an esplora transaction keeps its witness sizes and outpoints', () => {
    const tx = transactionFromEsplora({
      txid: 'ab'.repeat(32),
      version: 2,
      locktime: 0,
      vin: [{ txid: 'cd'.repeat(32), vout: 1, scriptsig: '', witness: ['00'.repeat(300), '11'.repeat(250)] }],
      vout: [
        { value: 1_234_567, scriptpubkey: '0014' + '22'.repeat(20) },
        { value: 330, scriptpubkey: '5120' + '33'.repeat(32) },
      ],
      size: 700,
      weight: 1000,
    });
    assert.equal(tx.inputs[0].witnessBytes, 1 + 3 + 300 + 1 + 250); // varint: 3 bytes for 300, 1 for 250
    assert.equal(tx.inputs[0].witnessLargestItem, 300);
    assert.equal(passesTransactionRules(tx, DEFAULT_FILTER_PROFILE), false);
    assert.equal(tx.outputs[0].value, 1_234_567);
    assert.throws(() => transactionFromEsplora({ txid: 'zz' }), /txid/);
  });
});

describe('evaluation arithmetic', () => {
  const row = (
    label: string,
    error: number | null,
    confidence: number,
    candidates = 2_000,
    mode: 'cold' | 'seeded' = 'cold',
  ): EvalRow => {
    const estimate: Estimate =
      error === null
        ? { ok: false, reason: 'none', candidates, seed: null, mode }
        : {
            ok: true,
            price: 100 * (1 + error),
            confidence,
            coarsePrice: 100,
            seed: null,
            mode,
            evidence: [],
            candidates,
            outputsUsed: 0,
            score: 1,
            lead: 1,
            rivalPrice: null,
            rivalScore: null,
          };
    return {
      label,
      height: 1,
      time: 1_600_000_000,
      source: 'block',
      candidates,
      reference: 100,
      seed: 99,
      dayLow: 90,
      dayHigh: 110,
      mode,
      estimate,
    };
  };
  test('summary: coverage, quantiles and shares', () => {
    const s = summarize([row('a', 0.005, 0.9), row('b', -0.015, 0.9), row('c', 0.2, 0.1), row('d', null, 0)]);
    assert.equal(s.blocks, 4);
    assert.equal(s.estimates, 3);
    assert.equal(s.coverage, 0.75);
    assert.equal(s.median, 0.015);
    assert.equal(s.max, 0.2);
    assert.ok(Math.abs(s.within2! - 2 / 3) < 1e-12);
    assert.equal(eraOf(Date.UTC(2017, 5, 1) / 1000), '2016–2017');
  });
  test('calibration buckets and targets', () => {
    const rows = [row('a', 0.005, 0.9), row('b', 0.3, 0.6), row('c', 0.1, 0.1, 100)];
    const table = calibrationTable(rows);
    assert.equal(table.find((l) => l.bucket === '0.8–1.0')!.estimates, 1);
    const targets = checkTargets(rows);
    assert.equal(targets.find((t) => /confidence ≥ 0.5/.test(t.name))!.pass, false);
  });
});

describe('time queue', () => {
  test('pops in time order', () => {
    const q = new TimeQueue();
    const rand = random(3);
    const times = Array.from({ length: 200 }, () => rand());
    for (const [i, time] of times.entries()) q.push(time, i, i + 1);
    const out: number[] = [];
    while (q.length > 0) {
      const slot = q.peekSlot();
      assert.equal(q.peekGeneration(), slot + 1);
      assert.equal(times[slot], q.peekTime());
      out.push(q.peekTime());
      q.pop();
    }
    assert.deepEqual(
      out,
      times.slice().sort((a, b) => a - b),
    );
    assert.equal(q.peekTime(), Number.POSITIVE_INFINITY);
    q.pop();
  });
});
