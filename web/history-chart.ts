// The History chart: the chain's daily on-chain price on a log price axis over a UTC time axis,
// with a confidence band, and (zoomed in to days) each block's own price as a dot. In: days and
// blocks (rows of /api/v1/history/daily and /blocks), the time span in view, the theme and the
// canvas size. Out: a drawing, and the day or block under a pointer. Pure drawing: fetching and
// zoom live in history-view.ts.

import type { ChartTheme } from './theme.ts';
import { niceTicks } from './ticks.ts';

export interface HistoryDay {
  date: string;
  /** Unix seconds of the day's start (UTC). */
  time: number;
  price: number | null;
  confidence: number;
  blocks: number;
  candidates: number;
  transactions: number;
  first_height: number;
  last_height: number;
}

export interface HistoryBlock {
  height: number;
  hash: string;
  time: number;
  price: number | null;
  confidence: number;
  candidates: number;
  transactions: number;
  seed: number | null;
}

export type HistoryHit = { kind: 'day'; index: number } | { kind: 'block'; index: number };

const DAY = 86_400;
/** The band's half-width in log price at confidence 0 (a factor of about 1.15); none at confidence 1. */
const BAND_AT_ZERO = Math.log(1.15);
const PAD = { left: 74, right: 16, top: 14, bottom: 30 };
/** Pixels within which a block dot is hit. */
const HIT_RADIUS = 10;

/** The band around a day's price: wider the less confident the day (see the legend). */
export function bandOf(price: number, confidence: number): { low: number; high: number } {
  const half = BAND_AT_ZERO * (1 - Math.max(0, Math.min(1, confidence)));
  return { low: price * Math.exp(-half), high: price * Math.exp(half) };
}

/** Time-axis steps: hours, days, weeks, months and years (months and years counted in calendar units). */
const STEPS: { seconds: number; months?: number }[] = [
  { seconds: 3600 },
  { seconds: 3 * 3600 },
  { seconds: 6 * 3600 },
  { seconds: 12 * 3600 },
  { seconds: DAY },
  { seconds: 2 * DAY },
  { seconds: 7 * DAY },
  { seconds: 14 * DAY },
  { seconds: 30 * DAY, months: 1 },
  { seconds: 91 * DAY, months: 3 },
  { seconds: 182 * DAY, months: 6 },
  { seconds: 365 * DAY, months: 12 },
  { seconds: 2 * 365 * DAY, months: 24 },
  { seconds: 5 * 365 * DAY, months: 60 },
];

/** Tick times (UTC) for a span, at most `max` of them, with the step they were chosen at. */
export function utcTicks(t0: number, t1: number, max: number): { values: number[]; step: number } {
  const rough = (t1 - t0) / Math.max(1, max);
  const step = STEPS.find((s) => s.seconds >= rough) ?? STEPS[STEPS.length - 1];
  const values: number[] = [];
  if (step.months === undefined) {
    for (let t = Math.ceil(t0 / step.seconds) * step.seconds; t <= t1; t += step.seconds) values.push(t);
  } else {
    const d = new Date(t0 * 1000);
    let y = d.getUTCFullYear();
    let m = Math.ceil(d.getUTCMonth() / step.months) * step.months;
    for (;;) {
      const t = Date.UTC(y + Math.floor(m / 12), m % 12, 1) / 1000;
      if (t > t1) break;
      if (t >= t0) values.push(t);
      m += step.months;
      if (m >= 12) {
        y += Math.floor(m / 12);
        m %= 12;
      }
    }
  }
  return { values, step: step.seconds };
}

function pad2(n: number): string {
  return n < 10 ? `0${n}` : String(n);
}

const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];

function timeLabel(t: number, step: number): string {
  const d = new Date(t * 1000);
  if (step >= 365 * DAY) return String(d.getUTCFullYear());
  if (step >= 28 * DAY)
    return d.getUTCMonth() === 0
      ? String(d.getUTCFullYear())
      : `${MONTHS[d.getUTCMonth()]} ${d.getUTCFullYear()}`;
  if (step >= DAY) return `${MONTHS[d.getUTCMonth()]} ${d.getUTCDate()}`;
  const hm = `${pad2(d.getUTCHours())}:${pad2(d.getUTCMinutes())}`;
  return d.getUTCHours() === 0 ? `${MONTHS[d.getUTCMonth()]} ${d.getUTCDate()}` : hm;
}

