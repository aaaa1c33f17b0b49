// The command line of every benchmark, read one way: node:util's parseArgs, strict (an unknown
// option, a missing value or a stray argument is one line on stderr and exit code 2, with the
// bench's usage), `--name=value` and `--name value` alike; numbers are checked where they are read.
// In: the bench's name, its usage line, its options and (by default) the process's arguments.
// Out: the values, as parseArgs types them.

import { type ParseArgsOptionsConfig, parseArgs } from 'node:util';

/** Exit code of a wrong command line, as the chainprice commands use it. */
const USAGE_EXIT = 2;

export interface BenchCommandLine {
  /** The name in messages: "parse bench", "fuzz". */
  bench: string;
  /** One line: `node bench/parse.ts [--seconds N]`. */
  usage: string;
}

/** Reads `args` against `options`, or ends the process with one line naming the problem and the usage. */
export function benchArgs<const O extends ParseArgsOptionsConfig>(
  line: BenchCommandLine,
  options: O,
  args: string[] = process.argv.slice(2),
) {
  try {
    return parseArgs({ args, options, strict: true, allowPositionals: false });
  } catch (error) {
    // parseArgs' first sentence names the problem; the rest is advice about positionals we do not take.
    const message = (error as Error).message.split('. ')[0].replace(/\.$/, '');
    return usageFail(line, message);
  }
}

/**
 * A numeric option's value (`text` undefined: the fallback): finite, at least `min` (above it with
 * `above`), whole when `whole`; otherwise one line and exit code 2.
 */
export function numberArg(
  line: BenchCommandLine,
  name: string,
  text: string | undefined,
  fallback: number,
  rule: { min?: number; above?: boolean; whole?: boolean } = {},
): number {
  if (text === undefined) return fallback;
  const value = Number(text);
  const min = rule.min ?? 0;
  const ok =
    text.trim() !== '' &&
    Number.isFinite(value) &&
    (rule.above ? value > min : value >= min) &&
    (!rule.whole || Number.isSafeInteger(value));
  if (!ok) {
    const kind = rule.whole ? 'a whole number' : 'a number';
    const bound = rule.above ? `above ${min}` : `of at least ${min}`;
    usageFail(line, `--${name} needs ${kind} ${bound}, not ${JSON.stringify(text)}`);
  }
  return value;
}

export function usageFail(line: BenchCommandLine, message: string): never {
  console.error(`${line.bench}: ${message}. Usage: ${line.usage}`);
  process.exit(USAGE_EXIT);
}
