// The build's progress on stderr: a BuildProgress in, a bar with rate and ETA rewritten in place
// on a terminal, or a plain line every 5 % (and at most every 10 s otherwise) for logs.

import { grouped } from '../format/number.ts';
import type { BuildProgress } from './history-build.ts';

const WIDTH = 24;
const LOG_EVERY_MS = 10_000;

export function formatDuration(seconds: number): string {
  if (!Number.isFinite(seconds) || seconds < 0) return '?';
  const s = Math.round(seconds);
  if (s < 60) return `${s}s`;
  if (s < 3600) return `${Math.floor(s / 60)}m${String(s % 60).padStart(2, '0')}s`;
  return `${Math.floor(s / 3600)}h${String(Math.floor((s % 3600) / 60)).padStart(2, '0')}m`;
}

/** One progress line's text (no bar): counts, rate, ETA. */
export function progressText(p: BuildProgress, elapsedSeconds: number): string {
  const fraction =
    p.bytesTotal !== null && p.bytesTotal > 0
      ? p.bytesDone / p.bytesTotal
      : p.daysTotal > 0
        ? p.daysDone / p.daysTotal
        : 1;
  const rate = elapsedSeconds > 0 ? p.bytesDone / 1e6 / elapsedSeconds : 0;
  const eta = fraction > 0 && fraction < 1 ? (elapsedSeconds / fraction) * (1 - fraction) : 0;
  return `${(fraction * 100).toFixed(1)}% ${p.daysDone}/${p.daysTotal} days, ${grouped(p.blocksDone)} blocks, ${rate.toFixed(1)} MB/s, ETA ${formatDuration(eta)}${p.day ? ` (${p.day})` : ''}`;
}

export function progressBar(stream: NodeJS.WriteStream = process.stderr): {
  update: (p: BuildProgress) => void;
  end: () => void;
} {
  const tty = stream.isTTY === true;
  const started = performance.now();
  let lastStep = -1;
  let lastLog = 0;
  let shown = false;
  return {
    update(p) {
      const elapsed = (performance.now() - started) / 1000;
      const text = progressText(p, elapsed);
      const fraction = p.daysTotal > 0 ? p.daysDone / p.daysTotal : 1;
      if (tty) {
        const filled = Math.round(fraction * WIDTH);
        stream.write(`\r\x1b[K[${'#'.repeat(filled)}${'-'.repeat(WIDTH - filled)}] ${text}`);
        shown = true;
        return;
      }
      const step = Math.floor(fraction * 20);
      const now = performance.now();
      if (step !== lastStep || now - lastLog > LOG_EVERY_MS) {
        stream.write(`history: ${text}\n`);
        lastStep = step;
        lastLog = now;
      }
    },
    end() {
      if (tty && shown) stream.write('\r\x1b[K');
      shown = false;
    },
  };
}
