// The History view of the page: the chain's daily on-chain price since the first priced day
// (/api/v1/history/daily), zoomed with the wheel, the span buttons, a drag or the keyboard from
// years down to the blocks of a day (/api/v1/history/blocks, fetched for the span in view once it
// is a week or less), a tooltip with a day's or a block's figures, and a CSV link for what is in
// view. In: the document and window. Out: a running view; `state()` tells tests what it shows.

import { formatCount, formatUsd, formatUtcDateTime } from './format.ts';
import { type HistoryBlock, HistoryChart, type HistoryDay, type HistoryHit } from './history-chart.ts';
import { type ChartTheme, readTheme } from './theme.ts';

const DAY = 86_400;
/** Blocks are fetched and drawn once the view spans this much or less. */
export const BLOCKS_SPAN_SECONDS = 7 * DAY;
/** The narrowest view: a quarter of a day. */
const MIN_SPAN_SECONDS = 6 * 3600;
const TOOLTIP_OFFSET = 14;

export interface HistoryViewState {
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

export class HistoryView {
  readonly chart: HistoryChart;
  private readonly doc: Document;
  private readonly win: Window;
  private readonly wrap: HTMLElement;
  private readonly tooltip: HTMLElement;
  private readonly status: HTMLElement;
  private readonly csv: HTMLAnchorElement;
  private readonly token: string | null;
  private source: string | null = null;
  private first = 0;
  private last = DAY;
  private blocksKey = '';
  private blocksTimer: ReturnType<typeof setTimeout> | null = null;
  private loadingBlocks = false;
  private frame = false;
  private drag: { x: number; t0: number; t1: number } | null = null;

  constructor(doc: Document, win: Window) {
    this.doc = doc;
    this.win = win;
    const el = (id: string): HTMLElement => {
      const found = doc.getElementById(id);
      if (found === null) throw new Error(`the page is missing #${id}`);
      return found;
    };
    this.chart = new HistoryChart(el('history') as HTMLCanvasElement);
    this.wrap = el('history-wrap');
    this.tooltip = el('history-tooltip');
    this.status = el('history-status');
    this.csv = el('history-csv') as HTMLAnchorElement;
    this.token = new URLSearchParams(win.location.search).get('token');
  }

  start(): void {
    this.setTheme(readTheme(this.doc));
    this.win
      .matchMedia('(prefers-color-scheme: dark)')
      .addEventListener('change', () => this.setTheme(readTheme(this.doc)));
    new ResizeObserver(() => this.resize()).observe(this.wrap);
    this.bindInput();
    for (const button of this.doc.querySelectorAll<HTMLButtonElement>('[data-history-span]')) {
      button.addEventListener('click', () => {
        const span = button.dataset.historySpan;
        if (span === 'all') this.showAll();
        else this.setSpan(Number(span) * DAY);
      });
    }
    this.resize();
    this.load().catch((error: unknown) => this.fail(`Could not load the history (${String(error)})`));
  }

  state(): HistoryViewState {
    return {
      source: this.source,
      days: this.chart.days.length,
      pricedDays: this.chart.days.filter((d) => d.price !== null).length,
      blocks: this.chart.blocks.length,
      t0: this.chart.t0,
      t1: this.chart.t1,
      csv: this.csv.href,
      message: this.chart.message,
      loading: this.loadingBlocks || this.blocksTimer !== null,
    };
  }

  /** Shows [t0, t1] (Unix seconds), kept inside the history and no narrower than six hours. */
  setRange(t0: number, t1: number): void {
    const full = this.last - this.first;
    let span = Math.max(MIN_SPAN_SECONDS, Math.min(t1 - t0, full * 1.02));
    if (!Number.isFinite(span) || span <= 0) span = DAY;
    let a = (t0 + t1) / 2 - span / 2;
    a = Math.max(this.first - full * 0.01, Math.min(a, this.last + full * 0.01 - span));
    this.chart.t0 = a;
    this.chart.t1 = a + span;
    this.chart.hover = null;
    this.tooltip.hidden = true;
    this.viewChanged();
  }

  showAll(): void {
    this.setRange(this.first, this.last);
  }

  /** A span ending at the newest day (the span buttons). */
  setSpan(seconds: number): void {
    this.setRange(this.last - seconds, this.last);
  }

  private setTheme(theme: ChartTheme): void {
    this.chart.setTheme(theme);
    this.redraw();
  }

  private headers(): Record<string, string> {
    return this.token !== null ? { Authorization: `Bearer ${this.token}` } : {};
  }

  private url(path: string, params: Record<string, string>): string {
    const u = new URL(path, this.win.location.href);
    for (const [k, v] of Object.entries(params)) u.searchParams.set(k, v);
    return u.pathname + u.search;
  }

