// The evidence chart: one dot per output that matched a round dollar amount (time across, the
// price it implies up), the live estimate as a line, the confirmed-block price as a dashed
// reference, readable axes, and the hovered point ringed. In: the point store, the estimate
// series, the visible ranges and a theme. Out: pixels on the canvas, and point lookups by position
// for the tooltip. The dots are drawn by PointsRaster and only redrawn when the data or the view
// changed; everything else is cheap vector drawing done every frame.

import type { EstimateSeries } from './estimate-series.ts';
import { formatLocalTime, formatUsd, formatUsdTick } from './format.ts';
import type { PointStore } from './point-store.ts';
import { PointsRaster } from './points-raster.ts';
import type { PriceRange } from './price-range.ts';
import { SpatialGrid } from './spatial-grid.ts';
import type { ChartTheme } from './theme.ts';
import { niceTicks, timeTicks } from './ticks.ts';

export interface ScatterView {
  /** Visible time range, Unix seconds. */
  t0: number;
  t1: number;
  /** Visible price range; null when there is nothing to scale to yet. */
  range: PriceRange | null;
  /** The current live estimate (for its tag on the axis). */
  estimate: number | null;
  blockWindowPrice: number | null;
  /** Shown in the middle of an empty chart. */
  message: string | null;
}

interface Rect {
  x: number;
  y: number;
  w: number;
  h: number;
}

/** Tick label size in CSS pixels. */
const FONT_PX = 11;
/** Space kept between the canvas edge and the plot, CSS pixels. */
const PAD_LEFT = 10;
const PAD_TOP = 12;
/** Room under the plot for the time labels. */
const PAD_BOTTOM = 24;
/** At most one price tick per this many CSS pixels of height, one time tick per this many of width. */
const PRICE_TICK_SPACING = 42;
const TIME_TICK_SPACING = 96;
/** A hover finds the nearest point within this many CSS pixels of the cursor. */
export const HOVER_RADIUS = 8;

export class ScatterChart {
  readonly canvas: HTMLCanvasElement;
  readonly raster: PointsRaster;
  hover = -1;

  private readonly ctx: CanvasRenderingContext2D;
  private readonly store: PointStore;
  private readonly estimates: EstimateSeries;
  private theme: ChartTheme | null = null;
  private view: ScatterView = {
    t0: 0,
    t1: 1,
    range: null,
    estimate: null,
    blockWindowPrice: null,
    message: null,
  };
  private cssWidth = 0;
  private cssHeight = 0;
  private dpr = 1;
  private plot: Rect = { x: 0, y: 0, w: 0, h: 0 };
  private rasterKey = '';
  private grid: SpatialGrid | null = null;
  private gridKey = '';

  constructor(canvas: HTMLCanvasElement, store: PointStore, estimates: EstimateSeries) {
    const ctx = canvas.getContext('2d');
    if (ctx === null) throw new Error('this browser cannot draw on a canvas');
    this.canvas = canvas;
    this.ctx = ctx;
    this.store = store;
    this.estimates = estimates;
    this.raster = new PointsRaster(canvas.ownerDocument);
  }

  /** Sets the drawing size in CSS pixels and the device pixel ratio (backing store = size × ratio). */
  resize(cssWidth: number, cssHeight: number, dpr: number): void {
    const w = Math.max(1, Math.round(cssWidth * dpr));
    const h = Math.max(1, Math.round(cssHeight * dpr));
    this.cssWidth = cssWidth;
    this.cssHeight = cssHeight;
    this.dpr = dpr;
    if (this.canvas.width !== w) this.canvas.width = w;
    if (this.canvas.height !== h) this.canvas.height = h;
  }

  setTheme(theme: ChartTheme): void {
    this.theme = theme;
    this.rasterKey = '';
  }

  setView(view: ScatterView): void {
    this.view = view;
  }

  /** Forces the dots to be drawn again on the next draw (the benchmark's worst case). */
  invalidatePoints(): void {
    this.rasterKey = '';
  }