/** Price ticks on a log axis: 1-2-5 × 10^k (or only powers of ten when the range is wide; plain
 * 1-2-5 steps when it is too narrow for two of those, as zoomed in to a day). */
export function logPriceTicks(low: number, high: number, max: number): number[] {
  const out = decadeTicks(low, high, max);
  return out.length >= 2 ? out : niceTicks(low, high, Math.min(max, 5)).values;
}

function decadeTicks(low: number, high: number, max: number): number[] {
  const out: number[] = [];
  for (const mults of [[1, 2, 5], [1, 2, 3, 4, 5, 6, 7, 8, 9], [1]]) {
    out.length = 0;
    for (let p = Math.floor(Math.log10(low)); p <= Math.ceil(Math.log10(high)); p++)
      for (const m of mults) {
        const v = m * 10 ** p;
        if (v >= low && v <= high) out.push(v);
      }
    if (mults.length === 3 && out.length >= 3 && out.length <= max) return [...out];
    if (mults.length === 9 && out.length >= 2 && out.length <= max) return [...out];
  }
  return out.filter((_, i) => i % Math.ceil(out.length / max) === 0);
}

function priceLabel(v: number): string {
  if (v >= 1_000_000) return `$${v / 1_000_000}M`;
  if (v >= 10_000) return `$${v / 1000}k`;
  return `$${v.toLocaleString('en-US')}`;
}

export class HistoryChart {
  readonly canvas: HTMLCanvasElement;
  days: HistoryDay[] = [];
  blocks: HistoryBlock[] = [];
  t0 = 0;
  t1 = 1;
  hover: HistoryHit | null = null;
  message: string | null = 'Loading the chain’s price history…';
  private theme: ChartTheme | null = null;
  private cssWidth = 1;
  private cssHeight = 1;
  private dpr = 1;
  private low = 1;
  private high = 2;

  constructor(canvas: HTMLCanvasElement) {
    this.canvas = canvas;
  }

  resize(cssWidth: number, cssHeight: number, dpr: number): void {
    this.cssWidth = Math.max(1, cssWidth);
    this.cssHeight = Math.max(1, cssHeight);
    this.dpr = dpr;
    const w = Math.max(1, Math.round(cssWidth * dpr));
    const h = Math.max(1, Math.round(cssHeight * dpr));
    if (this.canvas.width !== w) this.canvas.width = w;
    if (this.canvas.height !== h) this.canvas.height = h;
  }

  setTheme(theme: ChartTheme): void {
    this.theme = theme;
  }

  /** The chart's plot width in CSS pixels (zoom maps pointer positions through it). */
  get plot(): { left: number; width: number } {
    return { left: PAD.left, width: Math.max(1, this.cssWidth - PAD.left - PAD.right) };
  }

  x(t: number): number {
    return PAD.left + ((t - this.t0) / (this.t1 - this.t0)) * this.plot.width;
  }

  timeAt(x: number): number {
    return this.t0 + ((x - PAD.left) / this.plot.width) * (this.t1 - this.t0);
  }

  y(price: number): number {
    const h = this.cssHeight - PAD.top - PAD.bottom;
    const f = (Math.log(price) - Math.log(this.low)) / (Math.log(this.high) - Math.log(this.low));
    return PAD.top + (1 - f) * h;
  }

  /** Days overlapping the view (index range, inclusive start, exclusive end). */
  private visibleDays(): [number, number] {
    let a = 0;
    while (a < this.days.length && this.days[a].time + DAY <= this.t0) a++;
    let b = a;
    while (b < this.days.length && this.days[b].time <= this.t1) b++;
    return [a, b];
  }

  /** The price range to show: the visible days' bands and blocks, padded, on the log scale. */
  private scale(): void {
    let low = Infinity;
    let high = -Infinity;
    const [a, b] = this.visibleDays();
    for (let i = a; i < b; i++) {
      const d = this.days[i];
      if (d.price === null) continue;
      const band = bandOf(d.price, d.confidence);
      low = Math.min(low, band.low);
      high = Math.max(high, band.high);
    }
    for (const bl of this.blocks) {
      if (bl.price === null || bl.time < this.t0 || bl.time > this.t1) continue;
      low = Math.min(low, bl.price);
      high = Math.max(high, bl.price);
    }
    if (!Number.isFinite(low)) {
      low = 10_000;
      high = 100_000;
    }
    const span = Math.max(Math.log(high / low), Math.log(1.05));
    const mid = (Math.log(high) + Math.log(low)) / 2;
    this.low = Math.exp(mid - span * 0.56);
    this.high = Math.exp(mid + span * 0.56);
  }

