// The evidence tooltip: for one point, the price it implies, when it was seen (local time and
// UTC), the round dollar amount it matched and the output's size. In: the point and where it is
// drawn. Out: the tooltip element's content and position, kept inside the chart.

import { formatLocalDateTime, formatRoundUsd, formatSats, formatUsd, formatUtcDateTime } from './format.ts';

export interface TooltipPoint {
  timestamp: number;
  price: number;
  usd: number;
}

/** Distance in CSS pixels between the point and the tooltip's nearest corner. */
const OFFSET = 14;

export class Tooltip {
  private readonly el: HTMLElement;

  constructor(el: HTMLElement) {
    this.el = el;
  }

  show(point: TooltipPoint, x: number, y: number, bounds: { width: number; height: number }): void {
    const el = this.el;
    el.replaceChildren(
      line('tt-price', formatUsd(point.price)),
      row('Matched', point.usd > 0 ? `${formatRoundUsd(point.usd)} payment` : 'unknown amount'),
      row('Output', point.usd > 0 ? formatSats((point.usd / point.price) * 1e8) : '—'),
      row('Seen', formatLocalDateTime(point.timestamp)),
      line('tt-row', formatUtcDateTime(point.timestamp)),
    );
    el.hidden = false;
    const w = el.offsetWidth;
    const h = el.offsetHeight;
    let left = x + OFFSET;
    if (left + w > bounds.width) left = x - OFFSET - w;
    let top = y - OFFSET - h;
    if (top < 0) top = y + OFFSET;
    el.style.left = `${Math.max(0, Math.min(bounds.width - w, left))}px`;
    el.style.top = `${Math.max(0, Math.min(bounds.height - h, top))}px`;
  }

  hide(): void {
    this.el.hidden = true;
  }

  get visible(): boolean {
    return !this.el.hidden;
  }
}

function line(className: string, text: string): HTMLElement {
  const div = document.createElement('div');
  div.className = className;
  div.textContent = text;
  return div;
}

function row(label: string, value: string): HTMLElement {
  const div = document.createElement('div');
  div.className = 'tt-row';
  const strong = document.createElement('strong');
  strong.textContent = value;
  div.append(`${label} `, strong);
  return div;
}