  private async load(): Promise<void> {
    const res = await fetch('/api/v1/history/daily', { headers: this.headers(), cache: 'no-store' });
    if (!res.ok) {
      const body = (await res.json().catch(() => ({}))) as { message?: string };
      this.fail(
        body.message ? `No history: ${body.message}` : `No history (the server answered ${res.status})`,
      );
      return;
    }
    const body = (await res.json()) as { source?: string; days?: HistoryDay[] };
    this.source = typeof body.source === 'string' ? body.source : null;
    const all = Array.isArray(body.days) ? body.days : [];
    const firstPriced = all.findIndex((d) => d.price !== null);
    const days = firstPriced < 0 ? [] : all.slice(firstPriced);
    this.chart.days = days;
    if (days.length === 0) {
      this.fail(
        this.source === 'demo'
          ? 'The demo is still simulating its past days…'
          : 'No day is priced yet: run "chainprice history build" on the node’s machine',
      );
      if (this.source === 'demo') this.win.setTimeout(() => this.load().catch(() => {}), 2000);
      return;
    }
    this.first = days[0].time;
    this.last = days[days.length - 1].time + DAY;
    this.chart.message = null;
    const priced = days.filter((d) => d.price !== null).length;
    this.status.textContent =
      `${formatCount(priced)} days priced from ${days[0].date} to ${days[days.length - 1].date}` +
      (this.source === 'demo' ? ' · demo: simulated days, not market prices' : ' · from your node’s blocks');
    this.status.dataset.source = this.source ?? '';
    this.showAll();
  }

  private fail(message: string): void {
    this.chart.message = message;
    this.status.textContent = message;
    this.redraw();
  }

  private viewChanged(): void {
    const { t0, t1 } = this.chart;
    const from = dateOf(Math.max(t0, this.first));
    const to = dateOf(Math.min(t1, this.last) - 1);
    const zoomed = t1 - t0 <= BLOCKS_SPAN_SECONDS;
    const params: Record<string, string> = { from, to, format: 'csv' };
    if (this.token !== null) params.token = this.token;
    this.csv.href = this.url(zoomed ? '/api/v1/history/blocks' : '/api/v1/history/daily', params);
    this.csv.textContent = zoomed ? 'CSV of these blocks' : 'CSV of these days';
    if (!zoomed) {
      this.chart.blocks = [];
      this.blocksKey = '';
    } else if (`${from}/${to}` !== this.blocksKey) {
      if (this.blocksTimer !== null) clearTimeout(this.blocksTimer);
      this.blocksTimer = setTimeout(() => {
        this.blocksTimer = null;
        this.loadBlocks(from, to).catch(() => {
          this.loadingBlocks = false;
        });
      }, 120);
    }
    this.redraw();
  }

  private async loadBlocks(from: string, to: string): Promise<void> {
    this.loadingBlocks = true;
    const res = await fetch(this.url('/api/v1/history/blocks', { from, to }), {
      headers: this.headers(),
      cache: 'no-store',
    });
    this.loadingBlocks = false;
    if (!res.ok) return;
    const body = (await res.json()) as { blocks?: HistoryBlock[] };
    if (this.chart.t1 - this.chart.t0 > BLOCKS_SPAN_SECONDS) return; // zoomed out meanwhile
    this.chart.blocks = Array.isArray(body.blocks) ? body.blocks : [];
    this.blocksKey = `${from}/${to}`;
    this.chart.hover = null;
    this.redraw();
  }

  private resize(): void {
    const r = this.wrap.getBoundingClientRect();
    this.chart.resize(r.width, r.height, this.win.devicePixelRatio || 1);
    this.tooltip.hidden = true;
    this.redraw();
  }

  private redraw(): void {
    if (this.frame) return;
    this.frame = true;
    this.win.requestAnimationFrame(() => {
      this.frame = false;
      this.chart.draw();
      this.describe();
    });
  }

  private zoomAt(x: number, factor: number): void {
    const t = this.chart.timeAt(x);
    const { t0, t1 } = this.chart;
    this.setRange(t - (t - t0) * factor, t + (t1 - t) * factor);
  }