  draw(): void {
    const ctx = this.canvas.getContext('2d');
    const theme = this.theme;
    if (ctx === null || theme === null) return;
    ctx.setTransform(this.dpr, 0, 0, this.dpr, 0, 0);
    ctx.fillStyle = theme.background;
    ctx.fillRect(0, 0, this.cssWidth, this.cssHeight);
    this.scale();
    const plotW = this.plot.width;
    const bottom = this.cssHeight - PAD.bottom;
    ctx.font = `12px ${theme.font}`;

    // Grid and axes.
    ctx.lineWidth = 1;
    ctx.textBaseline = 'middle';
    ctx.textAlign = 'right';
    for (const v of logPriceTicks(this.low, this.high, Math.max(2, Math.floor((bottom - PAD.top) / 40)))) {
      const y = Math.round(this.y(v)) + 0.5;
      ctx.strokeStyle = theme.grid;
      ctx.beginPath();
      ctx.moveTo(PAD.left, y);
      ctx.lineTo(PAD.left + plotW, y);
      ctx.stroke();
      ctx.fillStyle = theme.muted;
      ctx.fillText(priceLabel(v), PAD.left - 8, y);
    }
    ctx.textAlign = 'center';
    ctx.textBaseline = 'top';
    const ticks = utcTicks(this.t0, this.t1, Math.max(2, Math.floor(plotW / 90)));
    for (const t of ticks.values) {
      const x = Math.round(this.x(t)) + 0.5;
      if (x > PAD.left + plotW - 20) continue; // its label would be cut at the edge
      ctx.strokeStyle = theme.grid;
      ctx.beginPath();
      ctx.moveTo(x, PAD.top);
      ctx.lineTo(x, bottom);
      ctx.stroke();
      ctx.fillStyle = theme.muted;
      ctx.fillText(timeLabel(t, ticks.step), x, bottom + 8);
    }
    ctx.strokeStyle = theme.axis;
    ctx.beginPath();
    ctx.moveTo(PAD.left + 0.5, PAD.top);
    ctx.lineTo(PAD.left + 0.5, bottom + 0.5);
    ctx.lineTo(PAD.left + plotW, bottom + 0.5);
    ctx.stroke();

    ctx.save();
    ctx.beginPath();
    ctx.rect(PAD.left, PAD.top, plotW, bottom - PAD.top);
    ctx.clip();
    const [a, b] = this.visibleDays();
    const perDayPx = (DAY / (this.t1 - this.t0)) * plotW;
    const mid = (d: HistoryDay) => d.time + DAY / 2;
    // The band: one polygon per run of priced days.
    ctx.fillStyle = bandFill(theme);
    const runs: HistoryDay[][] = [];
    let run: HistoryDay[] = [];
    for (let i = a; i < b; i++) {
      const d = this.days[i];
      const gap = run.length > 0 && d.time - run[run.length - 1].time > DAY;
      if (d.price === null || gap) {
        if (run.length > 0) runs.push(run);
        run = [];
      }
      if (d.price !== null) run.push(d);
    }
    if (run.length > 0) runs.push(run);
    const stepped = perDayPx > 24;
    const points = (r: HistoryDay[], f: (d: HistoryDay) => number): [number, number][] =>
      stepped
        ? r.flatMap((d): [number, number][] => [
            [this.x(d.time), this.y(f(d))],
            [this.x(d.time + DAY), this.y(f(d))],
          ])
        : r.map((d): [number, number] => [this.x(mid(d)), this.y(f(d))]);
    for (const r of runs) {
      const top = points(r, (d) => bandOf(d.price as number, d.confidence).high);
      const under = points(r, (d) => bandOf(d.price as number, d.confidence).low).reverse();
      ctx.beginPath();
      for (const [i, [x, y]] of [...top, ...under].entries()) {
        if (i === 0) ctx.moveTo(x, y);
        else ctx.lineTo(x, y);
      }
      ctx.closePath();
      ctx.fill();
    }
    // The daily price line.
    ctx.strokeStyle = theme.estimate;
    ctx.lineWidth = 2;
    ctx.lineJoin = 'round';
    for (const r of runs) {
      const line = points(r, (d) => d.price as number);
      ctx.beginPath();
      for (const [i, [x, y]] of line.entries()) {
        if (i === 0) ctx.moveTo(x, y);
        else ctx.lineTo(x, y);
      }
      if (line.length === 1) ctx.arc(line[0][0], line[0][1], 1.5, 0, Math.PI * 2);
      ctx.stroke();
    }
    // Blocks (zoomed in): a dot each, faint when not confident.
    const { r, g, b: bl } = theme.pointSparse;
    for (const block of this.blocks) {
      if (block.price === null || block.time < this.t0 || block.time > this.t1) continue;
      ctx.fillStyle = `rgba(${r},${g},${bl},${0.35 + 0.65 * Math.max(0, Math.min(1, block.confidence))})`;
      ctx.beginPath();
      ctx.arc(this.x(block.time), this.y(block.price), 3.5, 0, Math.PI * 2);
      ctx.fill();
    }
    // The hovered day or block.
    const hit = this.hover;
    if (hit !== null) {
      ctx.strokeStyle = theme.hover;
      ctx.fillStyle = theme.hover;
      ctx.lineWidth = 1;
      if (hit.kind === 'day') {
        const d = this.days[hit.index];
        const x = this.x(mid(d));
        ctx.setLineDash([3, 3]);
        ctx.beginPath();
        ctx.moveTo(x, PAD.top);
        ctx.lineTo(x, bottom);
        ctx.stroke();
        ctx.setLineDash([]);
        if (d.price !== null) {
          ctx.beginPath();
          ctx.arc(x, this.y(d.price), 4, 0, Math.PI * 2);
          ctx.fill();
        }
      } else {
        const k = this.blocks[hit.index];
        if (k.price !== null) {
          ctx.lineWidth = 2;
          ctx.beginPath();
          ctx.arc(this.x(k.time), this.y(k.price), 6, 0, Math.PI * 2);
          ctx.stroke();
        }
      }
    }
    ctx.restore();

    if (this.message !== null) {
      ctx.fillStyle = theme.muted;
      ctx.textAlign = 'center';
      ctx.textBaseline = 'middle';
      ctx.font = `14px ${theme.font}`;
      ctx.fillText(this.message, PAD.left + plotW / 2, (PAD.top + bottom) / 2);
    }
  }

