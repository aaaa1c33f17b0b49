// What the commands that read confirmed blocks from a node share (`block HEIGHT|HASH`, `blocks`,
// `day`): node flags in, a connected BlockPrices out (status lines on stderr while the node warms
// up), plus the progress line on stderr for long runs and the human-readable price line.

import type { RangePrice } from './block-prices.ts';
import { BlockPrices } from './block-prices.ts';
import { BlockSource } from './block-source.ts';
import { type NodeFlags, resolveNodeConfig } from './node-config.ts';
import { connectToNode } from './node-connection.ts';

/** Connects to the node the flags (and environment, and bitcoin.conf) describe. Close with `close()`. */
export async function connectBlockPrices(
  flags: NodeFlags,
): Promise<{ prices: BlockPrices; close: () => void }> {
  const config = resolveNodeConfig(flags);
  const { rpc } = await connectToNode(config, {
    onStatus: (line) => process.stderr.write(`chainprice: ${line}\n`),
  });
  return { prices: new BlockPrices(new BlockSource(rpc)), close: () => rpc.close() };
}

/**
 * A progress reporter for stderr: one line rewritten in place on a terminal, a line every 10 %
 * otherwise (logs stay short). Silent for runs of a single block.
 */
export function progressLine(label: string): {
  update: (done: number, total: number) => void;
  end: () => void;
} {
  const tty = process.stderr.isTTY === true;
  let lastTenth = -1;
  let shown = false;
  return {
    update(done, total) {
      if (total <= 1) return;
      const text = `${label}: ${done}/${total} blocks`;
      if (tty) {
        process.stderr.write(`\r${text}`);
        shown = true;
      } else {
        const tenth = Math.floor((done / total) * 10);
        if (tenth !== lastTenth) process.stderr.write(`${text}\n`);
        lastTenth = tenth;
      }
    },
    end() {
      if (tty && shown) process.stderr.write('\r\x1b[K');
    },
  };
}

export function formatUsd(price: number): string {
  return `$${price.toLocaleString('en-US', { minimumFractionDigits: 2, maximumFractionDigits: 2 })}`;
}

function utc(time: number): string {
  return `${new Date(time * 1000).toISOString().slice(0, 16).replace('T', ' ')} UTC`;
}

/** "blocks 839857–840000 (144 blocks, …): $63,812.34, confidence 0.82 (1,234 of 5,678 candidate outputs)". */
export function describeRange(range: RangePrice): string {
  const span = `blocks ${range.firstHeight}–${range.lastHeight} (${range.blocks} ${range.blocks === 1 ? 'block' : 'blocks'}, ${range.transactions.toLocaleString('en-US')} transactions, ${utc(range.firstTime)} to ${utc(range.lastTime)})`;
  if (range.price === null) return `${span}: no estimate: ${range.reason}`;
  return `${span}: ${formatUsd(range.price)}, confidence ${range.confidence.toFixed(2)} (${range.outputsUsed.toLocaleString('en-US')} of ${range.candidates.toLocaleString('en-US')} candidate outputs)`;
}

export { utc as formatUtc };
