#!/usr/bin/env node
// The `chainprice` command: finds the subcommand (src/commands/command-list.ts), prints its help or
// runs it; every error becomes one clear line.

import { readFileSync } from 'node:fs';
import { findPackageJSON } from 'node:module';
import { COMMANDS } from './commands/command-list.ts';
import { asksForHelp } from './commands/options.ts';
import { EXIT, UserError } from './errors.ts';

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
  const width = Math.max(...COMMANDS.map(({ line }) => line.name.length), 8);
  const lines = COMMANDS.map(({ line }) => `  ${line.name.padEnd(width)}  ${line.summary}`);
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
  const command = COMMANDS.find(({ line }) => line.name === name);
  if (command === undefined) {
    console.error(`chainprice: unknown command "${name}". Run "chainprice --help" for the list.`);
    return EXIT.usage;
  }
  if (asksForHelp(command.line, rest)) {
    console.log(command.line.help);
    return EXIT.ok;
  }
  return command.run(rest, process.env);
}

// A reader that stops early (`chainprice block FILE --txs | head`) closes the pipe: stop quietly, as
// the shell's own tools do, instead of failing on the next write.
process.stdout.on('error', (error: NodeJS.ErrnoException) => {
  if (error.code !== 'EPIPE') throw error;
  process.exit(process.exitCode ?? EXIT.ok);
});

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
