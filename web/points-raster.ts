// Draws up to hundreds of thousands of evidence points in one pass: each point stamps a small
// anti-aliased disc into a density buffer (typed arrays, no canvas call per point), the buffer is
// coloured through a lookup table (faint where points are few, bright where they pile up) and
// lands on an offscreen canvas with one putImageData. Only the rows the points reached are visited.
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
  private density = new Uint32Array(0);
  private dirtyFrom = 0;
  private dirtyTo = 0;
  private offsets = new Int32Array(0);
  private offsetsWidth = -1;
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
    const offsets = this.stampOffsets(w);
    const dx = this.stampDx;
    const dy = this.stampDy;
    const weight = this.stampWeight;
    const stampSize = weight.length;
    const sx = this.screenX;
    const sy = this.screenY;
    const t0 = view.t0;
    const high = view.high;
    let minRow = h;
    let maxRow = -1;
    let visible = 0;

    for (let i = 0; i < n; i++) {
      const x = (time[i] - t0) * kx;
      const y = (high - price[i]) * ky;
      sx[i] = x * invDpr;
      sy[i] = y * invDpr;
      if (!(x >= 0 && x < w && y >= 0 && y < h)) continue;
      visible++;
      const cx = x | 0;
      const cy = y | 0;
      if (cy < minRow) minRow = cy;
      if (cy > maxRow) maxRow = cy;
      const base = cy * w + cx;
      if (cx >= reach && cx < w - reach && cy >= reach && cy < h - reach) {
        for (let s = 0; s < stampSize; s++) {
          const idx = base + offsets[s];
          density[idx] += weight[s];
        }
      } else {
        for (let s = 0; s < stampSize; s++) {
          const px = cx + dx[s];
          const py = cy + dy[s];
          if (px >= 0 && px < w && py >= 0 && py < h) density[base + offsets[s]] += weight[s];
        }
      }
    }

    // Only the rows the dots reached (plus the stamp's reach) are coloured, and cleared next time.
    const pixels = this.pixels;
    const lut = this.lut;
    const lutMax = lut.length - 1;
    const from = Math.max(0, minRow - reach) * w;
    const to = Math.min(h, maxRow + reach + 1) * w;
    for (let idx = from; idx < to; idx++) {
      const v = density[idx];
      if (v === 0) continue;
      pixels[idx] = lut[Math.min(v, lutMax)];
      density[idx] = 0;
    }
    this.dirtyFrom = from;
    this.dirtyTo = Math.max(from, to);
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
    // Densities add up in 32 bits: no overflow even with every point on one pixel.
    this.density = new Uint32Array(w * h);
    this.dirtyFrom = 0;
    this.dirtyTo = 0;
  }

  private clearPrevious(): void {
    if (this.dirtyTo > this.dirtyFrom) this.pixels.fill(0, this.dirtyFrom, this.dirtyTo);
    this.dirtyFrom = 0;
    this.dirtyTo = 0;
  }

  /** The stamp's pixel offsets as flat indexes for a buffer `w` pixels wide. */
  private stampOffsets(w: number): Int32Array {
    if (this.offsetsWidth !== w || this.offsets.length !== this.stampDx.length) {
      this.offsets = new Int32Array(this.stampDx.length);
      for (let s = 0; s < this.offsets.length; s++) this.offsets[s] = this.stampDy[s] * w + this.stampDx[s];
      this.offsetsWidth = w;
    }
    return this.offsets;
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
    this.offsetsWidth = -1;
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
