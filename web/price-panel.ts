// The top of the page in words: the price (large), its confidence as a meter and in words, the
// confirmed-block price, the source badge and demo banner, the connection state, window counts,
// and the polite screen-reader announcements. In: the latest price message and connection state.
// Out: DOM text and attributes only (no drawing).

import type { PriceMessage } from '../src/server/protocol.ts';
import { type Announced, shouldAnnounce } from './announce-policy.ts';
import { confidenceLevel, confidenceWords } from './confidence.ts';
import type { ConnectionState } from './connection.ts';
import { formatAge, formatCount, formatDuration, formatLocalDateTime, formatUsd } from './format.ts';

function byId<T extends HTMLElement>(doc: Document, id: string): T {
  const el = doc.getElementById(id);
  if (el === null) throw new Error(`the page is missing #${id}`);
  return el as T;
}

export class PricePanel {
  private readonly doc: Document;
  private readonly price: HTMLElement;
  private readonly meter: HTMLMeterElement;
  private readonly words: HTMLElement;
  private readonly reason: HTMLElement;
  private readonly blockWindow: HTMLElement;
  private readonly blockWindowDiff: HTMLElement;
  private readonly inWindow: HTMLElement;
  private readonly received: HTMLElement;
  private readonly updated: HTMLElement;
  private readonly uptime: HTMLElement;
  private readonly badge: HTMLElement;
  private readonly demoBanner: HTMLElement;
  private readonly accessBanner: HTMLElement;
  private readonly sourceNotice: HTMLElement;
  private readonly connection: HTMLElement;
  private readonly connectionText: HTMLElement;
  private readonly announcer: HTMLElement;
  private last: PriceMessage | null = null;
  private lastAtMs = 0;
  private announced: Announced | null = null;
  private state: ConnectionState = { kind: 'connecting' };

  constructor(doc: Document) {
    this.doc = doc;
    this.price = byId(doc, 'price');
    this.meter = byId<HTMLMeterElement>(doc, 'confidence-meter');
    this.words = byId(doc, 'confidence-words');
    this.reason = byId(doc, 'reason');
    this.blockWindow = byId(doc, 'block-window');
    this.blockWindowDiff = byId(doc, 'block-window-diff');
    this.inWindow = byId(doc, 'in-window');
    this.received = byId(doc, 'received');
    this.updated = byId(doc, 'updated');
    this.uptime = byId(doc, 'uptime');
    this.badge = byId(doc, 'source-badge');
    this.demoBanner = byId(doc, 'demo-banner');
    this.accessBanner = byId(doc, 'access-banner');
    this.sourceNotice = byId(doc, 'source-notice');
    this.connection = byId(doc, 'connection');
    this.connectionText = byId(doc, 'connection-text');
    this.announcer = byId(doc, 'announcer');
  }

  showMessage(message: PriceMessage, nowMs: number): void {
    this.last = message;
    this.lastAtMs = nowMs;
    const { price, confidence } = message;
    const level = confidenceLevel(confidence);
    setText(this.price, price === null ? 'No estimate yet' : formatUsd(price));
    this.price.dataset.state = price === null ? 'empty' : this.state.kind === 'live' ? 'live' : 'stale';
    this.meter.value = price === null ? 0 : Math.min(1, Math.max(0, confidence));
    setText(
      this.words,
      price === null ? 'confidence: —' : `${confidenceWords(confidence)} (${Math.round(confidence * 100)} %)`,
    );
    this.words.dataset.level = price === null ? 'none' : level;
    const reason = price === null ? (message.reason ?? 'Waiting for enough payment outputs.') : null;
    this.reason.hidden = reason === null;
    if (reason !== null) setText(this.reason, reason);

    const bw = message.block_window_price;
    setText(this.blockWindow, bw === null ? '—' : formatUsd(bw));
    setText(
      this.blockWindowDiff,
      bw !== null && price !== null
        ? `live is ${signedPercent(price / bw - 1)} from it`
        : bw === null
          ? 'not priced yet'
          : '',
    );
    setText(this.inWindow, formatCount(message.stats.active_in_window));
    setText(
      this.received,
      `${formatCount(message.stats.total_received)} transactions seen, ${formatCount(message.stats.total_filtered)} filtered out`,
    );
    setText(this.uptime, `up ${formatDuration(message.stats.uptime_seconds)}`);
    this.showSource(message.source);
    this.tick(nowMs);

    const title = price === null ? 'chainprice' : `${formatUsd(price)} · chainprice`;
    if (this.doc.title !== title) this.doc.title = title;
    if (shouldAnnounce(this.announced, price, nowMs) && price !== null) {
      this.announced = { price, atMs: nowMs };
      setText(this.announcer, `Estimated BTC price ${formatUsd(price)}, ${confidenceWords(confidence)}.`);
    }
  }

