// The "why this price" panel: the window's histogram of candidate output amounts on a log scale
// (counts too, so the background shows beside the spikes),
// with the comb of round dollar amounts drawn where they fall at the estimated price. When the
// price is right, the comb's teeth stand on the histogram's spikes. In: a LiveHistogram and the
// estimated price. Out: pixels on the canvas.

import type { LiveHistogram } from '../src/live/feed.ts';
import { formatCount, formatRoundUsd, formatSatsDecade } from './format.ts';
import { occupiedRange } from './histogram-range.ts';
import type { ChartTheme } from './theme.ts';

const FONT_PX = 11;
const PAD_LEFT = 10;
const PAD_RIGHT = 10;
/** Room above the plot for the comb's dollar labels and below it for the amount axis. */
const PAD_TOP = 28;
const PAD_BOTTOM = 24;
/** Comb labels closer than this many CSS pixels to an already drawn one are left out. */
const LABEL_GAP = 8;
/** Teeth lighter than this share of the heaviest tooth are drawn but not labelled. */
const LABEL_MIN_WEIGHT = 0.15;
/** Empty bins kept on each side of the occupied range, so the outermost spikes do not touch the frame. */
const MARGIN_BINS = 10;

export class HistogramChart {
  readonly canvas: HTMLCanvasElement;
  private readonly ctx: CanvasRenderingContext2D;
  private theme: ChartTheme | null = null;
  private histogram: LiveHistogram | null = null;
  private price: number | null = null;
  private cssWidth = 0;
  private cssHeight = 0;
  private dpr = 1;

  constructor(canvas: HTMLCanvasElement) {
    const ctx = canvas.getContext('2d');
    if (ctx === null) throw new Error('this browser cannot draw on a canvas');
    this.canvas = canvas;
    this.ctx = ctx;
  }

  resize(cssWidth: number, cssHeight: number, dpr: number): void {
    this.cssWidth = cssWidth;
    this.cssHeight = cssHeight;
    this.dpr = dpr;
    const w = Math.max(1, Math.round(cssWidth * dpr));
    const h = Math.max(1, Math.round(cssHeight * dpr));
    if (this.canvas.width !== w) this.canvas.width = w;
    if (this.canvas.height !== h) this.canvas.height = h;
  }

  setTheme(theme: ChartTheme): void {
    this.theme = theme;
  }

  setData(histogram: LiveHistogram | null, price: number | null): void {
    this.histogram = histogram;
    this.price = price;
  }

  /** The number of non-empty bins drawn on the last draw (0 when there was nothing to draw). */
  drawnBins = 0;

