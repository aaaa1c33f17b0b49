// Hover hit-testing for many points: a uniform grid over the plot, each cell listing the points
// drawn in it (counting sort into flat Int32Arrays, no object per point). In: the points' screen
// positions (CSS pixels). Out: the index of the nearest point within a radius, in time proportional
// to the points near the cursor rather than to all points. Pure.

export class SpatialGrid {
  private readonly cellSize: number;
  private readonly columns: number;
  private readonly rows: number;
  private readonly cellStart: Int32Array;
  private readonly items: Int32Array;
  private readonly xs: Float32Array;
  private readonly ys: Float32Array;

  /**
   * Indexes points 0..count-1 at (xs[i], ys[i]) inside a width × height area; points outside it
   * (or NaN) are left out. `cellSize` should be about the hover radius.
   */
  constructor(
    xs: Float32Array,
    ys: Float32Array,
    count: number,
    width: number,
    height: number,
    cellSize: number,
  ) {
    this.xs = xs;
    this.ys = ys;
    this.cellSize = cellSize;
    this.columns = Math.max(1, Math.ceil(width / cellSize));
    this.rows = Math.max(1, Math.ceil(height / cellSize));
    const cells = this.columns * this.rows;
    const cellOf = new Int32Array(count);
    const counts = new Int32Array(cells + 1);
    for (let i = 0; i < count; i++) {
      const x = xs[i];
      const y = ys[i];
      if (!(x >= 0 && x < width && y >= 0 && y < height)) {
        cellOf[i] = -1;
        continue;
      }
      const cell = Math.floor(y / cellSize) * this.columns + Math.floor(x / cellSize);
      cellOf[i] = cell;
      counts[cell + 1]++;
    }
    for (let c = 0; c < cells; c++) counts[c + 1] += counts[c];
    this.cellStart = counts;
    const cursor = counts.slice(0, cells);
    this.items = new Int32Array(counts[cells]);
    for (let i = 0; i < count; i++) {
      const cell = cellOf[i];
      if (cell >= 0) this.items[cursor[cell]++] = i;
    }
  }

  /** The index of the point nearest (x, y) within `radius`, preferring the newest on ties; -1 if none. */
  nearest(x: number, y: number, radius: number): number {
    const r2 = radius * radius;
    let best = -1;
    let bestD2 = r2;
    const c0 = Math.max(0, Math.floor((x - radius) / this.cellSize));
    const c1 = Math.min(this.columns - 1, Math.floor((x + radius) / this.cellSize));
    const r0 = Math.max(0, Math.floor((y - radius) / this.cellSize));
    const r1 = Math.min(this.rows - 1, Math.floor((y + radius) / this.cellSize));
    for (let row = r0; row <= r1; row++) {
      for (let col = c0; col <= c1; col++) {
        const cell = row * this.columns + col;
        for (let k = this.cellStart[cell]; k < this.cellStart[cell + 1]; k++) {
          const i = this.items[k];
          const dx = this.xs[i] - x;
          const dy = this.ys[i] - y;
          const d2 = dx * dx + dy * dy;
          if (d2 < bestD2 || (d2 === bestD2 && i > best)) {
            bestD2 = d2;
            best = i;
          }
        }
      }
    }
    return best;
  }
}
