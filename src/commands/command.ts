// One `chainprice` subcommand: its name, a one-line summary for `chainprice --help`,
// its own help text, and `run`, which returns the process exit code (EXIT in src/errors.ts).

export interface Command {
  name: string;
  summary: string;
  help: string;
  run(args: string[]): Promise<number>;
}
