// `chainprice block FILE | HEIGHT | HASH`: an existing file (or a name ending .raw/.hex) is summarised
// from its bytes (block-file.ts); a height or a 64-hex hash is priced from the node over RPC —
// every transaction of that block into a price window, then an estimate. In: the argument and node
// flags. Out: one line (or JSON with --json) on stdout.

import { EXIT, UserError } from '../errors.ts';
import { connectBlockPrices, formatUsd, formatUtc } from '../node/node-command.ts';
import { NODE_FLAGS_HELP, takeNodeFlags } from '../node/node-flags.ts';
import { command as blockFileCommand, isBlockFileArgument } from './block-file.ts';
import type { Command } from './command.ts';

const HELP = `Usage: chainprice block FILE [--txs]
       chainprice block HEIGHT|HASH [--json] [node options]

With a FILE (raw or hex block bytes): a JSON summary of the block (see below).
With a HEIGHT or a block HASH: the BTC/USD price read from that block's
transactions, fetched from your node over JSON-RPC (cached by block hash).

${blockFileCommand.help.split('\n').slice(2).join('\n')}

Pricing a block from the node:
  --json   print the result as JSON (height, hash, time, price, confidence,
           reason, transactions, candidates, outputsUsed)

${NODE_FLAGS_HELP}`;

async function run(args: string[]): Promise<number> {
  const { flags, rest } = takeNodeFlags(args);
  const positional = rest.filter((a) => !a.startsWith('-') || a.length === 1);
  const target = positional[0];
  if (target !== undefined && isBlockFileArgument(target)) {
    return blockFileCommand.run(args);
  }
  let json = false;
  for (const arg of rest) {
    if (arg === '--json') json = true;
    else if (arg.startsWith('-') && arg.length > 1) {
      throw new UserError(`block: unknown option ${arg}`, {
        hint: 'chainprice block --help',
        exitCode: EXIT.usage,
      });
    }
  }
  if (positional.length !== 1) {
    throw new UserError(
      positional.length === 0
        ? 'block: which block? Give a FILE, a HEIGHT or a HASH'
        : 'block: give exactly one block',
      {
        hint: 'chainprice block FILE | HEIGHT | HASH',
        exitCode: EXIT.usage,
      },
    );
  }
  if (!/^\d+$/.test(target) && !/^[0-9a-fA-F]{64}$/.test(target)) {
    throw new UserError(`block: "${target}" is not a file, a block height or a 64-hex-digit block hash.`, {
      hint: 'chainprice block 840000, or chainprice block path/to/block.raw',
      exitCode: EXIT.usage,
    });
  }
  const { prices, close } = await connectBlockPrices(flags);
  try {
    const price = await prices.priceOf(target);
    if (price === null) {
      throw new UserError(`the node has no block ${target}.`, {
        hint: /^\d+$/.test(target)
          ? "the height is above the node's tip (or the node is still syncing)."
          : 'check the hash (the node may be on another network).',
      });
    }
    if (json) console.log(JSON.stringify(price, null, 2));
    else {
      const head = `block ${price.height} ${price.hash} (${formatUtc(price.time)}, ${price.transactions.toLocaleString('en-US')} transactions)`;
      console.log(
        price.price === null
          ? `${head}: no estimate: ${price.reason}`
          : `${head}: ${formatUsd(price.price)}, confidence ${price.confidence.toFixed(2)} (${price.outputsUsed} of ${price.candidates} candidate outputs)`,
      );
    }
    return price.price === null ? EXIT.failure : EXIT.ok;
  } finally {
    close();
  }
}

export const command: Command = {
  name: 'block',
  summary: 'summarise a block file, or price a block (height or hash) from your node',
  help: HELP,
  run,
};
