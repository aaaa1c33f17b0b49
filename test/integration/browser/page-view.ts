// Types for code that runs inside the page (page.evaluate / waitForFunction callbacks), so the tests
// type-check under the Node configuration, which has no DOM library: the few DOM members they touch
// and the part of the page's App (web/app.ts, exported by web/main.ts) they read. Types only.

export interface PageElement {
  dataset: Record<string, string | undefined>;
  textContent: string | null;
  getAttribute(name: string): string | null;
  getBoundingClientRect(): { width: number; height: number };
}

export interface PageCanvas extends PageElement {
  width: number;
  height: number;
  getContext(kind: '2d'): {
    getImageData(x: number, y: number, w: number, h: number): { data: Uint8ClampedArray };
  } | null;
}

export interface PageDocument {
  getElementById(id: string): PageElement | null;
}

/** What the tests and the benchmark use of web/app.ts's App. */
export interface PageApp {
  store: {
    length: number;
    version: number;
    time: Float64Array;
    price: Float64Array;
    usd: Float32Array;
    clear(): void;
    append(points: { timestamp: number; price: number; usd: number }[]): number;
  };
  estimates: { length: number; clear(): void; append(time: number, price: number | null): void };
  scatter: {
    canvas: PageCanvas;
    hover: number;
    raster: { visible: number; count: number };
    pointPosition(i: number): { x: number; y: number } | null;
    plotRect(): { x: number; y: number; w: number; h: number };
    invalidatePoints(): void;
    draw(): void;
  };
  histogram: { canvas: PageCanvas; drawnBins: number };
  connection: { stop(): void };
  render(): void;
}
