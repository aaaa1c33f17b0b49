// The page, assembled: the live connection feeds the point store, the estimate series and the
// histogram; the price panel shows the words; one requestAnimationFrame loop redraws the charts
// when something changed; pointer and keyboard drive the tooltip; resize, pixel density and
// colour-scheme changes redraw; the export button saves a PNG. In: the document and window.
// Out: a running page. The instance is exported by main.ts so the benchmark can load points into
// the real page and time its draw loop.

import type { LiveHistogram } from '../src/live/feed.ts';
import type { ErrorMessage, PriceMessage } from '../src/server/protocol.ts';
import { confidenceWords } from './confidence.ts';
import { type ConnectionState, LiveConnection } from './connection.ts';
import { EstimateSeries } from './estimate-series.ts';
import { composeExport, downloadPng, exportFilename } from './export-png.ts';
import { formatCount, formatLocalTime, formatUsd, formatUtcDateTime } from './format.ts';
import { HistogramChart } from './histogram-chart.ts';
import { PointStore } from './point-store.ts';
import { PricePanel } from './price-panel.ts';
import { neededRange, nextRange, type PriceRange } from './price-range.ts';
import { ScatterChart } from './scatter-chart.ts';
import { type ChartTheme, readTheme } from './theme.ts';
import { Tooltip } from './tooltip.ts';

/** The time the chart spans at most: the service's default live window is 3 hours. */
const VIEW_SECONDS = 3 * 3600;
/** The time axis never spans less than this, so the first minutes of data are not stretched edge to edge. */
const MIN_VIEW_SECONDS = 10 * 60;
/** Points asked for in each snapshot: a busy 3-hour window holds about this many (the server caps the ask). */
const SNAPSHOT_LIMIT = 20_000;
/** One estimate per minute is enough for the line before the page opened (180 points for 3 hours). */
const HISTORY_STEP_SECONDS = 60;
/** The share of points at each end of the price range left out of the axis scaling (stray outliers). */
const OUTLIER_TAIL = 0.005;
/** Re-describe the chart for screen readers at most this often. */
const DESCRIBE_EVERY_MS = 5_000;

export class App {
  readonly store = new PointStore();
  readonly estimates = new EstimateSeries();
  readonly scatter: ScatterChart;
  readonly histogram: HistogramChart;
  readonly panel: PricePanel;
  readonly connection: LiveConnection;

  private readonly doc: Document;
  private readonly win: Window;
  private readonly tooltip: Tooltip;
  private readonly scatterWrap: HTMLElement;
  private readonly histogramWrap: HTMLElement;
  private readonly exportButton: HTMLButtonElement;
  private readonly token: string | null;
  private theme: ChartTheme;
  private last: PriceMessage | null = null;
  private histogramData: LiveHistogram | null = null;
  private range: PriceRange | null = null;
  private latestTime = Number.NaN;
  private snapshotGeneration = 0;
  private hoverKey: { time: number; price: number } | null = null;
  private pointer: { x: number; y: number } | null = null;
  private scatterDirty = true;
  private histogramDirty = true;
  private frameRequested = false;
  private describedAt = 0;
  private describedWithData = false;
  private dpr = 1;

  constructor(doc: Document, win: Window) {
    this.doc = doc;
    this.win = win;
    const canvas = (id: string): HTMLCanvasElement => {
      const el = doc.getElementById(id);
      if (!(el instanceof HTMLCanvasElement)) throw new Error(`the page is missing canvas #${id}`);
      return el;
    };
    const element = (id: string): HTMLElement => {
      const el = doc.getElementById(id);
      if (el === null) throw new Error(`the page is missing #${id}`);
      return el;
    };
    this.scatter = new ScatterChart(canvas('scatter'), this.store, this.estimates);
    this.histogram = new HistogramChart(canvas('histogram'));
    this.panel = new PricePanel(doc);
    this.tooltip = new Tooltip(element('tooltip'));
    this.scatterWrap = element('scatter-wrap');
    this.histogramWrap = element('histogram-wrap');
    this.exportButton = element('export-png') as HTMLButtonElement;
    this.theme = readTheme(doc);
    this.scatter.setTheme(this.theme);
    this.histogram.setTheme(this.theme);

    this.token = new URLSearchParams(win.location.search).get('token');
    const wsUrl = new URL('/ws/mempool', win.location.href);
    wsUrl.protocol = win.location.protocol === 'https:' ? 'wss:' : 'ws:';
    wsUrl.searchParams.set('limit', String(SNAPSHOT_LIMIT));
    if (this.token !== null) wsUrl.searchParams.set('token', this.token);
    this.connection = new LiveConnection({
      wsUrl: wsUrl.href,
      hasToken: this.token !== null,
      probe: () => this.probe(),
      onMessage: (m) => this.receive(m),
      onState: (s) => this.connectionChanged(s),
    });
  }

