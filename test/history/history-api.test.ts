// The history endpoints through the real app (Fastify inject) on a real history database: daily and
// block rows in JSON and CSV, and the mempool-explorer-compatible /api/v1/prices and
// /api/v1/historical-price shapes (USD priced, other currencies -1), with 400s for bad parameters.

import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { dayStart } from '../../src/format/utc-day.ts';
import { digestOf, HistoryTables } from '../../src/history/history-tables.ts';
import { buildApp } from '../../src/server/app.ts';
import { HistoryStore } from '../../src/store/history.ts';
import { FakeFeed } from '../server/fake-feed.ts';

const dir = mkdtempSync(join(tmpdir(), 'chainprice-history-api-'));
const store = HistoryStore.open({ dataDir: dir });
const tables = new HistoryTables(store.database);
const DAYS = [
  ['2024-04-19', 63_500.5, 0.9],
  ['2024-04-20', 64_100.25, 0.8],
  ['2024-04-21', null, 0],
] as const;
let height = 839_900;
for (const [day, price, confidence] of DAYS) {
  const start = dayStart(day);
  const blocks = [0, 1].map((i) => ({
    height: height++,
    hash: `${day.replaceAll('-', '')}${i}`.padEnd(64, 'a'),
    time: start + 3600 * (i + 1),
    price: price === null ? null : price + i,
    confidence,
    candidates: 900,
    outputsUsed: 120,
    transactions: 3000,
    bytes: 1_500_000,
    seed: price,
  }));
  tables.writeDay(
    {
      day,
      start,
      price,
      confidence,
      blocks: 2,
      candidates: 1800,
      outputsUsed: 240,
      transactions: 6000,
      firstHeight: blocks[0].height,
      lastHeight: blocks[1].height,
      bytes: 3_000_000,
      digest: digestOf(blocks.map((b) => b.hash)),
    },
    blocks,
  );
}

describe('history API', async () => {
  const app = await buildApp({
    webRoot: null,
    log: () => {},
    feed: new FakeFeed({ source: 'node' }),
    history: store,
    chainHistory: tables,
  });
  after(async () => {
    await app.close();
    store.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('daily: a row a day, in range, as JSON and CSV', async () => {
    const res = await app.inject({ url: '/api/v1/history/daily?from=2024-04-20&to=2024-04-21' });
    assert.equal(res.statusCode, 200);
    const body = res.json() as {
      source: string;
      days: { date: string; price: number | null; blocks: number }[];
    };
    assert.equal(body.source, 'node');
    assert.equal(res.headers['x-chainprice-source'], 'node');
    assert.deepEqual(
      body.days.map((d) => [d.date, d.price, d.blocks]),
      [
        ['2024-04-20', 64_100.25, 2],
        ['2024-04-21', null, 2],
      ],
    );
    const csv = await app.inject({ url: '/api/v1/history/daily?format=csv' });
    assert.match(String(csv.headers['content-type']), /^text\/csv/);
    const lines = csv.body.trim().split('\n');
    assert.equal(lines.length, 4);
    assert.match(lines[0], /^date,price,confidence,blocks,candidates/);
    assert.match(lines[1], /^2024-04-19,63500\.50,0\.900,2,1800,/);
    assert.match(lines[3], /^2024-04-21,,0\.000,2,/);
  });

  it('blocks: by height or by date, as JSON and CSV', async () => {
    const byHeight = (await app.inject({ url: '/api/v1/history/blocks?from=839901&to=839902' })).json() as {
      blocks: { height: number; date: string }[];
    };
    assert.deepEqual(
      byHeight.blocks.map((b) => [b.height, b.date]),
      [
        [839_901, '2024-04-19'],
        [839_902, '2024-04-20'],
      ],
    );
    const byDate = (
      await app.inject({ url: '/api/v1/history/blocks?from=2024-04-21&to=2024-04-21' })
    ).json() as {
      blocks: { height: number }[];
    };
    assert.deepEqual(
      byDate.blocks.map((b) => b.height),
      [839_904, 839_905],
    );
    const csv = await app.inject({ url: '/api/v1/history/blocks?format=csv&from=839900&to=839900' });
    assert.equal(csv.body.trim().split('\n').length, 2);
    assert.match(csv.body, /^height,hash,time,date,price/);
  });

  it('/api/v1/prices: the newest priced block, USD only, other currencies -1', async () => {
    const body = (await app.inject({ url: '/api/v1/prices' })).json();
    assert.deepEqual(body, {
      time: dayStart('2024-04-20') + 7200,
      USD: 64_101,
      EUR: -1,
      GBP: -1,
      CAD: -1,
      CHF: -1,
      AUD: -1,
      JPY: -1,
    });
  });

  it('/api/v1/historical-price: the day at or before the timestamp, in the explorer shape', async () => {
    const at = dayStart('2024-04-21') + 5000; // a day without a price: the last priced day answers
    const body = (
      await app.inject({ url: `/api/v1/historical-price?currency=USD&timestamp=${at}` })
    ).json() as {
      prices: Record<string, number>[];
      exchangeRates: Record<string, number>;
    };
    assert.equal(body.prices.length, 1);
    assert.deepEqual(body.prices[0], {
      time: dayStart('2024-04-20'),
      USD: 64_100,
      EUR: -1,
      GBP: -1,
      CAD: -1,
      CHF: -1,
      AUD: -1,
      JPY: -1,
    });
    assert.deepEqual(Object.keys(body.exchangeRates).sort(), [
      'USDAUD',
      'USDCAD',
      'USDCHF',
      'USDEUR',
      'USDGBP',
      'USDJPY',
    ]);
    const all = (await app.inject({ url: '/api/v1/historical-price?currency=EUR' })).json() as {
      prices: { EUR: number }[];
    };
    assert.equal(all.prices.length, 2);
    assert.ok(all.prices.every((p) => p.EUR === -1));
    const before = (await app.inject({ url: '/api/v1/historical-price?timestamp=1000' })).json() as {
      prices: unknown[];
    };
    assert.deepEqual(before.prices, []);
  });

  it('without a history database (--no-history) every history route answers 503 saying why', async () => {
    const bare = await buildApp({ webRoot: null, log: () => {}, feed: new FakeFeed() });
    try {
      for (const url of [
        '/api/v1/history/daily',
        '/api/v1/history/blocks?from=1&to=2',
        '/api/v1/prices',
        '/api/v1/historical-price?currency=USD&timestamp=1700000000',
      ]) {
        const res = await bare.inject({ url });
        assert.equal(res.statusCode, 503, url);
        const body = res.json() as { error: string; message: string };
        assert.equal(body.error, 'history_unavailable', url);
        assert.match(body.message, /--no-history/, url);
      }
    } finally {
      await bare.close();
    }
  });

  it('bad parameters are 400s with one sentence', async () => {
    for (const url of [
      '/api/v1/history/daily?from=yesterday',
      '/api/v1/history/daily?format=xml',
      '/api/v1/history/daily?from=2024-05-01&to=2024-04-01',
      '/api/v1/history/blocks?nope=1',
      '/api/v1/historical-price?currency=XYZ',
      '/api/v1/historical-price?timestamp=soon',
    ]) {
      const res = await app.inject({ url });
      assert.equal(res.statusCode, 400, url);
      assert.equal((res.json() as { error: string }).error, 'bad_request', url);
    }
  });
});
