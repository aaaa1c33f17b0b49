// Draws up to hundreds of thousands of evidence points in one pass: each point stamps a small
// anti-aliased disc into a density buffer (typed arrays, no canvas call per point), the buffer is
// coloured through a lookup table (faint where points are few, bright where they pile up) and
// lands on an offscreen canvas with one putImageData. Only pixels a point touched are visited.
// In: the points, the visible time and price ranges, the plot size in CSS pixels and the device
// pixel ratio. Out: a canvas layer the size of the plot, and every point's position in CSS pixels
// (relative to the plot) for hit-testing.

import type { Rgb } from './color.ts';
import { mix } from './color.ts';
import type { PointStore } from './point-store.ts';

export interface RasterView {
  t0: number;
  t1: number;
  low: number;
  high: number;
  /** Plot size in CSS pixels. */
  width: number;
  height: number;
  dpr: number;
}

export interface PointColors {
  /** A lone point. */
  sparse: Rgb;
  /** Where many points overlap. */
  dense: Rgb;
}

/** Dot radius in CSS pixels: 1.5 gives a 3-pixel dot, visible alone yet small enough for dense clouds. */
const POINT_RADIUS_CSS = 1.5;
/** Density units per fully covered pixel of one point (coverage is stored as an integer). */
const UNIT = 16;
/** Opacity of one lone point's centre is 1 - e^-GAIN (about 0.75): visible, yet overlaps still add up. */
const ALPHA_GAIN = 1.4;
/** About this many overlapping points turn a pixel from the sparse colour to roughly 2/3 of the dense one. */
const DENSE_POINTS = 12;
/** Densities above this many points per pixel all get the last colour of the table. */
const LUT_POINTS = 256;

const LITTLE_ENDIAN = new Uint8Array(new Uint32Array([1]).buffer)[0] === 1;

export class PointsRaster {
  readonly canvas: HTMLCanvasElement;
  /** Each point's position in CSS pixels relative to the plot's top-left corner (valid for 0..count-1). */
  screenX = new Float32Array(0);
  screenY = new Float32Array(0);
  count = 0;
  /** How many points fell inside the plot on the last render. */
  visible = 0;

  private readonly ctx: CanvasRenderingContext2D;
  private widthPx = 0;
  private heightPx = 0;
  private image: ImageData | null = null;
  private pixels = new Uint32Array(0);
  private density = new Uint16Array(0);
  private touched = new Int32Array(0);
  private touchedCount = 0;
  private touchedOverflow = false;
  private lut = new Uint32Array(0);
  private lutKey = '';
  private stampDpr = 0;
  private stampDx = new Int32Array(0);
  private stampDy = new Int32Array(0);
  private stampWeight = new Uint16Array(0);
  private stampReach = 0;

  constructor(doc: Document) {
    this.canvas = doc.createElement('canvas');
    const ctx = this.canvas.getContext('2d');
    if (ctx === null) throw new Error('this browser cannot draw on a canvas');
    this.ctx = ctx;
  }

