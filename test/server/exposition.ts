// A strict reader of the Prometheus text format (version 0.0.4) for the metrics tests: the text a
// scraper gets, read back into families. In: /metrics's body. Out: each family's name, type, HELP
// and samples, or an error naming the line that breaks the format or our habits (a family declared
// twice, a sample outside its family, HELP or TYPE missing, a histogram whose buckets do not add up).

export interface Sample {
  name: string;
  labels: Record<string, string>;
  value: number;
}

export interface Family {
  name: string;
  type: string;
  help: string;
  samples: Sample[];
}

const TYPES = new Set(['counter', 'gauge', 'histogram', 'summary', 'untyped']);
const NAME = /^[a-zA-Z_:][a-zA-Z0-9_:]*$/;

export function parseExposition(text: string): Map<string, Family> {
  const families = new Map<string, Family>();
  let current: Family | null = null;
  const lines = text.split('\n');
  if (lines.pop() !== '') throw new Error('the text does not end with a newline');
  lines.forEach((line, index) => {
    const where = `line ${index + 1} (${JSON.stringify(line)})`;
    if (line === '') return;
    const comment = /^# (HELP|TYPE) (\S+) ?(.*)$/.exec(line);
    if (comment) {
      const [, kind, name, rest] = comment;
      if (!NAME.test(name)) throw new Error(`${where}: bad metric name`);
      if (current?.name !== name) {
        if (families.has(name)) throw new Error(`${where}: ${name} is declared twice`);
        current = { name, type: '', help: '', samples: [] };
        families.set(name, current);
      }
      if (kind === 'HELP') {
        if (current.help !== '') throw new Error(`${where}: a second HELP`);
        current.help = unescapeText(rest, false);
        if (current.help === '') throw new Error(`${where}: empty HELP`);
      } else {
        if (current.type !== '') throw new Error(`${where}: a second TYPE`);
        if (!TYPES.has(rest)) throw new Error(`${where}: unknown type ${rest}`);
        current.type = rest;
      }
      return;
    }
    if (line.startsWith('#')) return;
    const sample = readSample(line, where);
    if (current === null || !belongs(sample.name, current))
      throw new Error(`${where}: a sample outside its family (${current?.name ?? 'none declared'})`);
    current.samples.push(sample);
  });
  for (const family of families.values()) {
    if (family.help === '' || family.type === '') throw new Error(`${family.name}: HELP or TYPE missing`);
    if (family.type === 'histogram') checkHistogram(family);
  }
  return families;
}

/** The value of the sample with exactly these labels (none: the unlabelled one); undefined if absent. */
export function sampleValue(
  families: Map<string, Family>,
  name: string,
  labels: Record<string, string> = {},
): number | undefined {
  const family = families.get(name) ?? families.get(name.replace(/_(bucket|sum|count)$/, ''));
  const want = JSON.stringify(Object.entries(labels).sort());
  return family?.samples.find(
    (s) => s.name === name && JSON.stringify(Object.entries(s.labels).sort()) === want,
  )?.value;
}

function belongs(sampleName: string, family: Family): boolean {
  if (!sampleName.startsWith(family.name)) return false;
  const suffix = sampleName.slice(family.name.length);
  if (family.type === 'histogram') return ['_bucket', '_sum', '_count'].includes(suffix);
  if (family.type === 'summary') return ['', '_sum', '_count'].includes(suffix);
  return suffix === '';
}

function readSample(line: string, where: string): Sample {
  const match = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(\{(.*)\})? (\S+)( -?\d+)?$/.exec(line);
  if (!match) throw new Error(`${where}: not a sample`);
  return { name: match[1], labels: readLabels(match[3] ?? '', where), value: readValue(match[4], where) };
}

function readLabels(text: string, where: string): Record<string, string> {
  const labels: Record<string, string> = {};
  const pair = /\s*([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"\s*(,|$)/y;
  let at = 0;
  while (at < text.length) {
    pair.lastIndex = at;
    const match = pair.exec(text);
    if (!match) throw new Error(`${where}: bad labels`);
    if (match[1] in labels) throw new Error(`${where}: label ${match[1]} twice`);
    labels[match[1]] = unescapeText(match[2], true);
    at = pair.lastIndex;
  }
  return labels;
}

/** As Prometheus reads a value (Go's ParseFloat): NaN and Inf in any case, with an optional sign. */
function readValue(text: string, where: string): number {
  if (/^nan$/i.test(text)) return Number.NaN;
  const inf = /^([+-]?)inf$/i.exec(text);
  if (inf) return inf[1] === '-' ? Number.NEGATIVE_INFINITY : Number.POSITIVE_INFINITY;
  if (!/^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$/.test(text)) throw new Error(`${where}: bad value ${text}`);
  return Number(text);
}

function unescapeText(text: string, quotes: boolean): string {
  return text.replace(quotes ? /\\([\\n"])/g : /\\([\\n])/g, (_, c: string) => (c === 'n' ? '\n' : c));
}

/** Buckets in rising order, counts cumulative, the +Inf bucket equal to _count, for each label set. */
function checkHistogram(family: Family): void {
  const series = new Map<string, { bounds: number[]; counts: number[]; count?: number }>();
  for (const sample of family.samples) {
    const { le, ...rest } = sample.labels;
    const key = JSON.stringify(Object.entries(rest).sort());
    const one = series.get(key) ?? { bounds: [], counts: [] };
    series.set(key, one);
    if (sample.name.endsWith('_bucket')) {
      if (le === undefined) throw new Error(`${family.name}: a bucket without le`);
      one.bounds.push(readValue(le, family.name));
      one.counts.push(sample.value);
    } else if (sample.name.endsWith('_count')) one.count = sample.value;
  }
  for (const { bounds, counts, count } of series.values()) {
    for (let i = 1; i < bounds.length; i++) {
      if (!(bounds[i] > bounds[i - 1]) || counts[i] < counts[i - 1])
        throw new Error(`${family.name}: buckets out of order or not cumulative`);
    }
    if (bounds.at(-1) !== Number.POSITIVE_INFINITY || counts.at(-1) !== count)
      throw new Error(`${family.name}: the +Inf bucket is missing or differs from _count`);
  }
}
