#!/usr/bin/env node
// The `chainprice` command: finds the subcommand and runs it; every error becomes one clear line.
import { readFileSync } from 'node:fs';
import { findPackageJSON } from 'node:module';
import type { Command } from './commands/command.ts';
import { EXIT, UserError } from './errors.ts';

/** Subcommands, loaded only when used so `chainprice block` never loads the web server. */
const COMMANDS: Record<string, { summary: string; load: () => Promise<Command> }> = {};

function register(name: string, summary: string, load: () => Promise<{ command: Command }>): void {
  COMMANDS[name] = { summary, load: async () => (await load()).command };
}

register(
  'block',
  'summarise a block file, or price a block (height or hash) from your node',
  () => import('./commands/block.ts'),
);
register(
  'blocks',
  'price the last N blocks of your node (default 144)',
  () => import('./commands/blocks.ts'),
);
register(
  'day',
  'price one UTC day (YYYY-MM-DD) from the blocks of your node',
  () => import('./commands/day.ts'),
);
register(
  'history',
  "build or show the price of every block and day of your node's chain",
  () => import('./commands/history.ts'),
);
register('estimate', 'estimate the price from raw block files', () => import('./commands/estimate.ts'));
register('eval', 'judge the estimator on the real dev blocks', () => import('./commands/eval.ts'));
register(
  'calibrate',
  'measure the comb of round dollar amounts on the real dev blocks',
  () => import('./commands/calibrate.ts'),
);
register(
  'serve',
  'serve the live price: browser app, REST API, WebSocket stream (--demo without a node)',
  () => import('./commands/serve.ts'),
);

register(
  'edge',
  'serve the live price from NATS (no node): one estimator, many edges',
  () => import('./commands/edge.ts'),
);

/** From the package.json above this file: the clone's (src/cli.ts) or the installed package's (dist/src/cli.js). */
function version(): string {
  const file = findPackageJSON('..', import.meta.url);
  if (file === undefined) return 'unknown';
  const pkg = JSON.parse(readFileSync(file, 'utf8')) as {
    version: string;
  };
  return pkg.version;
}

function usage(): string {
  const width = Math.max(...Object.keys(COMMANDS).map((n) => n.length), 8);
  const lines = Object.entries(COMMANDS).map(([name, c]) => `  ${name.padEnd(width)}  ${c.summary}`);
  return [
    'chainprice: the BTC/USD price read from your own Bitcoin node, live.',
    '',
    'Usage: chainprice COMMAND [options]     (chainprice COMMAND --help for details)',
    '',
    'Commands:',
    ...lines,
    '',
    'Options: --help, --version',
  ].join('\n');
}

async function main(argv: string[]): Promise<number> {
  const [name, ...rest] = argv;
  if (name === undefined || name === '--help' || name === '-h' || name === 'help') {
    console.log(usage());
    return name === undefined ? EXIT.usage : EXIT.ok;
  }
  if (name === '--version' || name === '-V') {
    console.log(version());
    return EXIT.ok;
  }
  const entry = COMMANDS[name];
  if (entry === undefined) {
    console.error(`chainprice: unknown command "${name}". Run "chainprice --help" for the list.`);
    return EXIT.usage;
  }
  const command = await entry.load();
  if (rest.includes('--help') || rest.includes('-h')) {
    console.log(command.help);
    return EXIT.ok;
  }
  return command.run(rest);
}

try {
  process.exitCode = await main(process.argv.slice(2));
} catch (error) {
  if (error instanceof UserError) {
    console.error(`chainprice: ${error.message}`);
    if (error.hint) console.error(`hint: ${error.hint}`);
    process.exitCode = error.exitCode;
  } else {
    const detail = error instanceof Error ? error.message : String(error);
    console.error(`chainprice: internal error: ${detail}`);
    if (process.env.CHAINPRICE_DEBUG) console.error(error);
    else console.error('hint: set CHAINPRICE_DEBUG=1 to see the stack trace, and please report it.');
    process.exitCode = EXIT.failure;
  }
}
