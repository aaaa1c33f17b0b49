// The History view in Debian's Chromium against the real service as `serve --demo` runs it (the
// demo's simulated past days priced into its chain tables): the daily line and its band are drawn,
// marked demo; hovering shows a day's figures as the API gives them; the wheel and the span buttons
// zoom from the whole history down to one day, where the blocks are fetched, drawn and hovered; the
// CSV link downloads what is in view; a server without history says so. Screenshots go to
// test-artifacts/ (history.png, history-day.png).

import assert from 'node:assert/strict';
import { mkdirSync } from 'node:fs';
import { after, before, describe, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import type { FastifyInstance } from 'fastify';
import type { Browser, Page } from 'playwright-core';
import { buildApp } from '../../../src/server/app.ts';
import { waitFor } from '../../support/wait.ts';
import { launchChromium } from './chromium.ts';
import { type DemoService, startDemoService } from './demo-service.ts';
import type { PageCanvas } from './page-view.ts';

const ARTIFACTS = fileURLToPath(new URL('../../../test-artifacts/', import.meta.url));
const WAIT = { timeout: 20_000 };

interface ViewState {
  source: string | null;
  days: number;
  pricedDays: number;
  blocks: number;
  t0: number;
  t1: number;
  csv: string;
  message: string | null;
  loading: boolean;
}
interface PageHistory {
  state(): ViewState;
  chart: {
    canvas: PageCanvas;
    position(hit: { kind: 'day' | 'block'; index: number }): { x: number; y: number } | null;
  };
}

/** Polls the view's state until `ok` holds (page.waitForFunction does not await an async predicate). */
async function waitForState(page: Page, ok: (s: ViewState) => boolean, what: string): Promise<ViewState> {
  return waitFor(() => state(page), { what, until: ok, timeoutMs: WAIT.timeout, everyMs: 50 });
}

const state = (page: Page): Promise<ViewState> =>
  page.evaluate(async () =>
    ((await import('/main.ts' as string)) as { history: PageHistory }).history.state(),
  );

async function openHistory(browser: Browser, url: string): Promise<Page> {
  const page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
  const errors: string[] = [];
  page.on('pageerror', (e) => errors.push(e.message));
  await page.goto(url);
  await waitForState(
    page,
    (s) => s.days > 0 || s.message !== 'Loading the chain’s price history…',
    'the history',
  );
  assert.deepEqual(errors, []);
  return page;
}

describe('History view', { timeout: 180_000 }, () => {
  let browser: Browser;
  let server: DemoService;

  before(async () => {
    mkdirSync(ARTIFACTS, { recursive: true });
    browser = await launchChromium();
    server = await startDemoService({ prefillSeconds: 1800, historyDays: 40 });
  });
  after(async () => {
    await browser?.close();
    await server?.stop();
  });

  test('draws the daily price and its band since the first priced day, marked demo, and hovers a day', async () => {
    const page = await openHistory(browser, server.url);
    const s = await waitForState(page, (v) => v.days > 0, 'the days');
    const api = (await (await fetch(`${server.url}api/v1/history/daily`)).json()) as {
      source: string;
      days: { date: string; time: number; price: number | null; confidence: number; blocks: number }[];
    };
    assert.equal(api.source, 'demo');
    assert.equal(s.source, 'demo');
    assert.equal(s.days, api.days.length);
    assert.ok(s.days >= 30, `${s.days} days`);
    assert.equal(s.message, null);
    assert.match(
      (await page.textContent('#history-status')) ?? '',
      /days priced from .* demo: simulated days/,
    );
    assert.ok(
      s.t0 <= api.days[0].time && s.t1 >= api.days.at(-1)!.time + 86_400 - 1,
      'the whole history in view',
    );
    assert.match(s.csv, /\/api\/v1\/history\/daily\?from=.*format=csv/);
    // Ink: the line (the estimate colour) and the band drawn over most of the plot's width.
    const ink = await page.evaluate(async () => {
      const { history } = (await import('/main.ts' as string)) as { history: PageHistory };
      const c = history.chart.canvas;
      const data = c.getContext('2d')!.getImageData(0, 0, c.width, c.height).data;
      const columns = new Set<number>();
      for (let i = 0; i < data.length; i += 4) {
        const [r, g, b] = [data[i], data[i + 1], data[i + 2]];
        if (r > 180 && g < 140 && b < 90) columns.add(((i / 4) % c.width) >> 3); // orange-ish
      }
      return columns.size / (c.width >> 3);
    });
    assert.ok(ink > 0.7, `the line covers ${(ink * 100).toFixed(0)} % of the width`);
    // Hover the middle priced day: the tooltip gives the API's figures.
    const k = api.days.findIndex((d, i) => i >= api.days.length / 2 && d.price !== null);
    const pos = await page.evaluate(
      async (index) =>
        ((await import('/main.ts' as string)) as { history: PageHistory }).history.chart.position({
          kind: 'day',
          index,
        }),
      k,
    );
    assert.ok(pos);
    await page.locator('#history').scrollIntoViewIfNeeded();
    const box = (await page.locator('#history').boundingBox())!;
    await page.mouse.move(box.x + pos.x, box.y + pos.y);
    await page.waitForSelector('#history-tooltip:not([hidden])', WAIT);
    const text = (await page.textContent('#history-tooltip')) ?? '';
    const day = api.days[k];
    assert.ok(text.includes(`Day ${day.date} (UTC)`), text);
    assert.ok(
      text.startsWith(`$${Math.round(day.price!).toLocaleString('en-US')}`),
      `${text} vs ${day.price}`,
    );
    assert.ok(text.includes(`Confidence ${Math.round(day.confidence * 100)} %`), text);
    assert.ok(text.includes(`Blocks ${day.blocks} (`), text);
    await page.locator('#history-card').screenshot({ path: `${ARTIFACTS}history.png` });
    await page.close();
  });

  test('the wheel and the span buttons zoom down to a day, whose blocks are fetched, drawn and hovered; the CSV link follows', async () => {
    const page = await openHistory(browser, server.url);
    const whole = await state(page);
    await page.locator('#history-card').scrollIntoViewIfNeeded();
    const box = (await page.locator('#history').boundingBox())!;
    await page.mouse.move(box.x + box.width * 0.7, box.y + box.height / 2);
    await page.mouse.wheel(0, -400);
    await waitForState(page, (s) => s.t1 - s.t0 < (whole.t1 - whole.t0) * 0.6, 'the wheel to zoom in');
    const zoomed = await state(page);
    assert.equal(zoomed.blocks, 0, 'no blocks at weeks');
    await page.click('[data-history-span="1"]');
    const day = await waitForState(page, (s) => s.blocks > 0 && !s.loading, "the day's blocks");
    assert.ok(Math.abs(day.t1 - day.t0 - 86_400) < 1, `span ${day.t1 - day.t0}`);
    assert.match(
      day.csv,
      /\/api\/v1\/history\/blocks\?from=\d{4}-\d{2}-\d{2}&to=\d{4}-\d{2}-\d{2}&format=csv/,
    );
    const csv = await fetch(new URL(day.csv, server.url));
    assert.match(String(csv.headers.get('content-type')), /^text\/csv/);
    const lines = (await csv.text()).trim().split('\n');
    assert.match(lines[0], /^height,hash,time,date,price/);
    assert.equal(lines.length - 1, day.blocks, 'the CSV holds the blocks in view');
    // Hover the first priced block drawn.
    const hit = await page.evaluate(async () => {
      const { history } = (await import('/main.ts' as string)) as { history: PageHistory };
      const s = history.state();
      for (let index = 0; index < s.blocks; index++) {
        const p = history.chart.position({ kind: 'block', index });
        if (p !== null) return { index, ...p };
      }
      return null;
    });
    assert.ok(hit, 'a priced block in view');
    await page.mouse.move(box.x + hit.x, box.y + hit.y);
    await page.waitForSelector('#history-tooltip[data-kind="block"]:not([hidden])', WAIT);
    const tip = (await page.textContent('#history-tooltip')) ?? '';
    assert.match(tip, /^\$[\d,]+Block [\d,]+Mined \d{4}-\d{2}-\d{2} .* UTC/);
    assert.match(tip, /Seeded at (\$[\d,]+|cold)/);
    await page.locator('#history-card').screenshot({ path: `${ARTIFACTS}history-day.png` });
    await page.click('[data-history-span="all"]');
    await page.waitForFunction(
      async () =>
        ((await import('/main.ts' as string)) as { history: PageHistory }).history.state().blocks === 0,
      undefined,
      WAIT,
    );
    await page.close();
  });

  test('a server started with --no-history says so in the view', async () => {
    let bare: FastifyInstance | null = null;
    try {
      bare = await buildApp({ feed: server.feed, log: () => {} });
      await bare.listen({ host: '127.0.0.1', port: 0 });
      const port = (bare.server.address() as { port: number }).port;
      const page = await openHistory(browser, `http://127.0.0.1:${port}/`);
      const s = await state(page);
      assert.equal(s.days, 0);
      assert.match(
        s.message ?? '',
        /^No history: this server keeps no history \(it was started with --no-history\)/,
      );
      assert.equal(await page.textContent('#history-status'), s.message);
      await page.close();
    } finally {
      await bare?.close();
    }
  });
});