  start(): void {
    const observer = new ResizeObserver(() => this.resize());
    observer.observe(this.scatterWrap);
    observer.observe(this.histogramWrap);
    this.watchPixelRatio();
    this.win.matchMedia('(prefers-color-scheme: dark)').addEventListener('change', () => {
      this.theme = readTheme(this.doc);
      this.scatter.setTheme(this.theme);
      this.histogram.setTheme(this.theme);
      this.invalidate();
    });
    this.bindPointer();
    this.bindKeyboard();
    this.exportButton.addEventListener('click', () => {
      this.exportPng().catch((err: unknown) => console.warn(`chainprice: ${String(err)}`));
    });
    this.win.addEventListener('online', () => this.connection.retryNow());
    this.win.setInterval(() => {
      const now = Date.now();
      this.panel.tick(now);
      if (this.connection.current.kind === 'retrying')
        this.panel.showConnection(this.connection.current, now);
    }, 1000);
    this.resize();
    this.connection.start();
  }

  /** Redraws on the next animation frame (both charts). */
  invalidate(): void {
    this.scatterDirty = true;
    this.histogramDirty = true;
    this.requestFrame();
  }

  /** Draws now: rescales the price axis to the data and redraws both charts. */
  render(): void {
    this.updateView();
    this.scatter.draw();
    this.histogram.draw();
    this.scatterDirty = false;
    this.histogramDirty = false;
  }

  private requestFrame(): void {
    if (this.frameRequested) return;
    this.frameRequested = true;
    this.win.requestAnimationFrame(() => {
      this.frameRequested = false;
      if (this.scatterDirty) {
        this.updateView();
        this.scatter.draw();
        this.scatterDirty = false;
        this.describeChart();
      }
      if (this.histogramDirty) {
        this.histogram.draw();
        this.histogramDirty = false;
      }
    });
  }

  private receive(message: PriceMessage | ErrorMessage): void {
    this.exportButton.disabled = false;
    if (message.type === 'error') {
      console.warn(`chainprice: the server said ${message.code}: ${message.message}`);
      this.panel.showNotice(message.code, message.message);
      return;
    }
    if (message.type === 'snapshot') {
      this.panel.clearNotice();
      this.store.clear();
      this.estimates.clear();
      this.range = null;
      this.histogramData = null;
      this.clearHover();
      const generation = ++this.snapshotGeneration;
      this.backfillEstimates(message.timestamp, generation).catch(() => {});
    }
    this.store.append(message.transactions);
    this.estimates.append(message.timestamp, message.price);
    if (message.histogram !== undefined) this.histogramData = message.histogram;
    this.latestTime = Math.max(
      Number.isFinite(this.latestTime) && message.type === 'update' ? this.latestTime : 0,
      message.timestamp,
      this.store.maxTime || 0,
    );
    const cutoff = this.latestTime - VIEW_SECONDS;
    this.store.dropOlderThan(cutoff);
    this.estimates.dropOlderThan(cutoff);
    this.last = message;
    this.histogram.setData(this.histogramData, message.price ?? this.estimates.latest());
    this.panel.showMessage(message, Date.now());
    this.refindHover();
    this.invalidate();
  }

  private connectionChanged(state: ConnectionState): void {
    this.panel.showConnection(state, Date.now());
    this.scatterDirty = true;
    this.requestFrame();
  }

  /** Draws the estimate line back to the start of the view from the history API, when the server keeps history. */
  private async backfillEstimates(until: number, generation: number): Promise<void> {
    const to = Math.floor(until);
    const from = to - VIEW_SECONDS;
    const res = await fetch(`/api/v1/history?from=${from}&to=${to}&step=${HISTORY_STEP_SECONDS}`, {
      headers: this.authHeaders(),
      cache: 'no-store',
    });
    if (!res.ok || generation !== this.snapshotGeneration) return;
    const body = (await res.json()) as { estimates?: { timestamp: unknown; price: unknown }[] };
    if (!Array.isArray(body.estimates) || generation !== this.snapshotGeneration) return;
    const firstLive = this.estimates.length > 0 ? this.estimates.time[0] : Number.POSITIVE_INFINITY;
    const rows: { time: number; price: number | null }[] = [];
    for (const e of body.estimates) {
      if (typeof e.timestamp === 'number' && e.timestamp < firstLive) {
        rows.push({ time: e.timestamp, price: typeof e.price === 'number' ? e.price : null });
      }
    }
    if (rows.length === 0) return;
    for (let i = 0; i < this.estimates.length; i++)
      rows.push({ time: this.estimates.time[i], price: this.estimates.price[i] });
    this.estimates.replace(rows);
    this.invalidate();
  }

