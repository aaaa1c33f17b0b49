// `chainprice estimate FILE.raw…`: the price from one or more raw blocks, as one window.
// In: the parsed options (estimate-options.ts): block files (raw wire format, or the same as hex
// text), an optional seed price, --json.
// Out: the price, its confidence and the evidence count (or the reason there is none).

import { readFileSync } from 'node:fs';
import { readBlock } from '../bitcoin/block.ts';
import { hexToBytes } from '../bitcoin/hex.ts';
import { EXIT, UserError } from '../errors.ts';
import { utcDay } from '../format/utc-day.ts';
import { PriceWindow } from '../oracle/window.ts';
import type { EstimateOptions } from './estimate-options.ts';

/** Raw bytes, or hex text decoded to bytes. */
function blockBytes(path: string): Uint8Array {
  let data: Buffer;
  try {
    data = readFileSync(path);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    throw new UserError(
      `cannot read ${path}${code === 'ENOENT' ? ': no such file' : code ? ` (${code})` : ''}`,
    );
  }
  const head = data.subarray(0, 160).toString('latin1');
  if (data.length >= 160 && /^[0-9a-fA-F]+\s*$/.test(head)) {
    const text = data.toString('latin1').trim();
    if (/^[0-9a-fA-F]+$/.test(text) && text.length % 2 === 0) return hexToBytes(text.toLowerCase());
  }
  return data;
}

export async function run({ files, seed, json }: EstimateOptions): Promise<number> {
  const window = new PriceWindow();
  const blocks: {
    file: string;
    hash: string;
    height: number | null;
    time: number;
    transactions: number;
  }[] = [];
  for (const file of files) {
    let transactions = 0;
    try {
      const block = readBlock(blockBytes(file));
      for (const tx of block.transactions()) {
        window.add(tx, block.header.time);
        transactions++;
      }
      blocks.push({
        file,
        hash: block.header.hash,
        height: block.height,
        time: block.header.time,
        transactions,
      });
    } catch (error) {
      if (error instanceof UserError) throw error;
      throw new UserError(`${file}: not a valid block (${(error as Error).message})`);
    }
  }

  const estimate = window.estimate({ seed });
  const transactions = blocks.reduce((s, b) => s + b.transactions, 0);
  if (json) {
    console.log(
      JSON.stringify({ blocks, transactions, candidateOutputs: window.candidateOutputs, estimate }, null, 2),
    );
    return estimate.ok ? EXIT.ok : EXIT.failure;
  }
  const heights = blocks.map((b) => b.height ?? '?').join(', ');
  const days = [...new Set(blocks.map((b) => utcDay(b.time)))].join(', ');
  console.log(`blocks: ${blocks.length} (height ${heights}; ${days})`);
  console.log(
    `transactions: ${transactions.toLocaleString('en-US')}, candidate outputs: ${window.candidateOutputs.toLocaleString('en-US')}`,
  );
  if (!estimate.ok) {
    console.log(`no estimate: ${estimate.reason}`);
    return EXIT.failure;
  }
  const usd = (x: number) =>
    `$${x.toLocaleString('en-US', { minimumFractionDigits: 2, maximumFractionDigits: 2 })}`;
  console.log(
    `price: ${usd(estimate.price)} per BTC (${estimate.mode === 'seeded' ? `seeded with ${usd(seed!)}` : 'cold search'})`,
  );
  console.log(`confidence: ${estimate.confidence.toFixed(2)}`);
  console.log(`evidence: ${estimate.outputsUsed} outputs near round dollar amounts`);
  return EXIT.ok;
}
