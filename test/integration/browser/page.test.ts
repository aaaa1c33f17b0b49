// The browser view in Debian's Chromium (installed when missing), against the real service
// (buildApp around the demo feed, as `chainprice serve --demo` runs it): loads without console
// errors, connects and shows a price with the demo badge, draws evidence and the histogram, shows a
// tooltip on hover and from the keyboard, recovers after the server restarts (with a fresh
// snapshot), handles a token-protected server, exports a PNG, and follows resize, pixel density and
// colour scheme. Screenshots go to test-artifacts/.

import assert from 'node:assert/strict';
import { mkdirSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { after, before, describe, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import type { Browser, ConsoleMessage, Page } from 'playwright-core';
import { launchChromium } from './chromium.ts';
import { type DemoService, startDemoService } from './demo-service.ts';
import type { PageApp, PageCanvas, PageDocument } from './page-view.ts';

// Only used inside page callbacks, where the browser provides it.
declare const document: PageDocument;

const ARTIFACTS = fileURLToPath(new URL('../../../test-artifacts/', import.meta.url));
const WAIT = { timeout: 20_000 };

/** Console errors and uncaught exceptions of a page, collected from the moment it opens. */
function collectErrors(page: Page): string[] {
  const errors: string[] = [];
  page.on('console', (m: ConsoleMessage) => {
    if (m.type() === 'error') errors.push(`console: ${m.text()} (${m.location().url})`);
  });
  page.on('pageerror', (e) => errors.push(`page error: ${e.message}`));
  return errors;
}

async function waitForLivePrice(page: Page): Promise<string> {
  await page.waitForFunction(
    () =>
      document.getElementById('connection')?.dataset.state === 'live' &&
      /^\$\d{1,3}(,\d{3})+$/.test(document.getElementById('price')?.textContent ?? ''),
    undefined,
    WAIT,
  );
  return (await page.textContent('#price')) ?? '';
}

describe('browser view', { timeout: 180_000 }, () => {
  let browser: Browser;
  let server: DemoService;

  /** A new page on the service, once it shows a live price and more than 100 points in view. */
  async function openWithPoints(): Promise<Page> {
    const page = await browser.newPage({ viewport: { width: 1280, height: 1000 } });
    await page.goto(server.url);
    await waitForLivePrice(page);
    await page.waitForFunction(
      async () => ((await import('/main.ts' as string)) as { app: PageApp }).app.scatter.raster.visible > 100,
      undefined,
      WAIT,
    );
    return page;
  }

  before(async () => {
    mkdirSync(ARTIFACTS, { recursive: true });
    browser = await launchChromium();
    server = await startDemoService();
  });

  after(async () => {
    await browser?.close();
    await server?.stop();
  });

  test('loads without console errors, connects and shows the price, its confidence and the demo badge', async () => {
    const page = await browser.newPage({ viewport: { width: 1280, height: 1000 } });
    const errors = collectErrors(page);
    await page.goto(server.url);
    const price = await waitForLivePrice(page);
    const shown = Number(price.replace(/[$,]/g, ''));
    const served = server.feed.current()?.price ?? Number.NaN;
    assert.ok(Math.abs(shown / served - 1) < 0.01, `page shows ${price}, the feed says ${served}`);
    assert.equal(await page.textContent('#source-badge'), 'demo');
    assert.equal(await page.isVisible('#source-badge'), true);
    assert.equal(await page.isVisible('#demo-banner'), true);
    assert.match((await page.textContent('#confidence-words')) ?? '', /confidence \(\d+ %\)$/);
    const meter = await page.$eval('#confidence-meter', (m) => (m as unknown as { value: number }).value);
    assert.ok(meter > 0 && meter <= 1, `meter value ${meter}`);
    assert.match((await page.textContent('#block-window')) ?? '', /^\$\d{1,3}(,\d{3})+$/);
    await page.waitForFunction(
      () => /^Estimated BTC price \$[\d,]+, /.test(document.getElementById('announcer')?.textContent ?? ''),
      undefined,
      WAIT,
    );
    assert.equal(await page.getAttribute('#announcer', 'aria-live'), 'polite');
    // Let the charts draw and a few updates arrive before taking the picture.
    await page.waitForFunction(
      async () => {
        const { app } = (await import('/main.ts' as string)) as { app: PageApp };
        return app.scatter.raster.visible > 100 && app.estimates.length > 2;
      },
      undefined,
      WAIT,
    );
    await page.screenshot({ path: `${ARTIFACTS}page.png`, fullPage: true });
    assert.deepEqual(errors, []);
    await page.close();
  });

  test('the evidence chart and the histogram draw what the server sent', async () => {
    const page = await openWithPoints();
    const drawn = await page.evaluate(async () => {
      const { app } = (await import('/main.ts' as string)) as { app: PageApp };
      // Pixels unlike the background, sampled on a grid over each canvas.
      const inked = (canvas: PageCanvas): number => {
        const ctx = canvas.getContext('2d')!;
        const data = ctx.getImageData(0, 0, canvas.width, canvas.height).data;
        const bg = [data[0], data[1], data[2]];
        let n = 0;
        for (let i = 0; i < data.length; i += 4 * 7) {
          if (Math.abs(data[i] - bg[0]) + Math.abs(data[i + 1] - bg[1]) + Math.abs(data[i + 2] - bg[2]) > 60)
            n++;
        }
        return n / (data.length / (4 * 7));
      };
      return {
        stored: app.store.length,
        visible: app.scatter.raster.visible,
        bins: app.histogram.drawnBins,
        scatterInk: inked(app.scatter.canvas),
        histogramInk: inked(app.histogram.canvas),
        histogramLabel: document.getElementById('histogram')?.getAttribute('aria-label') ?? '',
      };
    });
    const served = server.feed.evidence(20_000).length;
    assert.ok(
      drawn.stored >= Math.min(served, 20_000) * 0.9,
      `page holds ${drawn.stored} of ${served} points: ${JSON.stringify(drawn)}`,
    );
    assert.ok(
      drawn.visible > drawn.stored * 0.9,
      `${drawn.visible} of ${drawn.stored} points in view: ${JSON.stringify(drawn)}`,
    );
    assert.ok(drawn.scatterInk > 0.03, `scatter ink: ${JSON.stringify(drawn)}`);
    assert.ok(drawn.bins > 100, `histogram bins: ${JSON.stringify(drawn)}`);
    assert.ok(drawn.histogramInk > 0.05, `histogram ink: ${JSON.stringify(drawn)}`);
    await page.locator('#histogram-wrap').screenshot({ path: `${ARTIFACTS}histogram.png` });
    await page.close();
  });

  test('hovering a point shows its price, time and round amount; the keyboard does too', async () => {
    const page = await openWithPoints();
    const target = await page.evaluate(async () => {
      const { app } = (await import('/main.ts' as string)) as { app: PageApp };
      for (let i = app.store.length - 1; i >= 0; i--) {
        const pos = app.scatter.pointPosition(i);
        if (pos !== null && pos.x < app.scatter.plotRect().w * 0.8) return pos;
      }
      return null;
    });
    assert.ok(target !== null, 'no point in view');
    const box = await page.locator('#scatter').boundingBox();
    assert.ok(box !== null);
    await page.mouse.move(box.x + target.x, box.y + target.y);
    await page.waitForSelector('#tooltip:not([hidden])', WAIT);
    const hovered = await page.evaluate(async () => {
      const { app } = (await import('/main.ts' as string)) as { app: PageApp };
      const i = app.scatter.hover;
      return { price: app.store.price[i], usd: app.store.usd[i] };
    });
    const text = (await page.textContent('#tooltip')) ?? '';
    const price = `$${Math.round(hovered.price).toLocaleString('en-US')}`;
    assert.ok(text.startsWith(price), `tooltip "${text}" should start with ${price}`);
    assert.ok(text.includes(`Matched $${hovered.usd.toLocaleString('en-US')} payment`), text);
    assert.match(text, /Seen \d{4}-\d\d-\d\d \d\d:\d\d:\d\d/);
    assert.match(text, /\d{4}-\d\d-\d\d \d\d:\d\d:\d\d UTC/);
    await page.screenshot({ path: `${ARTIFACTS}tooltip.png` });

    await page.mouse.move(box.x - 20, box.y - 20);
    await page.waitForSelector('#tooltip', { state: 'hidden', ...WAIT });
    await page.focus('#scatter');
    await page.keyboard.press('End');
    await page.waitForSelector('#tooltip:not([hidden])', WAIT);
    await page.keyboard.press('ArrowLeft');
    assert.match((await page.textContent('#tooltip')) ?? '', /^\$[\d,]+Matched/);
    await page.keyboard.press('Escape');
    await page.waitForSelector('#tooltip', { state: 'hidden', ...WAIT });
    assert.match(
      (await page.getAttribute('#scatter', 'aria-label')) ?? '',
      /^Evidence chart: [\d,]+ outputs/,
    );
    await page.close();
  });

  test('the PNG export is a real picture of the chart', async () => {
    const page = await browser.newPage({ viewport: { width: 1100, height: 900 }, acceptDownloads: true });
    await page.goto(server.url);
    await waitForLivePrice(page);
    const [download] = await Promise.all([page.waitForEvent('download', WAIT), page.click('#export-png')]);
    assert.match(download.suggestedFilename(), /^chainprice-\d{4}-\d\d-\d\dT\d\d-\d\dZ\.png$/);
    const path = `${ARTIFACTS}export.png`;
    await download.saveAs(path);
    const png = await readFile(path);
    assert.deepEqual([...png.subarray(0, 8)], [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);
    const width = png.readUInt32BE(16);
    const height = png.readUInt32BE(20);
    const canvas = await page.$eval('#scatter', (c) => ({
      w: (c as unknown as PageCanvas).width,
      h: (c as unknown as PageCanvas).height,
    }));
    assert.equal(width, canvas.w);
    assert.ok(height > canvas.h, `export ${width}×${height}, chart ${canvas.w}×${canvas.h}`);
    await page.close();
  });

  test('HiDPI and resize: the canvases follow the pixel ratio and the layout', async () => {
    const page = await browser.newPage({
      viewport: { width: 1000, height: 900 },
      deviceScaleFactor: 2,
      colorScheme: 'dark',
    });
    await page.goto(server.url);
    await waitForLivePrice(page);
    const size = () =>
      page.$eval('#scatter', (c) => ({
        w: (c as unknown as PageCanvas).width,
        css: (c as unknown as PageCanvas).getBoundingClientRect().width,
      }));
    let s = await size();
    assert.equal(s.w, Math.round(s.css * 2));
    await page.setViewportSize({ width: 700, height: 900 });
    await page.waitForFunction(
      () => {
        const c = document.getElementById('scatter') as PageCanvas;
        return c.width === Math.round(c.getBoundingClientRect().width * 2);
      },
      undefined,
      WAIT,
    );
    s = await size();
    assert.ok(s.css < 700, `canvas is ${s.css} CSS pixels wide in a 700 px window`);
    await page.waitForTimeout(300);
    await page.screenshot({ path: `${ARTIFACTS}dark-hidpi-narrow.png`, fullPage: true });
    // The charts follow a switch of the colour scheme: the plot background turns light.
    const background = () =>
      page.evaluate(() => {
        const c = document.getElementById('scatter') as PageCanvas;
        const d = c.getContext('2d')!.getImageData(4, 4, 1, 1).data;
        return d[0] + d[1] + d[2];
      });
    assert.ok((await background()) < 200, 'dark background');
    await page.emulateMedia({ colorScheme: 'light' });
    await page.waitForFunction(
      () => {
        const c = document.getElementById('scatter') as PageCanvas;
        const d = c.getContext('2d')!.getImageData(4, 4, 1, 1).data;
        return d[0] + d[1] + d[2] > 600;
      },
      undefined,
      WAIT,
    );
    await page.close();
  });

  test("the source's notices: shown while the node does not answer, through updates, gone when it answers again", async () => {
    const page = await browser.newPage({ viewport: { width: 1280, height: 1000 } });
    await page.goto(server.url);
    await waitForLivePrice(page);
    assert.equal(await page.isVisible('#source-notice'), false);
    // What a node feed tells its clients when its node stops answering RPC (node-feed.ts).
    const emit = (code: string, message: string) =>
      (server.feed as unknown as { emitEvent(e: unknown): void }).emitEvent({
        type: 'notice',
        code,
        message,
      });
    emit(
      'node_unavailable',
      'the node does not answer; the price shown is the last one, not live, until it answers again',
    );
    await page.waitForSelector('#source-notice', { state: 'visible', ...WAIT });
    assert.equal(
      await page.textContent('#source-notice'),
      'The server says: the node does not answer; the price shown is the last one, not live, until it answers again.',
    );
    assert.equal(await page.getAttribute('#source-notice', 'role'), 'status');
    // Updates go on (the demo's, here): the notice stays until the node is back.
    const seen = await page.evaluate(async () => {
      const { app } = (await import('/main.ts' as string)) as { app: PageApp };
      return app.estimates.length;
    });
    await page.waitForFunction(
      async (n) => ((await import('/main.ts' as string)) as { app: PageApp }).app.estimates.length > n,
      seen,
      WAIT,
    );
    assert.equal(await page.isVisible('#source-notice'), true);
    await page.screenshot({ path: `${ARTIFACTS}node-notice.png` });
    emit('node_available', 'the node answers again; the price is live');
    await page.waitForSelector('#source-notice', { state: 'hidden', ...WAIT });
    await page.close();
  });

  test('recovers after the server restarts, starting over from a fresh snapshot', async () => {
    const page = await browser.newPage({ viewport: { width: 1280, height: 1000 } });
    await page.goto(server.url);
    await waitForLivePrice(page);
    const port = server.port;
    await server.stop();
    await page.waitForFunction(
      () => document.getElementById('connection')?.dataset.state === 'retrying',
      undefined,
      WAIT,
    );
    assert.match((await page.textContent('#connection-text')) ?? '', /^Offline: .+; retrying/);
    assert.equal(await page.getAttribute('#price', 'data-state'), 'stale');
    await page.screenshot({ path: `${ARTIFACTS}offline.png` });

    server = await startDemoService({ port, seed: 99 });
    await page.waitForFunction(
      () => document.getElementById('connection')?.dataset.state === 'live',
      undefined,
      { timeout: 30_000 },
    );
    await waitForLivePrice(page);
    // The new server's window is another one: the page must hold exactly its points, not the old ones.
    const first = server.feed.evidence(20_000)[0].timestamp;
    await page.waitForFunction(
      async (t) => {
        const { app } = (await import('/main.ts' as string)) as { app: PageApp };
        return app.store.length > 0 && Math.abs(app.store.time[0] - t) < 1e-6;
      },
      first,
      WAIT,
    );
    assert.equal(await page.getAttribute('#price', 'data-state'), 'live');
    await page.close();
  });

  test('a token-protected server: refused without the token, served with it', async () => {
    const guarded = await startDemoService({ token: 'correct-horse' });
    try {
      const page = await browser.newPage({ viewport: { width: 1280, height: 800 } });
      await page.goto(guarded.url);
      await page.waitForFunction(
        () => document.getElementById('connection')?.dataset.state === 'unauthorized',
        undefined,
        WAIT,
      );
      assert.equal(await page.isVisible('#access-banner'), true);
      assert.match((await page.textContent('#access-banner')) ?? '', /needs an access token/);
      await page.screenshot({ path: `${ARTIFACTS}token-missing.png` });

      await page.goto(`${guarded.url}?token=wrong`);
      await page.waitForFunction(
        () => document.getElementById('connection')?.dataset.state === 'unauthorized',
        undefined,
        WAIT,
      );
      assert.match((await page.textContent('#access-banner')) ?? '', /did not accept/);

      const errors = collectErrors(page);
      await page.goto(`${guarded.url}?token=correct-horse`);
      await waitForLivePrice(page);
      assert.equal(await page.isVisible('#access-banner'), false);
      await page.waitForFunction(
        async () => ((await import('/main.ts' as string)) as { app: PageApp }).app.estimates.length > 10,
        undefined,
        WAIT,
      );
      assert.deepEqual(errors, [], 'with the right token nothing fails (history is fetched with it too)');
      await page.close();
    } finally {
      await guarded.stop();
    }
  });
});