  render(store: PointStore, view: RasterView, colors: PointColors): void {
    const w = Math.max(1, Math.round(view.width * view.dpr));
    const h = Math.max(1, Math.round(view.height * view.dpr));
    this.ensureSize(w, h);
    this.ensureStamp(view.dpr);
    this.ensureLut(colors);
    this.clearPrevious();
    if (this.screenX.length < store.capacity) {
      this.screenX = new Float32Array(store.capacity);
      this.screenY = new Float32Array(store.capacity);
    }

    const { time, price } = store;
    const n = store.length;
    const kx = w / (view.t1 - view.t0);
    const ky = h / (view.high - view.low);
    const reach = this.stampReach;
    const invDpr = 1 / view.dpr;
    const density = this.density;
    const touched = this.touched;
    const touchedCap = touched.length;
    const dx = this.stampDx;
    const dy = this.stampDy;
    const weight = this.stampWeight;
    const stampSize = weight.length;
    let touchedCount = 0;
    let overflow = false;
    let visible = 0;

    for (let i = 0; i < n; i++) {
      const x = (time[i] - view.t0) * kx;
      const y = (view.high - price[i]) * ky;
      this.screenX[i] = x * invDpr;
      this.screenY[i] = y * invDpr;
      if (!(x >= 0 && x < w && y >= 0 && y < h)) continue;
      visible++;
      const cx = x | 0;
      const cy = y | 0;
      const interior = cx >= reach && cx < w - reach && cy >= reach && cy < h - reach;
      const base = cy * w + cx;
      for (let s = 0; s < stampSize; s++) {
        if (!interior) {
          const px = cx + dx[s];
          const py = cy + dy[s];
          if (px < 0 || px >= w || py < 0 || py >= h) continue;
        }
        const idx = base + dy[s] * w + dx[s];
        const v = density[idx];
        if (v === 0) {
          if (touchedCount < touchedCap) touched[touchedCount++] = idx;
          else overflow = true;
        }
        const next = v + weight[s];
        density[idx] = Math.min(next, 65535);
      }
    }

    const pixels = this.pixels;
    const lut = this.lut;
    const lutMax = lut.length - 1;
    if (overflow) {
      for (let idx = 0; idx < density.length; idx++) {
        const v = density[idx];
        if (v === 0) continue;
        pixels[idx] = lut[Math.min(v, lutMax)];
        density[idx] = 0;
      }
    } else {
      for (let k = 0; k < touchedCount; k++) {
        const idx = touched[k];
        const v = density[idx];
        pixels[idx] = lut[Math.min(v, lutMax)];
        density[idx] = 0;
      }
    }
    this.touchedCount = touchedCount;
    this.touchedOverflow = overflow;
    this.count = n;
    this.visible = visible;
    if (this.image !== null) this.ctx.putImageData(this.image, 0, 0);
  }

  private ensureSize(w: number, h: number): void {
    if (w === this.widthPx && h === this.heightPx && this.image !== null) return;
    this.widthPx = w;
    this.heightPx = h;
    this.canvas.width = w;
    this.canvas.height = h;
    this.image = this.ctx.createImageData(w, h);
    this.pixels = new Uint32Array(this.image.data.buffer);
    this.density = new Uint16Array(w * h);
    // The touched list rarely needs more than a quarter of the plot; past that a full scan is as cheap.
    this.touched = new Int32Array(Math.ceil((w * h) / 4));
    this.touchedCount = 0;
    this.touchedOverflow = false;
  }

  private clearPrevious(): void {
    if (this.touchedOverflow) this.pixels.fill(0);
    else for (let k = 0; k < this.touchedCount; k++) this.pixels[this.touched[k]] = 0;
    this.touchedCount = 0;
    this.touchedOverflow = false;
  }

  /** The disc one point stamps: pixel offsets around its centre and how much of each it covers. */
  private ensureStamp(dpr: number): void {
    if (dpr === this.stampDpr) return;
    this.stampDpr = dpr;
    const radius = POINT_RADIUS_CSS * dpr;
    const reach = Math.ceil(radius + 0.5);
    const dxs: number[] = [];
    const dys: number[] = [];
    const ws: number[] = [];
    for (let y = -reach; y <= reach; y++) {
      for (let x = -reach; x <= reach; x++) {
        const coverage = Math.min(1, Math.max(0, radius + 0.5 - Math.hypot(x, y)));
        const w = Math.round(coverage * UNIT);
        if (w === 0) continue;
        dxs.push(x);
        dys.push(y);
        ws.push(w);
      }
    }
    this.stampDx = Int32Array.from(dxs);
    this.stampDy = Int32Array.from(dys);
    this.stampWeight = Uint16Array.from(ws);
    this.stampReach = reach;
  }

  /** Density → one packed RGBA pixel, in the byte order of this machine's Uint32Array view of ImageData. */
  private ensureLut(colors: PointColors): void {
    const key = `${colors.sparse.r},${colors.sparse.g},${colors.sparse.b}/${colors.dense.r},${colors.dense.g},${colors.dense.b}`;
    if (key === this.lutKey) return;
    this.lutKey = key;
    const size = LUT_POINTS * UNIT + 1;
    this.lut = new Uint32Array(size);
    for (let v = 1; v < size; v++) {
      const points = v / UNIT;
      const alpha = Math.round(255 * (1 - Math.exp(-points * ALPHA_GAIN)));
      const c = mix(colors.sparse, colors.dense, 1 - Math.exp(-points / DENSE_POINTS));
      this.lut[v] = LITTLE_ENDIAN
        ? ((alpha << 24) | (c.b << 16) | (c.g << 8) | c.r) >>> 0
        : ((c.r << 24) | (c.g << 16) | (c.b << 8) | alpha) >>> 0;
    }
  }
}