  private bindInput(): void {
    const canvas = this.chart.canvas;
    canvas.addEventListener(
      'wheel',
      (event) => {
        event.preventDefault();
        this.zoomAt(event.offsetX, 1.0015 ** event.deltaY);
      },
      { passive: false },
    );
    canvas.addEventListener('dblclick', (event) => this.zoomAt(event.offsetX, 0.25));
    canvas.addEventListener('pointerdown', (event) => {
      this.drag = { x: event.offsetX, t0: this.chart.t0, t1: this.chart.t1 };
      canvas.setPointerCapture(event.pointerId);
    });
    canvas.addEventListener('pointerup', () => {
      this.drag = null;
    });
    canvas.addEventListener('pointermove', (event) => {
      if (this.drag !== null && event.buttons === 1 && Math.abs(event.offsetX - this.drag.x) > 3) {
        const dt = ((event.offsetX - this.drag.x) / this.chart.plot.width) * (this.drag.t1 - this.drag.t0);
        this.setRange(this.drag.t0 - dt, this.drag.t1 - dt);
        return;
      }
      this.setHover(this.chart.hitAt(event.offsetX, event.offsetY));
    });
    canvas.addEventListener('pointerleave', () => this.setHover(null));
    canvas.addEventListener('keydown', (event) => {
      const { t0, t1 } = this.chart;
      const span = t1 - t0;
      const mid = this.chart.plot.left + this.chart.plot.width / 2;
      switch (event.key) {
        case '+':
        case '=':
          this.zoomAt(mid, 0.5);
          break;
        case '-':
          this.zoomAt(mid, 2);
          break;
        case 'ArrowLeft':
          this.setRange(t0 - span / 4, t1 - span / 4);
          break;
        case 'ArrowRight':
          this.setRange(t0 + span / 4, t1 + span / 4);
          break;
        case 'Home':
          this.showAll();
          break;
        default:
          return;
      }
      event.preventDefault();
    });
  }

  private setHover(hit: HistoryHit | null): void {
    const same =
      hit === this.chart.hover ||
      (hit !== null &&
        this.chart.hover !== null &&
        hit.kind === this.chart.hover.kind &&
        hit.index === this.chart.hover.index);
    if (same) return;
    this.chart.hover = hit;
    this.redraw();
    if (hit === null) {
      this.tooltip.hidden = true;
      return;
    }
    const rows: [string, string][] = [];
    let title: string;
    if (hit.kind === 'day') {
      const d = this.chart.days[hit.index];
      title = d.price === null ? 'no price' : formatUsd(d.price);
      rows.push(
        ['Day', `${d.date} (UTC)`],
        ['Confidence', `${Math.round(d.confidence * 100)} %`],
        ['Blocks', `${formatCount(d.blocks)} (${formatCount(d.first_height)}–${formatCount(d.last_height)})`],
        ['Candidates', formatCount(d.candidates)],
        ['Transactions', formatCount(d.transactions)],
      );
    } else {
      const b = this.chart.blocks[hit.index];
      title = b.price === null ? 'no price' : formatUsd(b.price);
      rows.push(
        ['Block', formatCount(b.height)],
        ['Mined', formatUtcDateTime(b.time)],
        ['Confidence', `${Math.round(b.confidence * 100)} %`],
        ['Candidates', formatCount(b.candidates)],
        ['Transactions', formatCount(b.transactions)],
        ['Seeded at', b.seed === null ? 'cold (no seed)' : formatUsd(b.seed)],
      );
    }
    const head = this.doc.createElement('div');
    head.className = 'tt-price';
    head.textContent = title;
    const lines = rows.map(([label, value]) => {
      const div = this.doc.createElement('div');
      div.className = 'tt-row';
      const strong = this.doc.createElement('strong');
      strong.textContent = value;
      div.append(`${label} `, strong);
      return div;
    });
    this.tooltip.replaceChildren(head, ...lines);
    this.tooltip.dataset.kind = hit.kind;
    this.tooltip.hidden = false;
    const pos = this.chart.position(hit) ?? { x: 0, y: 0 };
    const bounds = this.wrap.getBoundingClientRect();
    const w = this.tooltip.offsetWidth;
    const h = this.tooltip.offsetHeight;
    let left = pos.x + TOOLTIP_OFFSET;
    if (left + w > bounds.width) left = pos.x - TOOLTIP_OFFSET - w;
    let top = pos.y - TOOLTIP_OFFSET - h;
    if (top < 0) top = pos.y + TOOLTIP_OFFSET;
    this.tooltip.style.left = `${Math.max(0, Math.min(bounds.width - w, left))}px`;
    this.tooltip.style.top = `${Math.max(0, Math.min(bounds.height - h, top))}px`;
  }

  private describe(): void {
    const c = this.chart;
    if (c.days.length === 0) {
      c.canvas.setAttribute('aria-label', `History chart: ${c.message ?? 'no data'}`);
      return;
    }
    const from = dateOf(Math.max(c.t0, this.first));
    const to = dateOf(Math.min(c.t1, this.last) - 1);
    c.canvas.setAttribute(
      'aria-label',
      `History chart of the daily on-chain price from ${from} to ${to}` +
        (c.blocks.length > 0 ? `, with ${formatCount(c.blocks.length)} blocks` : '') +
        '. Use + and − to zoom, the arrow keys to move, Home to see it all.',
    );
  }
}

function dateOf(t: number): string {
  return new Date(t * 1000).toISOString().slice(0, 10);
}
