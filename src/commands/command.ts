// One `chainprice` subcommand: its name, a one-line summary for `chainprice --help`,
// its own help text, and `run`, which returns the process exit code.
// Exit codes are the same for every command (see EXIT below).

export interface Command {
  name: string;
  summary: string;
  help: string;
  run(args: string[]): Promise<number>;
}

export const EXIT = {
  ok: 0,
  /** The command failed: bad input data, node unreachable, nothing to estimate. */
  failure: 1,
  /** The command line itself is wrong: unknown flag, missing argument. */
  usage: 2,
} as const;

/** A failure the user can act on: printed as one line (plus an optional hint), never as a stack trace. */
export class UserError extends Error {
  readonly hint: string | undefined;
  readonly exitCode: number;
  constructor(message: string, options: { hint?: string; exitCode?: number } = {}) {
    super(message);
    this.name = 'UserError';
    this.hint = options.hint;
    this.exitCode = options.exitCode ?? EXIT.failure;
  }
}