  /** Draws the whole chart; the dots layer only when the data, the view or the size changed. */
  draw(): void {
    const theme = this.theme;
    if (theme === null || this.cssWidth < 40 || this.cssHeight < 40) return;
    const ctx = this.ctx;
    const { range } = this.view;
    ctx.setTransform(this.dpr, 0, 0, this.dpr, 0, 0);
    ctx.fillStyle = theme.background;
    ctx.fillRect(0, 0, this.cssWidth, this.cssHeight);
    ctx.font = `${FONT_PX}px ${theme.font}`;
    ctx.textBaseline = 'middle';

    const plotH = Math.max(10, this.cssHeight - PAD_TOP - PAD_BOTTOM);
    const priceTicks =
      range === null
        ? null
        : niceTicks(range.low, range.high, Math.max(2, Math.floor(plotH / PRICE_TICK_SPACING)));
    let labelWidth = ctx.measureText(formatUsd(88_888)).width;
    if (priceTicks !== null) {
      for (const v of priceTicks.values)
        labelWidth = Math.max(labelWidth, ctx.measureText(formatUsdTick(v, priceTicks.step)).width);
    }
    const axisWidth = Math.ceil(labelWidth) + 22;
    this.plot = { x: PAD_LEFT, y: PAD_TOP, w: Math.max(10, this.cssWidth - PAD_LEFT - axisWidth), h: plotH };
    const plot = this.plot;

    if (range !== null) this.drawTimeAxis(theme);
    if (range !== null && priceTicks !== null) {
      this.drawPriceGrid(theme, range, priceTicks.values);
      this.drawPoints(theme, range);
      this.drawReference(theme, range);
      this.drawEstimateLine(theme, range);
      this.drawPriceLabels(theme, range, priceTicks.values, priceTicks.step);
      this.drawHover(theme);
    }
    ctx.strokeStyle = theme.axis;
    ctx.lineWidth = 1;
    ctx.strokeRect(plot.x + 0.5, plot.y + 0.5, plot.w - 1, plot.h - 1);
    if (this.view.message !== null) {
      ctx.fillStyle = theme.muted;
      ctx.font = `14px ${theme.font}`;
      ctx.textAlign = 'center';
      ctx.fillText(this.view.message, plot.x + plot.w / 2, plot.y + plot.h / 2);
      ctx.textAlign = 'left';
    }
  }

  /** The index of the point drawn nearest (x, y) (CSS pixels relative to the canvas), or -1. */
  pointAt(x: number, y: number): number {
    const key = this.rasterKey;
    if (key === '' || this.raster.count === 0) return -1;
    if (this.grid === null || this.gridKey !== key) {
      this.grid = new SpatialGrid(
        this.raster.screenX,
        this.raster.screenY,
        this.raster.count,
        this.plot.w,
        this.plot.h,
        HOVER_RADIUS,
      );
      this.gridKey = key;
    }
    return this.grid.nearest(x - this.plot.x, y - this.plot.y, HOVER_RADIUS);
  }

  /** Where point `i` is drawn, in CSS pixels relative to the canvas, or null when it is not in view. */
  pointPosition(i: number): { x: number; y: number } | null {
    if (i < 0 || i >= this.raster.count || this.rasterKey === '') return null;
    const x = this.raster.screenX[i];
    const y = this.raster.screenY[i];
    if (!(x >= 0 && x <= this.plot.w && y >= 0 && y <= this.plot.h)) return null;
    return { x: x + this.plot.x, y: y + this.plot.y };
  }

  /** The plot rectangle in CSS pixels relative to the canvas. */
  plotRect(): Rect {
    return { ...this.plot };
  }

  private xOf(t: number): number {
    return this.plot.x + ((t - this.view.t0) / (this.view.t1 - this.view.t0)) * this.plot.w;
  }

  private yOf(price: number, range: PriceRange): number {
    return this.plot.y + ((range.high - price) / (range.high - range.low)) * this.plot.h;
  }