  draw(): void {
    const theme = this.theme;
    if (theme === null || this.cssWidth < 40 || this.cssHeight < 40) return;
    const ctx = this.ctx;
    ctx.setTransform(this.dpr, 0, 0, this.dpr, 0, 0);
    ctx.fillStyle = theme.background;
    ctx.fillRect(0, 0, this.cssWidth, this.cssHeight);
    ctx.font = `${FONT_PX}px ${theme.font}`;
    ctx.textBaseline = 'middle';
    const plot = {
      x: PAD_LEFT,
      y: PAD_TOP,
      w: this.cssWidth - PAD_LEFT - PAD_RIGHT,
      h: this.cssHeight - PAD_TOP - PAD_BOTTOM,
    };
    this.drawnBins = 0;
    const hist = this.histogram;
    const counts = hist?.counts ?? [];
    let [first, last] = occupiedRange(counts);
    if (hist === null || first < 0 || !(hist.binsPerDecade > 0)) {
      ctx.fillStyle = theme.muted;
      ctx.textAlign = 'center';
      ctx.font = `14px ${theme.font}`;
      ctx.fillText(
        'No histogram yet: waiting for candidate outputs',
        plot.x + plot.w / 2,
        plot.y + plot.h / 2,
      );
      ctx.textAlign = 'left';
      return;
    }
    first = Math.max(0, first - MARGIN_BINS);
    last = Math.min(counts.length - 1, last + MARGIN_BINS);
    const perDecade = hist.binsPerDecade;
    const lo = hist.firstLog10Sats + first / perDecade;
    const hi = hist.firstLog10Sats + (last + 1) / perDecade;
    const xOf = (log10Sats: number): number => plot.x + ((log10Sats - lo) / (hi - lo)) * plot.w;
    let max = 0;
    for (let i = first; i <= last; i++) max = Math.max(max, counts[i]);

    // Decade grid and labels.
    ctx.strokeStyle = theme.grid;
    ctx.lineWidth = 1;
    ctx.fillStyle = theme.text;
    ctx.textAlign = 'center';
    ctx.beginPath();
    for (let d = Math.ceil(lo); d <= Math.floor(hi); d++) {
      const x = Math.round(xOf(d)) + 0.5;
      ctx.moveTo(x, plot.y);
      ctx.lineTo(x, plot.y + plot.h);
    }
    ctx.stroke();
    let labelEnd = Number.NEGATIVE_INFINITY;
    for (let d = Math.ceil(lo); d <= Math.floor(hi); d++) {
      const label = formatSatsDecade(d);
      const half = ctx.measureText(label).width / 2;
      const x = xOf(d);
      if (x - half < 0 || x + half > this.cssWidth || x - half < labelEnd + LABEL_GAP) continue;
      labelEnd = x + half;
      ctx.fillText(label, x, plot.y + plot.h + PAD_BOTTOM / 2 + 1);
    }

    // The comb at the estimated price: faint lines behind the bars, markers and labels on top.
    const price = this.price;
    const teeth =
      price !== null && price > 0 && hist.comb.length > 0
        ? hist.comb
            .map((t) => ({
              ...t,
              x: xOf(Math.log10((t.usd / price) * 1e8)),
              share: t.weight / Math.max(...hist.comb.map((c) => c.weight)),
            }))
            .filter((t) => t.x >= plot.x && t.x <= plot.x + plot.w)
        : [];
    ctx.save();
    ctx.strokeStyle = theme.comb;
    ctx.lineWidth = 1;
    for (const t of teeth) {
      ctx.globalAlpha = 0.2 + 0.35 * t.share;
      ctx.beginPath();
      ctx.moveTo(Math.round(t.x) + 0.5, plot.y);
      ctx.lineTo(Math.round(t.x) + 0.5, plot.y + plot.h);
      ctx.stroke();
    }
    ctx.restore();

    // Bars: the tallest bin per device pixel column, filled as one shape.
    const columns = Math.max(1, Math.round(plot.w * this.dpr));
    const heights = new Float64Array(columns);
    for (let i = first; i <= last; i++) {
      const c = counts[i];
      if (!(c > 0)) continue;
      this.drawnBins++;
      const x0 = Math.floor(((i - first) / (last - first + 1)) * columns);
      const x1 = Math.max(x0 + 1, Math.floor(((i - first + 1) / (last - first + 1)) * columns));
      for (let x = x0; x < x1 && x < columns; x++) if (c > heights[x]) heights[x] = c;
    }
    // Counts on a log scale (log of 1 + count): the round-amount spikes and the background both show.
    const top = Math.log1p(max);
    ctx.beginPath();
    ctx.moveTo(plot.x, plot.y + plot.h);
    for (let x = 0; x < columns; x++) {
      const y = plot.y + plot.h - (Math.log1p(heights[x]) / top) * (plot.h - 2);
      ctx.lineTo(plot.x + x / this.dpr, y);
      ctx.lineTo(plot.x + (x + 1) / this.dpr, y);
    }
    ctx.lineTo(plot.x + plot.w, plot.y + plot.h);
    ctx.closePath();
    ctx.fillStyle = theme.histogram;
    ctx.fill();

    if (teeth.length > 0) {
      ctx.save();
      ctx.fillStyle = theme.comb;
      for (const t of teeth) {
        ctx.globalAlpha = 0.45 + 0.55 * t.share;
        const half = t.share >= LABEL_MIN_WEIGHT ? 4.5 : 3;
        ctx.beginPath();
        ctx.moveTo(t.x - half, plot.y - half - 1);
        ctx.lineTo(t.x + half, plot.y - half - 1);
        ctx.lineTo(t.x, plot.y);
        ctx.closePath();
        ctx.fill();
      }
      ctx.restore();
      ctx.fillStyle = theme.comb;
      ctx.font = `600 ${FONT_PX}px ${theme.font}`;
      const placed: { x0: number; x1: number }[] = [];
      for (const t of [...teeth].sort((a, b) => b.weight - a.weight)) {
        if (t.share < LABEL_MIN_WEIGHT) break;
        const label = formatRoundUsd(t.usd);
        const half = ctx.measureText(label).width / 2;
        const span = { x0: t.x - half - LABEL_GAP / 2, x1: t.x + half + LABEL_GAP / 2 };
        if (span.x0 < 0 || span.x1 > this.cssWidth) continue;
        if (placed.some((p) => span.x0 < p.x1 && span.x1 > p.x0)) continue;
        placed.push(span);
        ctx.fillText(label, t.x, 10);
      }
    }
    // The scale note goes top right, where the largest (rarest) amounts leave the plot empty.
    ctx.textAlign = 'right';
    ctx.font = `${FONT_PX}px ${theme.font}`;
    ctx.fillStyle = theme.muted;
    ctx.fillText(`outputs per bin, log scale (peak ${formatCount(max)})`, plot.x + plot.w - 6, plot.y + 10);
    ctx.textAlign = 'left';
    ctx.strokeStyle = theme.axis;
    ctx.lineWidth = 1;
    ctx.strokeRect(plot.x + 0.5, plot.y + 0.5, plot.w - 1, plot.h - 1);
  }
}