  private authHeaders(): Record<string, string> {
    return this.token !== null ? { Authorization: `Bearer ${this.token}` } : {};
  }

  private async probe(): Promise<'ok' | 'unauthorized' | 'unreachable'> {
    try {
      const res = await fetch('/api/v1/price', { headers: this.authHeaders(), cache: 'no-store' });
      return res.status === 401 || res.status === 403 ? 'unauthorized' : 'ok';
    } catch {
      return 'unreachable';
    }
  }

  private updateView(): void {
    const latest = this.estimates.latest();
    const blockWindow = this.last?.block_window_price ?? null;
    const needed = neededRange(this.store.robustPriceRange(OUTLIER_TAIL), [latest], blockWindow, latest);
    this.range = nextRange(this.range, needed);
    const t1 = Number.isFinite(this.latestTime) ? this.latestTime : Date.now() / 1000;
    let t0 = t1 - VIEW_SECONDS;
    const oldest = Math.min(
      this.store.length > 0 ? this.store.minTime : t1,
      this.estimates.length > 0 ? this.estimates.time[0] : t1,
    );
    t0 = Math.max(t0, oldest);
    t0 = Math.min(t0, t1 - MIN_VIEW_SECONDS);
    this.scatter.setView({
      t0,
      t1,
      range: this.range,
      estimate: latest,
      blockWindowPrice: blockWindow,
      message: this.emptyMessage(),
    });
  }

  private emptyMessage(): string | null {
    if (this.store.length > 0) return null;
    const kind = this.connection.current.kind;
    if (this.last === null) {
      if (kind === 'unauthorized') return 'Access denied: see the note above';
      if (kind === 'retrying') return 'Cannot reach the chainprice server; retrying';
      return 'Connecting to the live feed…';
    }
    return this.last.reason ?? 'Waiting for payment outputs that match round dollar amounts…';
  }

  private resize(): void {
    this.dpr = this.win.devicePixelRatio || 1;
    const s = this.scatterWrap.getBoundingClientRect();
    const h = this.histogramWrap.getBoundingClientRect();
    this.scatter.resize(s.width, s.height, this.dpr);
    this.histogram.resize(h.width, h.height, this.dpr);
    this.tooltip.hide();
    this.invalidate();
    if (this.hoverKey !== null) this.requestFrameThen(() => this.showTooltip());
  }

  private watchPixelRatio(): void {
    const query = this.win.matchMedia(`(resolution: ${this.win.devicePixelRatio || 1}dppx)`);
    query.addEventListener(
      'change',
      () => {
        this.resize();
        this.watchPixelRatio();
      },
      { once: true },
    );
  }

  private requestFrameThen(fn: () => void): void {
    this.win.requestAnimationFrame(() => this.win.requestAnimationFrame(fn));
  }

  private bindPointer(): void {
    const canvas = this.scatter.canvas;
    const move = (event: PointerEvent): void => {
      this.pointer = { x: event.offsetX, y: event.offsetY };
      this.setHover(this.scatter.pointAt(event.offsetX, event.offsetY));
    };
    canvas.addEventListener('pointermove', move);
    canvas.addEventListener('pointerdown', move);
    canvas.addEventListener('pointerleave', () => {
      this.pointer = null;
      this.setHover(-1);
    });
  }

  private bindKeyboard(): void {
    const canvas = this.scatter.canvas;
    canvas.addEventListener('keydown', (event) => {
      const n = this.store.length;
      if (n === 0) return;
      const current = this.scatter.hover;
      const step = event.shiftKey ? 100 : 1;
      let next: number;
      switch (event.key) {
        case 'ArrowRight':
        case 'ArrowUp':
          next = current < 0 ? n - 1 : Math.min(n - 1, current + step);
          break;
        case 'ArrowLeft':
        case 'ArrowDown':
          next = current < 0 ? n - 1 : Math.max(0, current - step);
          break;
        case 'Home':
          next = 0;
          break;
        case 'End':
          next = n - 1;
          break;
        case 'Escape':
          next = -1;
          break;
        default:
          return;
      }
      event.preventDefault();
      this.pointer = null;
      this.setHover(next);
    });
    canvas.addEventListener('blur', () => {
      if (this.pointer === null) this.setHover(-1);
    });
  }

