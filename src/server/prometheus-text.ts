// Prometheus text exposition format (version 0.0.4), written by hand (pure): counters, gauges and
// cumulative histograms with HELP and TYPE lines. No dependency: the format is a few lines of text.

export type Labels = Record<string, string>;

/** A cumulative histogram: `observe(v)` counts v in every bucket whose upper bound is ≥ v. */
export class Histogram {
  readonly bounds: readonly number[];
  readonly counts: number[];
  sum = 0;
  count = 0;

  constructor(bounds: readonly number[]) {
    this.bounds = [...bounds].sort((a, b) => a - b);
    this.counts = this.bounds.map(() => 0);
  }

  observe(value: number): void {
    if (!Number.isFinite(value)) return;
    this.sum += value;
    this.count += 1;
    for (let i = 0; i < this.bounds.length; i++) if (value <= this.bounds[i]) this.counts[i] += 1;
  }
}

export class PrometheusText {
  private readonly lines: string[] = [];

  counter(name: string, help: string, value: number, labels?: Labels): this {
    return this.family(name, 'counter', help, [[labels, value]]);
  }

  gauge(name: string, help: string, value: number | null, labels?: Labels): this {
    return this.family(name, 'gauge', help, [[labels, value]]);
  }

  /** Several samples of one metric that differ by labels. */
  family(
    name: string,
    type: 'counter' | 'gauge',
    help: string,
    samples: [Labels | undefined, number | null][],
  ): this {
    this.header(name, type, help);
    for (const [labels, value] of samples) this.sample(name, labels, value);
    return this;
  }

  histogram(name: string, help: string, histogram: Histogram): this {
    this.header(name, 'histogram', help);
    histogram.bounds.forEach((bound, i) => {
      this.sample(`${name}_bucket`, { le: formatNumber(bound) }, histogram.counts[i]);
    });
    this.sample(`${name}_bucket`, { le: '+Inf' }, histogram.count);
    this.sample(`${name}_sum`, undefined, histogram.sum);
    this.sample(`${name}_count`, undefined, histogram.count);
    return this;
  }

  toString(): string {
    return `${this.lines.join('\n')}\n`;
  }

  private header(name: string, type: string, help: string): void {
    this.lines.push(`# HELP ${name} ${help.replace(/\\/g, '\\\\').replace(/\n/g, '\\n')}`);
    this.lines.push(`# TYPE ${name} ${type}`);
  }

  private sample(name: string, labels: Labels | undefined, value: number | null): void {
    const text = value === null ? 'NaN' : formatNumber(value);
    const entries = labels ? Object.entries(labels) : [];
    const labelText =
      entries.length === 0 ? '' : `{${entries.map(([k, v]) => `${k}="${escapeLabel(v)}"`).join(',')}}`;
    this.lines.push(`${name}${labelText} ${text}`);
  }
}

/** A metric name from a free-form key: letters, digits and underscores only. */
export function metricName(key: string): string {
  const cleaned = key.replace(/[^a-zA-Z0-9_]/g, '_');
  return /^[0-9]/.test(cleaned) ? `_${cleaned}` : cleaned;
}

function formatNumber(value: number): string {
  if (Number.isNaN(value)) return 'NaN';
  if (value === Number.POSITIVE_INFINITY) return '+Inf';
  if (value === Number.NEGATIVE_INFINITY) return '-Inf';
  return String(value);
}

function escapeLabel(value: string): string {
  return value.replace(/\\/g, '\\\\').replace(/\n/g, '\\n').replace(/"/g, '\\"');
}
