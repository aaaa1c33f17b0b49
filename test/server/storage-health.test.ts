// The history's storage in /health and /metrics: a data directory that refuses writes (a
// StorageWatch that recorded SQLite's "full") makes /health 503 with the problem in a user's words
// and `storage` listing what waits; it clears when the writes go through; without a history there
// is no `storage` field. (The real full and read-only disks are in test/integration/disk/.)

import assert from 'node:assert/strict';
import { after, describe, test } from 'node:test';
import type { FastifyInstance } from 'fastify';
import { buildApp } from '../../src/server/app.ts';
import { DEFAULT_HEALTH_LIMITS, healthReport } from '../../src/server/health.ts';
import { StorageWatch } from '../../src/store/storage.ts';
import { FakeFeed, numberedPoints } from './fake-feed.ts';

const apps: FastifyInstance[] = [];
after(async () => {
  for (const app of apps) await app.close();
});

const full = Object.assign(new Error('database or disk is full'), { code: 'ERR_SQLITE_ERROR', errcode: 13 });

describe('storage health', () => {
  test('a storage problem is listed and makes the report unhealthy; none, no field', () => {
    const feed = new FakeFeed({ source: 'node' });
    feed.emit(numberedPoints(1, 3));
    const plain = healthReport(feed.health(), DEFAULT_HEALTH_LIMITS);
    assert.equal(plain.statusCode, 200);
    assert.equal('storage' in plain.body, false);
    const bad = healthReport(feed.health(), DEFAULT_HEALTH_LIMITS, {
      storage: {
        problems: ['no space left on the device that holds /data'],
        droppedWrites: 3,
        waiting: ['live'],
      },
    });
    assert.equal(bad.statusCode, 503);
    assert.equal(bad.body.status, 'unhealthy');
    assert.deepEqual(bad.body.problems, [
      'no space left on the device that holds /data (the price history is not being written)',
    ]);
    assert.deepEqual(bad.body.storage, {
      ok: false,
      problems: ['no space left on the device that holds /data'],
      waiting: ['live'],
      dropped_writes: 3,
    });
  });

  test('/health and /metrics follow the watch: 503 while it holds a writer back, 200 once written', async () => {
    const feed = new FakeFeed({ source: 'node' });
    const storage = new StorageWatch('/data');
    const app = await buildApp({ webRoot: null, log: () => {}, feed, storage });
    apps.push(app);
    feed.emit(numberedPoints(1, 3));
    const health = async () => {
      const res = await app.inject({ url: '/health' });
      return { status: res.statusCode, body: res.json() as { problems: string[]; storage: unknown } };
    };
    const metric = async (name: string) =>
      (await app.inject({ url: '/metrics' })).body.split('\n').find((l) => l.startsWith(name));

    const ok = await health();
    assert.equal(ok.status, 200, JSON.stringify(ok.body));
    assert.deepEqual(ok.body.storage, { ok: true, problems: [], waiting: [], dropped_writes: 0 });
    assert.equal(await metric('chainprice_history_storage_ok'), 'chainprice_history_storage_ok 1');

    storage.failed('live', full, true);
    const bad = await health();
    assert.equal(bad.status, 503);
    assert.deepEqual(bad.body.problems, [
      'no space left on the device that holds /data (the price history is not being written)',
    ]);
    assert.equal(await metric('chainprice_history_storage_ok'), 'chainprice_history_storage_ok 0');
    assert.equal(
      await metric('chainprice_history_writes_dropped_total{'),
      'chainprice_history_writes_dropped_total{writer="live"} 1',
    );

    storage.wrote('live');
    const again = await health();
    assert.equal(again.status, 200);
    assert.deepEqual(again.body.storage, { ok: true, problems: [], waiting: [], dropped_writes: 1 });
  });
});