  private setHover(index: number): void {
    if (index === this.scatter.hover) return;
    this.scatter.hover = index;
    this.hoverKey = index >= 0 ? { time: this.store.time[index], price: this.store.price[index] } : null;
    this.showTooltip();
    this.scatterDirty = true;
    this.requestFrame();
  }

  private clearHover(): void {
    this.scatter.hover = -1;
    this.hoverKey = null;
    this.tooltip.hide();
  }

  /** After the store changed, finds the hovered point again (old points may have been dropped). */
  private refindHover(): void {
    if (this.pointer !== null) {
      // The mouse stays where it is; the point under it is looked up after the next draw.
      this.requestFrameThen(() => {
        if (this.pointer !== null) this.setHover(this.scatter.pointAt(this.pointer.x, this.pointer.y));
        this.showTooltip();
      });
      return;
    }
    const key = this.hoverKey;
    if (key === null) return;
    for (let i = Math.min(this.scatter.hover, this.store.length - 1); i >= 0; i--) {
      if (this.store.time[i] === key.time && this.store.price[i] === key.price) {
        this.scatter.hover = i;
        this.requestFrameThen(() => this.showTooltip());
        return;
      }
      if (this.store.time[i] < key.time) break;
    }
    this.clearHover();
  }

  private showTooltip(): void {
    const i = this.scatter.hover;
    const pos = i >= 0 ? this.scatter.pointPosition(i) : null;
    if (pos === null) {
      this.tooltip.hide();
      return;
    }
    const rect = this.scatterWrap.getBoundingClientRect();
    this.tooltip.show(
      { timestamp: this.store.time[i], price: this.store.price[i], usd: this.store.usd[i] },
      pos.x,
      pos.y,
      { width: rect.width, height: rect.height },
    );
  }

  private describeChart(): void {
    const count = this.doc.getElementById('point-count');
    const shown = formatCount(this.scatter.raster.visible);
    if (count !== null && count.textContent !== shown) count.textContent = shown;
    const now = Date.now();
    const n = this.store.length;
    // Described at once when the data appears or goes, else at most every DESCRIBE_EVERY_MS.
    if (now - this.describedAt < DESCRIBE_EVERY_MS && n > 0 === this.describedWithData) return;
    this.describedAt = now;
    this.describedWithData = n > 0;
    const canvas = this.scatter.canvas;
    if (n === 0 || this.range === null) {
      canvas.setAttribute('aria-label', 'Evidence chart: no data yet');
      return;
    }
    const cloud = this.store.robustPriceRange(0.1);
    const latest = this.estimates.latest();
    canvas.setAttribute(
      'aria-label',
      `Evidence chart: ${formatCount(n)} outputs seen from ${formatLocalTime(this.store.minTime)} to ${formatLocalTime(this.store.maxTime)}` +
        (cloud !== null
          ? `; most imply a price between ${formatUsd(cloud.low)} and ${formatUsd(cloud.high)}`
          : '') +
        (latest !== null ? `; live estimate ${formatUsd(latest)}.` : '.') +
        ' Use the arrow keys to step through the points.',
    );
    const hist = this.doc.getElementById('histogram');
    if (hist !== null && this.histogramData !== null) {
      hist.setAttribute(
        'aria-label',
        `Histogram of ${formatCount(this.histogramData.counts.reduce((a, b) => a + b, 0))} output amounts on a log scale, with the round-dollar comb drawn at ${latest !== null ? formatUsd(latest) : 'no estimate'}.`,
      );
    }
  }

  private async exportPng(): Promise<void> {
    this.render();
    const m = this.last;
    const when = m?.timestamp ?? Date.now() / 1000;
    const header =
      m === null || m.price === null
        ? `chainprice · no estimate · ${formatUtcDateTime(when)}`
        : `chainprice · ${formatUsd(m.price)} (${confidenceWords(m.confidence)}) · ${formatUtcDateTime(when)} · source: ${m.source}`;
    const out = composeExport(this.scatter.canvas, this.dpr, this.theme, header);
    await downloadPng(out, exportFilename(when));
  }
}
