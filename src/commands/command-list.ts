// Every chainprice command, in the order `chainprice --help` lists them: its declaration (what it
// takes, cheap to load) and its code, loaded only when the command runs, so `chainprice block`
// never loads the web server and `chainprice --help` loads none of them.

import { blockCommand } from './block-options.ts';
import { blocksCommand } from './blocks-options.ts';
import { calibrateCommand } from './calibrate-options.ts';
import { dayCommand } from './day-options.ts';
import { edgeCommand } from './edge-options.ts';
import { estimateCommand } from './estimate-options.ts';
import { evalCommand } from './eval-options.ts';
import { historyCommand } from './history-options.ts';
import type { CommandLine, Env } from './options.ts';
import { serveCommand } from './serve-options.ts';

export interface Command {
  line: CommandLine;
  /** Reads the arguments (a UserError when they are wrong), then loads the command's code and runs it. Out: the exit code. */
  run(args: readonly string[], env: Env): Promise<number>;
}

function command<R>(
  line: CommandLine<R>,
  load: () => Promise<{ run(options: R): Promise<number> }>,
): Command {
  return {
    line,
    async run(args, env) {
      const options = line.parse(args, env);
      return (await load()).run(options);
    },
  };
}

export const COMMANDS: readonly Command[] = [
  command(blockCommand, () => import('./block.ts')),
  command(blocksCommand, () => import('./blocks.ts')),
  command(dayCommand, () => import('./day.ts')),
  command(historyCommand, () => import('./history.ts')),
  command(estimateCommand, () => import('./estimate.ts')),
  command(evalCommand, () => import('./eval.ts')),
  command(calibrateCommand, () => import('./calibrate.ts')),
  command(serveCommand, () => import('./serve.ts')),
  command(edgeCommand, () => import('./edge.ts')),
];
