// The chart colours, read from the page's CSS custom properties (style.css defines a light and a
// dark set), so canvas drawings follow the same theme as the HTML around them. In: the document.
// Out: a ChartTheme.

import type { Rgb } from './color.ts';
import { parseColor } from './color.ts';

export interface ChartTheme {
  background: string;
  grid: string;
  axis: string;
  text: string;
  muted: string;
  pointSparse: Rgb;
  pointDense: Rgb;
  hover: string;
  estimate: string;
  estimateHalo: string;
  reference: string;
  onAccent: string;
  histogram: string;
  comb: string;
  font: string;
}

const FALLBACK_POINT: Rgb = { r: 56, g: 132, b: 255 };

export function readTheme(doc: Document): ChartTheme {
  const style = getComputedStyle(doc.documentElement);
  const v = (name: string, fallback: string): string => style.getPropertyValue(name).trim() || fallback;
  return {
    background: v('--chart-bg', '#ffffff'),
    grid: v('--chart-grid', '#e6e8eb'),
    axis: v('--chart-axis', '#c4c9d0'),
    text: v('--chart-text', '#3b4452'),
    muted: v('--chart-muted', '#6b7480'),
    pointSparse: parseColor(v('--chart-point', '#3884ff')) ?? FALLBACK_POINT,
    pointDense: parseColor(v('--chart-point-dense', '#0b3d91')) ?? FALLBACK_POINT,
    hover: v('--chart-hover', '#111111'),
    estimate: v('--chart-estimate', '#e8590c'),
    estimateHalo: v('--chart-estimate-halo', 'rgba(255,255,255,0.85)'),
    reference: v('--chart-reference', '#2b8a3e'),
    onAccent: v('--chart-on-accent', '#ffffff'),
    histogram: v('--chart-histogram', '#7b8794'),
    comb: v('--chart-comb', '#e8590c'),
    font: v('--chart-font', 'system-ui, sans-serif'),
  };
}
