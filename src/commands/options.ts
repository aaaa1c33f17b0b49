// The command line of every chainprice command, declared once: a command names its options (type,
// value name, CHAINPRICE_* variable, default, help) and its positional arguments, and from that one
// declaration come node:util's parseArgs configuration, the environment fallbacks (flag >
// environment > default), the `--help` text and the command's line in `chainprice --help`.
// In: the arguments after the command's name, and the environment. Out: the command's options, or a
// UserError with exit code 2: a malformed command line (an unknown option, a missing value) is one
// line that ends with where to look, and an unknown option names the nearest known one.

import { parseArgs } from 'node:util';
import { EXIT, UserError } from '../errors.ts';

export type Env = Record<string, string | undefined>;

interface OptionCommon {
  help: string;
  /** The heading it is listed under in --help (default "Options"). */
  group?: string;
}

/** An option without a value: `--json`. */
export interface FlagSpec extends OptionCommon {
  type: 'boolean';
}

/** An option with a value: `--port 8000` or `--port=8000`. */
export interface ValueSpec<T = unknown> extends OptionCommon {
  type: 'string';
  /** The value's name in --help: PORT, DIR, URL. */
  value: string;
  /** The CHAINPRICE_* variable read when the flag is not given (split at commas for a repeatable option). */
  env?: string;
  /** The variable is read by the code that ranks it against another source (node-config.ts: bitcoin.conf), not here; --help still names it. */
  envReadElsewhere?: boolean;
  /** Parsed like a given value when neither the flag nor the environment gives one. */
  default?: string;
  /** What --help says the default is when the code that uses the value decides it. */
  shownDefault?: string;
  /** A value `parse` accepts: the table-driven test tries every option with it. */
  example?: string;
  /** Repeatable: the values come as a list. */
  multiple?: boolean;
  /** Checks and converts the text (from the flag, the variable or the default); throws BadValue. */
  parse?: (text: string, from: string) => T;
}

export type OptionSpec = FlagSpec | ValueSpec;
export type OptionSpecs = Readonly<Record<string, OptionSpec>>;

type Parsed<O> = O extends { parse: (text: string, from: string) => infer T } ? T : string;
/** What an option gives the command: a flag true or false, a repeatable option a list, an option without default possibly undefined. */
export type ValueOf<O> = O extends { type: 'boolean' }
  ? boolean
  : O extends { multiple: true }
    ? Parsed<O>[]
    : O extends { default: string }
      ? Parsed<O>
      : Parsed<O> | undefined;
export type Values<O extends OptionSpecs> = { -readonly [K in keyof O]: ValueOf<O[K]> };

export function flag<const S extends Omit<FlagSpec, 'type'>>(spec: S): S & { type: 'boolean' } {
  return { ...spec, type: 'boolean' };
}

export function option<const S extends Omit<ValueSpec, 'type'>>(spec: S): S & { type: 'string' } {
  return { ...spec, type: 'string' };
}

/** A value an option's `parse` refuses: `message` is the whole sentence ("--port needs …"), `hint` the way out. */
export class BadValue extends Error {
  readonly hint: string | undefined;
  constructor(message: string, hint?: string) {
    super(message);
    this.name = 'BadValue';
    this.hint = hint;
  }
}

export interface CommandSpec<O extends OptionSpecs, R> {
  name: string;
  /** One line, for `chainprice --help`. */
  summary: string;
  /** The usage lines, each starting with `chainprice NAME`. */
  usage: readonly string[];
  description: string;
  options: O;
  /** The name of the arguments that are not options (FILE, HEIGHT…); without it, none is accepted. */
  positionals?: string;
  /** Text printed after the options. */
  epilogue?: string;
  /** The command's own rules across options, and the shape its run takes. */
  finish: (parsed: { values: Values<O>; positionals: string[] }, env: Env) => R;
}

/** A declared command: what cli.ts lists, parses with and prints for --help. */
export interface CommandLine<R = unknown> {
  name: string;
  summary: string;
  help: string;
  options: OptionSpecs;
  /** The command's options from its arguments and the environment, or a UserError. */
  parse(args: readonly string[], env: Env): R;
  /** The values alone (flag > environment > default), before the command's own rules. */
  values(args: readonly string[], env: Env): { values: Record<string, unknown>; positionals: string[] };
}