  /** Where a day's or block's point is drawn (CSS pixels), or null when it has no price. */
  position(hit: HistoryHit): { x: number; y: number } | null {
    if (hit.kind === 'block') {
      const k = this.blocks[hit.index];
      return k.price === null ? null : { x: this.x(k.time), y: this.y(k.price) };
    }
    const d = this.days[hit.index];
    const x = this.x(d.time + DAY / 2);
    return { x, y: d.price === null ? (PAD.top + this.cssHeight - PAD.bottom) / 2 : this.y(d.price) };
  }

  /** The block dot near (x, y), else the day under x; null outside the plot or the data. */
  hitAt(x: number, y: number): HistoryHit | null {
    if (x < PAD.left || x > PAD.left + this.plot.width) return null;
    let best = -1;
    let bestD = HIT_RADIUS * HIT_RADIUS;
    for (const [i, k] of this.blocks.entries()) {
      if (k.price === null) continue;
      const dx = this.x(k.time) - x;
      const dy = this.y(k.price) - y;
      if (dx * dx + dy * dy <= bestD) {
        bestD = dx * dx + dy * dy;
        best = i;
      }
    }
    if (best >= 0) return { kind: 'block', index: best };
    const t = this.timeAt(x);
    let lo = 0;
    let hi = this.days.length - 1;
    if (hi < 0) return null;
    while (lo < hi) {
      const m = (lo + hi + 1) >> 1;
      if (this.days[m].time <= t) lo = m;
      else hi = m - 1;
    }
    const d = this.days[lo];
    return t >= d.time - DAY / 2 && t < d.time + 1.5 * DAY ? { kind: 'day', index: lo } : null;
  }
}

function bandFill(theme: ChartTheme): string {
  // The estimate colour at low opacity, whatever form the theme gives it in (#rrggbb or a name).
  const m = /^#([0-9a-f]{2})([0-9a-f]{2})([0-9a-f]{2})$/i.exec(theme.estimate);
  if (m === null) return 'rgba(232,89,12,0.16)';
  return `rgba(${parseInt(m[1], 16)},${parseInt(m[2], 16)},${parseInt(m[3], 16)},0.18)`;
}
