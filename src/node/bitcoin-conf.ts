// bitcoin.conf, parsed: the text of the file in, its settings out, split into the top-level
// settings and the per-network sections (`[main]`, `[test]`, `[testnet4]`, `[signet]`,
// `[regtest]`). Also `network.option=value` lines, which the node reads as if they were in that
// section. Pure: reading the file (and `includeconf` files) is the caller's job.

export interface BitcoinConf {
  /** Settings outside any section, each option with every value it was given, in order. */
  top: Map<string, string[]>;
  /** Settings inside `[section]` blocks (and `section.option=` lines), by section name. */
  sections: Map<string, Map<string, string[]>>;
}

export interface ConfLineError {
  line: number;
  message: string;
}

/** Parses bitcoin.conf text. Unparseable lines are reported, not thrown, so one typo does not hide the rest. */
export function parseBitcoinConf(text: string): { conf: BitcoinConf; errors: ConfLineError[] } {
  const conf: BitcoinConf = { top: new Map(), sections: new Map() };
  const errors: ConfLineError[] = [];
  let section: string | null = null;
  const lines = text.split(/\r?\n/);
  for (let i = 0; i < lines.length; i++) {
    const line = stripComment(lines[i]).trim();
    if (line === '') continue;
    if (line.startsWith('[')) {
      if (!line.endsWith(']') || line.length < 3) {
        errors.push({ line: i + 1, message: `malformed section header "${line}"` });
        continue;
      }
      section = line.slice(1, -1).trim();
      continue;
    }
    const eq = line.indexOf('=');
    let key = (eq === -1 ? line : line.slice(0, eq)).trim();
    const value = eq === -1 ? '1' : line.slice(eq + 1).trim();
    if (key === '') {
      errors.push({ line: i + 1, message: `option name missing in "${line}"` });
      continue;
    }
    let target = section;
    const dot = key.indexOf('.');
    if (dot > 0) {
      target = key.slice(0, dot);
      key = key.slice(dot + 1);
    }
    // `-option` and `nooption=1` spellings of the command line are accepted by the node too.
    if (key.startsWith('-')) key = key.replace(/^-+/, '');
    const negated = key.startsWith('no') && key.length > 2;
    const name = negated ? key.slice(2) : key;
    const stored = negated ? (value === '0' ? '1' : '0') : value;
    const map = target === null ? conf.top : sectionMap(conf, target);
    const values = map.get(name);
    if (values) values.push(stored);
    else map.set(name, [stored]);
  }
  return { conf, errors };
}

function stripComment(line: string): string {
  const hash = line.indexOf('#');
  return hash === -1 ? line : line.slice(0, hash);
}

function sectionMap(conf: BitcoinConf, name: string): Map<string, string[]> {
  let map = conf.sections.get(name);
  if (!map) {
    map = new Map();
    conf.sections.set(name, map);
  }
  return map;
}

/**
 * Options the node applies only to the main network when they are set outside a section: a
 * `rpcport=` at the top of a file does not move a regtest node's port.
 */
const NETWORK_ONLY_OPTIONS = new Set(['rpcport', 'rpcbind', 'port', 'bind', 'addnode', 'connect', 'wallet']);

/** The last value of `option` that applies to `section` (a network's section name), or undefined. */
export function confValue(conf: BitcoinConf, section: string, option: string): string | undefined {
  const inSection = conf.sections.get(section)?.get(option);
  if (inSection && inSection.length > 0) return inSection[inSection.length - 1];
  if (NETWORK_ONLY_OPTIONS.has(option) && section !== 'main') return undefined;
  const top = conf.top.get(option);
  return top && top.length > 0 ? top[top.length - 1] : undefined;
}

/** Every value of `option` that applies to `section` (top-level first, then the section's). */
export function confValues(conf: BitcoinConf, section: string, option: string): string[] {
  const top = NETWORK_ONLY_OPTIONS.has(option) && section !== 'main' ? [] : (conf.top.get(option) ?? []);
  return [...top, ...(conf.sections.get(section)?.get(option) ?? [])];
}

/** Merges `extra` (an included file) into `base`; later values win, as in the node. */
export function mergeConf(base: BitcoinConf, extra: BitcoinConf): void {
  for (const [k, v] of extra.top) base.top.set(k, [...(base.top.get(k) ?? []), ...v]);
  for (const [name, map] of extra.sections) {
    const target = sectionMap(base, name);
    for (const [k, v] of map) target.set(k, [...(target.get(k) ?? []), ...v]);
  }
}