/** `--demo-speed` for `demoSpeed`. */
export function flagName(key: string): string {
  return `--${key.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`)}`;
}

/** A wrong command line: `serve: MESSAGE`, exit code 2, with a hint (default: the command's --help). */
export function usageError(command: string, message: string, hint?: string): UserError {
  return new UserError(`${command}: ${message}`, {
    hint: hint ?? `chainprice ${command} --help`,
    exitCode: EXIT.usage,
  });
}

/** A malformed command line in one line, ending with where to look. */
function lineError(command: string, message: string): UserError {
  return new UserError(`${command}: ${message} (chainprice ${command} --help)`, { exitCode: EXIT.usage });
}

const HELP_KEY = 'help';

export function declareCommand<const O extends OptionSpecs, R>(spec: CommandSpec<O, R>): CommandLine<R> {
  const byFlag = new Map<string, string>();
  for (const key of Object.keys(spec.options)) byFlag.set(flagName(key).slice(2), key);
  const values = (args: readonly string[], env: Env) => readValues(spec, byFlag, args, env);
  return {
    name: spec.name,
    summary: spec.summary,
    help: helpText(spec),
    options: spec.options,
    values,
    parse(args, env) {
      const parsed = values(args, env);
      return spec.finish(parsed as { values: Values<O>; positionals: string[] }, env);
    },
  };
}

/** True when the arguments ask for help: `--help` or `-h` before any `--`, also where a value was missing (`--port --help`). */
export function asksForHelp(command: CommandLine, args: readonly string[]): boolean {
  const isHelp = (arg: string | undefined) => arg === '--help' || arg === '-h';
  return tokensOf(command.options, args).some(
    (t) => t.kind === 'option' && (isHelp(t.rawName) || (!t.inlineValue && isHelp(t.value))),
  );
}

function tokensOf(options: OptionSpecs, args: readonly string[]) {
  const config: Record<string, { type: 'string' | 'boolean'; multiple?: boolean }> = {};
  for (const [key, o] of Object.entries(options)) config[flagName(key).slice(2)] = { type: o.type };
  return parseArgs({ args: [...args], options: config, strict: false, allowPositionals: true, tokens: true })
    .tokens;
}

function readValues(
  spec: Omit<CommandSpec<OptionSpecs, unknown>, 'finish'>,
  byFlag: Map<string, string>,
  args: readonly string[],
  env: Env,
): { values: Record<string, unknown>; positionals: string[] } {
  const given = new Map<string, { texts: string[]; from: string }>();
  const positionals: string[] = [];
  for (const token of tokensOf(spec.options, args)) {
    if (token.kind === 'option-terminator') continue;
    if (token.kind === 'positional') {
      if (spec.positionals === undefined) throw lineError(spec.name, `unexpected argument "${token.value}"`);
      positionals.push(token.value);
      continue;
    }
    const key = token.rawName.startsWith('--') ? byFlag.get(token.name) : undefined;
    if (key === undefined) {
      const near = nearest(token.rawName, [...byFlag.keys(), HELP_KEY]);
      throw lineError(
        spec.name,
        `unknown option ${token.rawName}${near === undefined ? '' : `. Did you mean --${near}?`}`,
      );
    }
    const o = spec.options[key];
    if (o.type === 'boolean') {
      if (token.value !== undefined) throw lineError(spec.name, `${token.rawName} takes no value`);
      given.set(key, { texts: [], from: token.rawName });
      continue;
    }
    // `--conf --json`: an option's value does not start with -- unless it is given as --conf=--x.
    if (token.value === undefined || (!token.inlineValue && token.value.startsWith('--')))
      throw lineError(spec.name, `${token.rawName} needs a value`);
    const previous = given.get(key);
    const texts = o.multiple && previous ? [...previous.texts, token.value] : [token.value];
    given.set(key, { texts, from: token.rawName });
  }

  const values: Record<string, unknown> = {};
  for (const [key, o] of Object.entries(spec.options)) {
    if (o.type === 'boolean') {
      values[key] = given.has(key);
      continue;
    }
    const read = (text: string, from: string): unknown => {
      if (o.parse === undefined) return text;
      try {
        return o.parse(text, from);
      } catch (error) {
        if (error instanceof BadValue) throw usageError(spec.name, error.message, error.hint);
        throw error;
      }
    };
    const flagged = given.get(key);
    const fromEnv = o.env !== undefined && !o.envReadElsewhere ? env[o.env] : undefined;
    let texts: string[] | undefined;
    let from = flagName(key);
    if (flagged !== undefined) texts = flagged.texts;
    else if (fromEnv !== undefined && fromEnv !== '') {
      texts = o.multiple ? fromEnv.split(',').map((s) => s.trim()) : [fromEnv];
      texts = texts.filter((s) => s !== '');
      from = o.env!;
    } else if (o.default !== undefined) {
      texts = [o.default];
      from = `the default of ${from}`;
    }
    const parsed = (texts ?? []).map((t) => read(t, from));
    values[key] = o.multiple ? parsed : parsed[0];
  }
  return { values, positionals };
}

/** The known option nearest to a misspelt one, when it is near enough to be the one meant. */
function nearest(raw: string, names: string[]): string | undefined {
  const typed = raw.replace(/^-+/, '');
  let best: string | undefined;
  let bestDistance = Number.POSITIVE_INFINITY;
  for (const name of names) {
    const d = editDistance(typed, name);
    if (d < bestDistance) {
      best = name;
      bestDistance = d;
    }
  }
  if (best !== undefined && bestDistance <= Math.max(1, Math.floor(typed.length / 3))) return best;
  const started = names.filter((n) => typed.length >= 3 && n.startsWith(typed));
  return started.length === 1 ? started[0] : undefined;
}

/** Edits (insert, delete, replace, swap two neighbours) from a to b. */
function editDistance(a: string, b: string): number {
  const d: number[][] = Array.from({ length: a.length + 1 }, (_, i) =>
    Array.from({ length: b.length + 1 }, (_, j) => (i === 0 ? j : j === 0 ? i : 0)),
  );
  for (let i = 1; i <= a.length; i++) {
    for (let j = 1; j <= b.length; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      d[i][j] = Math.min(d[i - 1][j] + 1, d[i][j - 1] + 1, d[i - 1][j - 1] + cost);
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1])
        d[i][j] = Math.min(d[i][j], d[i - 2][j - 2] + 1);
    }
  }
  return d[a.length][b.length];
}

/** Help lines wrap at this width: a terminal of 100 columns shows them whole. */
const HELP_WIDTH = 100;
/** Option names longer than this put their text on the next line instead of pushing every text right. */
const HELP_NAME_WIDTH = 24;

function helpText(spec: Omit<CommandSpec<OptionSpecs, unknown>, 'finish'>): string {
  const [first, ...more] = spec.usage;
  const lines = [`Usage: ${first}`, ...more.map((u) => `       ${u}`), '', spec.description.trim()];
  const rows: { group: string; name: string; text: string }[] = [];
  for (const [key, o] of Object.entries(spec.options)) {
    const name = o.type === 'string' ? `${flagName(key)} ${o.value}` : flagName(key);
    const text = o.help + describeSource(o);
    const group = o.group ?? 'Options';
    // Flags that mean the same kind of thing (--regtest, --signet…) share one line.
    const last = rows.at(-1);
    if (o.type === 'boolean' && last?.group === group && last.text === text) last.name += `, ${name}`;
    else rows.push({ group, name, text });
  }
  rows.push({ group: 'Options', name: '-h, --help', text: 'print this help' });
  const column = 2 + Math.min(HELP_NAME_WIDTH, Math.max(...rows.map((r) => r.name.length))) + 2;
  const groups = [...new Set(rows.map((r) => r.group))];
  for (const group of groups) {
    lines.push('', `${group}:`);
    for (const row of rows.filter((r) => r.group === group)) {
      const head = `  ${row.name}`;
      const body = wrap(row.text, HELP_WIDTH - column);
      if (head.length + 2 > column) lines.push(head);
      else lines.push(head.padEnd(column) + body.shift());
      for (const line of body) lines.push(' '.repeat(column) + line);
    }
  }
  if (spec.epilogue) lines.push('', spec.epilogue.trim());
  return lines.join('\n');
}

/** " (repeatable; default 8000; CHAINPRICE_PORT)": where a value comes from when not given. */
function describeSource(o: OptionSpec): string {
  if (o.type === 'boolean') return '';
  const parts: string[] = [];
  if (o.multiple) parts.push('repeatable');
  const shown = o.shownDefault ?? o.default;
  if (shown !== undefined) parts.push(`default ${shown}`);
  if (o.env !== undefined) parts.push(o.multiple ? `${o.env}, comma-separated` : o.env);
  return parts.length === 0 ? '' : ` (${parts.join('; ')})`;
}

function wrap(text: string, width: number): string[] {
  const lines: string[] = [];
  let line = '';
  for (const word of text.split(/\s+/)) {
    if (line !== '' && line.length + 1 + word.length > width) {
      lines.push(line);
      line = word;
    } else line = line === '' ? word : `${line} ${word}`;
  }
  lines.push(line);
  return lines;
}
