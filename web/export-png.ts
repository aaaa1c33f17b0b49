// "Save chart as PNG": the evidence chart as drawn (at the screen's pixel density) under a header
// line saying what it is: the price, when, and the source. In: the chart canvas and that text.
// Out: a PNG file download named after the time.

import type { ChartTheme } from './theme.ts';

/** Height of the header band above the chart in the PNG, CSS pixels. */
const HEADER_PX = 34;

export function composeExport(
  chart: HTMLCanvasElement,
  dpr: number,
  theme: ChartTheme,
  header: string,
): HTMLCanvasElement {
  const out = chart.ownerDocument.createElement('canvas');
  out.width = chart.width;
  out.height = chart.height + Math.round(HEADER_PX * dpr);
  const ctx = out.getContext('2d');
  if (ctx === null) throw new Error('this browser cannot draw on a canvas');
  ctx.fillStyle = theme.background;
  ctx.fillRect(0, 0, out.width, out.height);
  ctx.drawImage(chart, 0, Math.round(HEADER_PX * dpr));
  ctx.setTransform(dpr, 0, 0, dpr, 0, 0);
  ctx.fillStyle = theme.text;
  ctx.font = `600 13px ${theme.font}`;
  ctx.textBaseline = 'middle';
  ctx.fillText(header, 12, HEADER_PX / 2 + 2);
  return out;
}

export async function downloadPng(canvas: HTMLCanvasElement, filename: string): Promise<void> {
  const blob = await new Promise<Blob | null>((resolve) => canvas.toBlob(resolve, 'image/png'));
  if (blob === null) throw new Error('the browser could not encode the chart as PNG');
  const url = URL.createObjectURL(blob);
  const a = canvas.ownerDocument.createElement('a');
  a.href = url;
  a.download = filename;
  a.rel = 'noopener';
  canvas.ownerDocument.body.append(a);
  a.click();
  a.remove();
  setTimeout(() => URL.revokeObjectURL(url), 10_000);
}

/** "chainprice-2025-11-25T14-05Z.png". */
export function exportFilename(unixSeconds: number): string {
  const iso = new Date(unixSeconds * 1000).toISOString().slice(0, 16).replace(':', '-');
  return `chainprice-${iso}Z.png`;
}
