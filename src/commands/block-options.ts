// What `chainprice block` takes, declared once (options.ts): a block FILE, or a HEIGHT or HASH to
// price from the node; --txs (a file), --json (from the node) and the node options. Out:
// BlockOptions; which of the two the argument is, block.ts decides (a file is looked for on disk).

import { NODE_OPTIONS, nodeFlagsOf } from './node-options.ts';
import { declareCommand, flag } from './options.ts';

export const blockCommand = declareCommand({
  name: 'block',
  summary: 'summarise a block file, or price a block (height or hash) from your node',
  usage: ['chainprice block FILE [--txs]', 'chainprice block HEIGHT|HASH [--json] [node options]'],
  description: `With a FILE: a JSON summary of the block: its hash, BIP34 height, time, size and weight,
transaction and output counts, output value, outputs per script type (p2pkh, p2sh, p2wpkh, p2wsh,
p2tr, op_return, multisig, other), and whether the proof of work and the merkle root check out.
FILE holds the block's raw bytes (wire format) or the same as hex, for example
  bitcoin-cli getblock <hash> 0 > block.hex

With a HEIGHT or a block HASH: the BTC/USD price read from that block's transactions, fetched
from your node over JSON-RPC (cached by block hash).`,
  positionals: 'FILE|HEIGHT|HASH',
  options: {
    txs: flag({
      help: "FILE: JSON Lines instead: the summary on the first line, then one line per transaction (txid, sizes, inputs, and each output's value and type)",
    }),
    json: flag({
      help: 'HEIGHT|HASH: print the result as JSON (height, hash, time, price, confidence, reason, transactions, candidates, outputsUsed)',
    }),
    ...NODE_OPTIONS,
  },
  epilogue: `Exit status: 0 on success, 1 when the block is missing or not a valid block (or has no
estimate), 2 for a wrong command line.`,
  finish: ({ values, positionals }) => ({
    targets: positionals,
    txs: values.txs,
    json: values.json,
    node: nodeFlagsOf(values, 'block'),
  }),
});

export type BlockOptions = ReturnType<typeof blockCommand.parse>;