  private drawTimeAxis(theme: ChartTheme): void {
    const ctx = this.ctx;
    const plot = this.plot;
    const { t0, t1 } = this.view;
    if (!(t1 > t0)) return;
    const offset = -new Date(t1 * 1000).getTimezoneOffset() * 60;
    const ticks = timeTicks(t0, t1, Math.max(2, Math.floor(plot.w / TIME_TICK_SPACING)), offset);
    ctx.strokeStyle = theme.grid;
    ctx.lineWidth = 1;
    ctx.beginPath();
    for (const t of ticks.values) {
      const x = Math.round(this.xOf(t)) + 0.5;
      ctx.moveTo(x, plot.y);
      ctx.lineTo(x, plot.y + plot.h);
    }
    ctx.stroke();
    ctx.fillStyle = theme.text;
    ctx.textAlign = 'center';
    for (const t of ticks.values) {
      const label = formatLocalTime(t, ticks.step < 60);
      const x = this.xOf(t);
      const half = ctx.measureText(label).width / 2;
      if (x - half < plot.x - 4 || x + half > plot.x + plot.w + 4) continue;
      ctx.fillText(label, x, plot.y + plot.h + PAD_BOTTOM / 2 + 1);
    }
    ctx.textAlign = 'left';
  }

  private drawPriceGrid(theme: ChartTheme, range: PriceRange, values: number[]): void {
    const ctx = this.ctx;
    const plot = this.plot;
    ctx.strokeStyle = theme.grid;
    ctx.lineWidth = 1;
    ctx.beginPath();
    for (const v of values) {
      const y = Math.round(this.yOf(v, range)) + 0.5;
      ctx.moveTo(plot.x, y);
      ctx.lineTo(plot.x + plot.w, y);
    }
    ctx.stroke();
  }

  private drawPoints(theme: ChartTheme, range: PriceRange): void {
    const plot = this.plot;
    const { t0, t1 } = this.view;
    const key = `${this.store.version}|${t0}|${t1}|${range.low}|${range.high}|${plot.w}x${plot.h}@${this.dpr}`;
    if (key !== this.rasterKey) {
      this.raster.render(
        this.store,
        { t0, t1, low: range.low, high: range.high, width: plot.w, height: plot.h, dpr: this.dpr },
        { sparse: theme.pointSparse, dense: theme.pointDense },
      );
      this.rasterKey = key;
    }
    const ctx = this.ctx;
    ctx.save();
    ctx.setTransform(1, 0, 0, 1, 0, 0);
    ctx.drawImage(this.raster.canvas, Math.round(plot.x * this.dpr), Math.round(plot.y * this.dpr));
    ctx.restore();
  }

  private drawReference(theme: ChartTheme, range: PriceRange): void {
    const price = this.view.blockWindowPrice;
    if (price === null) return;
    const ctx = this.ctx;
    const plot = this.plot;
    const y = this.yOf(price, range);
    if (y < plot.y || y > plot.y + plot.h) return;
    ctx.save();
    ctx.strokeStyle = theme.reference;
    ctx.lineWidth = 1.5;
    ctx.setLineDash([6, 4]);
    ctx.beginPath();
    ctx.moveTo(plot.x, Math.round(y) + 0.5);
    ctx.lineTo(plot.x + plot.w, Math.round(y) + 0.5);
    ctx.stroke();
    ctx.restore();
  }

  private drawEstimateLine(theme: ChartTheme, range: PriceRange): void {
    const ctx = this.ctx;
    const plot = this.plot;
    const est = this.estimates;
    if (est.length === 0) return;
    const { t0, t1 } = this.view;
    ctx.save();
    ctx.beginPath();
    ctx.rect(plot.x, plot.y, plot.w, plot.h);
    ctx.clip();
    ctx.beginPath();
    let pen = false;
    let lastX = Number.NEGATIVE_INFINITY;
    let lastY = 0;
    for (let i = 0; i < est.length; i++) {
      const t = est.time[i];
      const p = est.price[i];
      if (t < t0 && i + 1 < est.length && est.time[i + 1] < t0) continue;
      if (!(p > 0)) {
        pen = false;
        continue;
      }
      const x = this.xOf(t);
      const y = this.yOf(p, range);
      if (!pen) {
        ctx.moveTo(x, y);
        pen = true;
      } else if (Math.abs(x - lastX) >= 0.5 || Math.abs(y - lastY) >= 0.5) {
        ctx.lineTo(x, y);
      } else continue;
      lastX = x;
      lastY = y;
      if (t > t1) break;
    }
    // A single estimate still shows as a short stub at the right edge rather than nothing.
    if (est.length === 1 && est.price[0] > 0) ctx.lineTo(lastX + 0.01, lastY);
    ctx.lineJoin = 'round';
    ctx.lineCap = 'round';
    ctx.strokeStyle = theme.estimateHalo;
    ctx.lineWidth = 5;
    ctx.stroke();
    ctx.strokeStyle = theme.estimate;
    ctx.lineWidth = 2;
    ctx.stroke();
    ctx.restore();
  }

