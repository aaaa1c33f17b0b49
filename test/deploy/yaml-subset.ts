// The part of YAML that Umbrel's app files use, read into plain values: block mappings and block
// sequences by indentation, plain, single- and double-quoted scalars, empty or simple flow
// sequences ([] or [a, b]), folded and literal block scalars (>, >-, |, |-), comments. Plain
// integers become numbers, true/false booleans, null and ~ null. Anything else (anchors, flow
// mappings, sequences of mappings, tags) throws with its line number, so a file that leaves the
// subset fails the test that reads it instead of being read wrongly.

export type YamlValue = string | number | boolean | null | YamlValue[] | { [key: string]: YamlValue };

interface Line {
  number: number;
  indent: number;
  text: string;
}

export function parseYaml(source: string): YamlValue {
  const raw = source.split('\n');
  const lines: Line[] = [];
  raw.forEach((text, i) => {
    const content = stripComment(text).trimEnd();
    if (content.trim() === '') return;
    lines.push({ number: i + 1, indent: content.length - content.trimStart().length, text: content.trim() });
  });
  if (lines.length === 0) return null;
  const state = { at: 0 };
  const value = parseBlock(lines, state, lines[0].indent, raw);
  if (state.at < lines.length) fail(lines[state.at], 'unexpected indentation');
  return value;
}

function parseBlock(lines: Line[], state: { at: number }, indent: number, raw: string[]): YamlValue {
  return lines[state.at].text.startsWith('- ') || lines[state.at].text === '-'
    ? parseSequence(lines, state, indent)
    : parseMapping(lines, state, indent, raw);
}

/** A block sequence; `compact` when it sits at its key's own indentation (the mapping then goes on after it). */
function parseSequence(lines: Line[], state: { at: number }, indent: number, compact = false): YamlValue[] {
  const items: YamlValue[] = [];
  while (state.at < lines.length && lines[state.at].indent === indent) {
    const line = lines[state.at];
    if (!line.text.startsWith('- ')) {
      if (compact) break;
      fail(line, 'expected "- " in a sequence');
    }
    const item = line.text.slice(2).trim();
    if (/^[^"'[][^:]*:(\s|$)/.test(item)) fail(line, 'sequences of mappings are outside the subset');
    items.push(scalar(item, line));
    state.at++;
  }
  return items;
}

function parseMapping(
  lines: Line[],
  state: { at: number },
  indent: number,
  raw: string[],
): { [key: string]: YamlValue } {
  const map: { [key: string]: YamlValue } = {};
  while (state.at < lines.length && lines[state.at].indent === indent) {
    const line = lines[state.at];
    const match = /^("[^"]*"|'[^']*'|[^\s:"'][^:]*?):(?:\s+(.*))?$/.exec(line.text);
    if (!match) fail(line, 'expected "key: value"');
    const key = match[1].replace(/^["']|["']$/g, '');
    if (key in map) fail(line, `duplicate key "${key}"`);
    const rest = match[2]?.trim() ?? '';
    state.at++;
    if (/^[>|][-+]?$/.test(rest)) {
      map[key] = blockScalar(rest, line, lines, state, raw);
    } else if (rest === '') {
      const next = lines[state.at];
      if (next && next.indent > indent) map[key] = parseBlock(lines, state, next.indent, raw);
      else if (next && next.indent === indent && next.text.startsWith('- '))
        map[key] = parseSequence(lines, state, indent, true);
      else map[key] = null;
    } else {
      map[key] = scalar(rest, line);
    }
  }
  return map;
}

/** A folded (>) or literal (|) block: the lines indented under the key, from the raw text (blank lines kept). */
function blockScalar(style: string, key: Line, lines: Line[], state: { at: number }, raw: string[]): string {
  const end =
    state.at < lines.length && lines[state.at].indent > key.indent ? findEnd(lines, state, key) : key;
  const body = raw.slice(key.number, end.number);
  const indent = Math.min(...body.filter((l) => l.trim() !== '').map((l) => l.length - l.trimStart().length));
  const text = body.map((l) => l.slice(indent).trimEnd());
  const folded =
    style[0] === '>'
      ? text
          .join('\n')
          .replace(/([^\n])\n(?=[^\n])/g, '$1 ')
          .replace(/\n\n/g, '\n')
      : text.join('\n');
  return style.endsWith('-') ? folded.replace(/\n+$/, '') : `${folded.replace(/\n+$/, '')}\n`;
}

function findEnd(lines: Line[], state: { at: number }, key: Line): Line {
  let last = key;
  while (state.at < lines.length && lines[state.at].indent > key.indent) last = lines[state.at++];
  return last;
}

function scalar(text: string, line: Line): YamlValue {
  if (text.startsWith('"')) {
    if (!text.endsWith('"') || text.length < 2) fail(line, 'unterminated double-quoted string');
    return text.slice(1, -1).replace(/\\(["\\])/g, '$1');
  }
  if (text.startsWith("'")) {
    if (!text.endsWith("'") || text.length < 2) fail(line, 'unterminated single-quoted string');
    return text.slice(1, -1).replace(/''/g, "'");
  }
  if (text.startsWith('[')) {
    if (!text.endsWith(']')) fail(line, 'unterminated flow sequence');
    const inner = text.slice(1, -1).trim();
    return inner === '' ? [] : inner.split(',').map((item) => scalar(item.trim(), line));
  }
  if (/^[{&*!|>%@`]/.test(text)) fail(line, `"${text}" is outside the subset`);
  if (/^-?\d+$/.test(text)) return Number(text);
  if (text === 'true' || text === 'false') return text === 'true';
  if (text === 'null' || text === '~') return null;
  return text;
}

/** The line without a comment: a # at its start or after a space, outside quotes. */
function stripComment(text: string): string {
  let quote = '';
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    if (quote) {
      if (c === quote) quote = '';
    } else if (c === '"' || c === "'") {
      if (i === 0 || /[\s:[,-]/.test(text[i - 1])) quote = c;
    } else if (c === '#' && (i === 0 || /\s/.test(text[i - 1]))) {
      return text.slice(0, i);
    }
  }
  return text;
}

function fail(line: Line, message: string): never {
  throw new Error(`YAML line ${line.number}: ${message}`);
}

/**
 * Compose's variable substitution: $NAME, ${NAME}, ${NAME:-default}, ${NAME-default} and $$ for a
 * dollar sign. A variable that `env` does not have (and no default covers) throws: the test gives
 * the service only what Umbrel provides.
 */
export function substitute(text: string, env: Record<string, string>): string {
  return text.replace(
    /\$\$|\$\{([A-Za-z_]\w*)(?:(:?-)([^}]*))?\}|\$([A-Za-z_]\w*)/g,
    (whole, braced, op, fallback, bare) => {
      if (whole === '$$') return '$';
      const name = (braced ?? bare) as string;
      const value = env[name];
      if (value !== undefined && !(op === ':-' && value === '')) return value;
      if (op !== undefined) return fallback;
      throw new Error(`the compose file uses $${name}, which is not provided`);
    },
  );
}