  /** Refreshes "updated … ago"; called every second. */
  tick(nowMs: number): void {
    if (this.last === null) return;
    const age = (nowMs - this.lastAtMs) / 1000;
    setText(this.updated, this.state.kind === 'live' ? formatAge(age) : `${formatAge(age)} (not live)`);
    this.updated.title = formatLocalDateTime(this.last.timestamp);
  }

  showConnection(state: ConnectionState, nowMs: number): void {
    const was = this.state.kind;
    this.state = state;
    this.connection.dataset.state = state.kind;
    setText(this.connectionText, connectionText(state, nowMs));
    if (this.last !== null && this.last.price !== null) {
      this.price.dataset.state = state.kind === 'live' ? 'live' : 'stale';
    }
    if (state.kind === 'unauthorized') {
      this.accessBanner.hidden = false;
      setText(
        this.accessBanner,
        state.hasToken
          ? 'Access denied: the server did not accept the access token in this page’s address. Ask its operator for the current link.'
          : 'This server needs an access token. Open the page with the link that includes “?token=…”.',
      );
    } else if (state.kind === 'live') {
      this.accessBanner.hidden = true;
    }
    if (was === 'live' && state.kind !== 'live')
      setText(this.announcer, 'Live connection lost; reconnecting.');
    if (was !== 'live' && state.kind === 'live' && this.last !== null)
      setText(this.announcer, 'Live connection restored.');
    this.tick(nowMs);
  }

  /**
   * What the server says about its source between updates: `*_unavailable` (the node does not
   * answer, the bus or the estimator is gone) is shown until `*_available` or a fresh snapshot
   * (after which the server says again what still holds).
   */
  showNotice(code: string, message: string): void {
    if (code.endsWith('_unavailable')) {
      this.sourceNotice.hidden = false;
      this.sourceNotice.dataset.code = code;
      setText(this.sourceNotice, `The server says: ${message}.`);
      setText(this.announcer, `The server says: ${message}.`);
    } else if (
      code.endsWith('_available') &&
      this.sourceNotice.dataset.code === `${code.slice(0, -'_available'.length)}_unavailable`
    ) {
      this.clearNotice();
      setText(this.announcer, `The server says: ${message}.`);
    }
  }

  clearNotice(): void {
    this.sourceNotice.hidden = true;
    delete this.sourceNotice.dataset.code;
  }

  private showSource(source: string): void {
    this.badge.hidden = false;
    this.badge.dataset.source = source;
    setText(this.badge, source === 'demo' ? 'demo' : source === 'node' ? 'your node' : source);
    this.badge.title =
      source === 'demo' ? 'Synthetic demo data, not a market price' : 'Live from your Bitcoin node';
    this.demoBanner.hidden = source !== 'demo';
  }
}

export function connectionText(state: ConnectionState, nowMs: number): string {
  switch (state.kind) {
    case 'connecting':
      return 'Connecting…';
    case 'live':
      return 'Live';
    case 'retrying': {
      const s = Math.max(0, Math.ceil((state.at - nowMs) / 1000));
      return `Offline: ${state.reason}; retrying ${s > 0 ? `in ${s} s` : 'now'}`;
    }
    case 'unauthorized':
      return 'Access denied';
  }
}

function signedPercent(share: number): string {
  const pct = share * 100;
  const text = Math.abs(pct) < 0.05 ? '0.0' : Math.abs(pct).toFixed(1);
  return `${pct >= 0.05 ? '+' : pct <= -0.05 ? '−' : '±'}${text} %`;
}

/** Writes text only when it changed, so screen readers and layout are not disturbed on every tick. */
function setText(el: HTMLElement, text: string): void {
  if (el.textContent !== text) el.textContent = text;
}