  private drawPriceLabels(theme: ChartTheme, range: PriceRange, values: number[], step: number): void {
    const ctx = this.ctx;
    const plot = this.plot;
    const axisX = plot.x + plot.w + 8;
    const tags: { y: number; text: string; fill: string; color: string; outline: boolean }[] = [];
    const { estimate, blockWindowPrice } = this.view;
    if (blockWindowPrice !== null) {
      const y = this.yOf(blockWindowPrice, range);
      const above = y < plot.y;
      const below = y > plot.y + plot.h;
      const text = `${above ? '▲ ' : below ? '▼ ' : ''}${formatUsd(blockWindowPrice)}`;
      tags.push({
        y: Math.min(plot.y + plot.h, Math.max(plot.y, y)),
        text,
        fill: theme.background,
        color: theme.reference,
        outline: true,
      });
    }
    if (estimate !== null) {
      const y = this.yOf(estimate, range);
      if (y >= plot.y && y <= plot.y + plot.h) {
        tags.push({
          y,
          text: formatUsd(estimate),
          fill: theme.estimate,
          color: theme.onAccent,
          outline: false,
        });
      }
    }
    // Two tags closer than a tag's height are pushed apart, the estimate winning its place.
    if (tags.length === 2 && Math.abs(tags[0].y - tags[1].y) < FONT_PX + 8) {
      tags[0].y = tags[1].y + (tags[0].y <= tags[1].y ? -1 : 1) * (FONT_PX + 8);
    }
    ctx.fillStyle = theme.text;
    ctx.textAlign = 'left';
    for (const v of values) {
      const y = this.yOf(v, range);
      if (tags.some((tag) => Math.abs(tag.y - y) < FONT_PX + 4)) continue;
      ctx.fillText(formatUsdTick(v, step), axisX, y);
    }
    ctx.font = `600 ${FONT_PX}px ${theme.font}`;
    for (const tag of tags) {
      const w = ctx.measureText(tag.text).width + 10;
      const h = FONT_PX + 7;
      const x = axisX - 5;
      const y = Math.round(tag.y - h / 2);
      ctx.beginPath();
      ctx.roundRect(x, y, w, h, 3);
      ctx.fillStyle = tag.fill;
      ctx.fill();
      if (tag.outline) {
        ctx.strokeStyle = tag.color;
        ctx.lineWidth = 1.25;
        ctx.stroke();
      }
      ctx.fillStyle = tag.color;
      ctx.fillText(tag.text, x + 5, tag.y + 0.5);
    }
    ctx.font = `${FONT_PX}px ${theme.font}`;
  }

  private drawHover(theme: ChartTheme): void {
    const pos = this.pointPosition(this.hover);
    if (pos === null) return;
    const ctx = this.ctx;
    const plot = this.plot;
    ctx.save();
    ctx.strokeStyle = theme.muted;
    ctx.lineWidth = 1;
    ctx.setLineDash([3, 3]);
    ctx.beginPath();
    ctx.moveTo(Math.round(pos.x) + 0.5, plot.y);
    ctx.lineTo(Math.round(pos.x) + 0.5, plot.y + plot.h);
    ctx.moveTo(plot.x, Math.round(pos.y) + 0.5);
    ctx.lineTo(plot.x + plot.w, Math.round(pos.y) + 0.5);
    ctx.stroke();
    ctx.setLineDash([]);
    ctx.strokeStyle = theme.hover;
    ctx.lineWidth = 2;
    ctx.beginPath();
    ctx.arc(pos.x, pos.y, 5, 0, Math.PI * 2);
    ctx.stroke();
    ctx.restore();
  }
}
