// Node metric files for risk scoring, kept row for row (the scorer answers every input row, so
// nothing is resampled or filled): `timestamp,value` (one node, one metric), a wide
// `timestamp,cpu,memory,...` (one node, several metrics) or the long
// `node,metric,timestamp,value`. Bad rows are refused with their file and line.
//
// Time order: by default a row that goes back in time or repeats a time is refused, since
// `risk train` and `run` read the file as a series. With `unsorted: 'sort'` (what `risk score`
// asks for: real exports cross clock changes and get merged) each series is put in time order,
// stably, so rows at one time stay in input order as consecutive samples; `lines` leads back to
// the input order and `disorder` counts what had to be moved, for one warning per file.

import { parse } from 'csv-parse/sync';
import { InputError } from '../core/errors.js';
import { parseTimestamp } from './timeparse.js';

export interface NodeRows {
  node: string;
  /** One entry per sample, in time order: equal only where the input repeats a time. */
  timestamps: number[];
  /** Metric name -> value per sample (NaN where a metric had no row in that sample). */
  metrics: Record<string, Float64Array>;
  /** Input line of each sample's first row: increasing in input order, so it leads back there. */
  lines: number[];
  /** The node's zone, when its source says (a series label). */
  zone?: string;
}

/** A node read from a file: each sample's timestamp cell too, for output joined back to the input. */
export interface FileNodeRows extends NodeRows {
  /** The timestamp cell of each sample's first row, as written (trimmed, unquoted). */
  stamps: string[];
}

/** How many rows broke time order in some series, and where the first one is. */
export interface Tally {
  rows: number;
  firstLine: number | undefined;
}

/** Rows moved to put each series (the file, or a node's metric in the long form) in time order. */
export interface Disorder {
  /** Rows earlier than some row above them. */
  backwards: Tally;
  /** Rows at the time of some row above them (a row may be both). */
  duplicates: Tally;
}

export interface NodeFile {
  /** 'single' and 'wide' files hold one node; 'long' files name theirs. */
  form: 'single' | 'wide' | 'long';
  /** In the order of their first row. */
  nodes: FileNodeRows[];
  /** Always zero unless `unsorted: 'sort'`: otherwise the first such row is refused. */
  disorder: Disorder;
}

export interface NodeCsvOptions {
  /** 'refuse' (default): a row back in time or at a repeated time is refused. 'sort': see above. */
  unsorted?: 'refuse' | 'sort';
}

const TIME = /^(timestamp|time|ts|ds|date|datetime)$/i;
const NODE = /^(node|host|instance|machine)$/i;
const METRIC = /^(metric|name|resource)$/i;

function parseNumber(file: string, line: number, text: string, column: string): number {
  const v = text.trim() === '' ? Number.NaN : Number(text);
  if (!Number.isFinite(v)) throw new InputError(file, line, `${column} "${text}" is not a number`);
  return v;
}

function parseTime(file: string, line: number, text: string, zone: string): number {
  const t = parseTimestamp(text, zone);
  if (t === undefined) {
    throw new InputError(
      file,
      line,
      `timestamp "${text}" is not ISO-8601, YYYY-MM-DD HH:MM:SS or epoch time`,
    );
  }
  return t;
}

/** Every record of a CSV file, header first; a malformed file is refused with its line. */
export function csvRecords(file: string, text: string): string[][] {
  return csvRows(file, text).map((r) => r.fields);
}

/** csvRecords with each record's line in the file (blank lines skipped still count). */
export function csvRows(file: string, text: string): { fields: string[]; line: number }[] {
  // csv-parse's record info (for line numbers) is the slowest part of a parse. Where no quote can
  // make a record span lines, each record is a non-blank line and its number comes cheap; anything
  // unexpected (a count that differs, an error) goes the careful way, which also words the error.
  if (!text.includes('"')) {
    try {
      const records = parse(text, { skip_empty_lines: true, trim: true }) as string[][];
      const lines = nonBlankLines(text, records.length);
      if (lines) return records.map((fields, k) => ({ fields, line: lines[k]! }));
    } catch {
      // Reported below, with its line.
    }
  }
  try {
    const records = parse(text, { skip_empty_lines: true, trim: true, info: true }) as unknown as {
      record: string[];
      info: { lines: number };
    }[];
    return records.map((r) => ({ fields: r.record, line: r.info.lines }));
  } catch (err) {
    const e = err as { lines?: number; message: string };
    throw new InputError(file, e.lines, `malformed CSV: ${e.message.replace(/^.*?: /, '')}`);
  }
}

/** The 1-based numbers of the lines with more than blanks, if there are exactly `expected` of them. */
function nonBlankLines(text: string, expected: number): number[] | undefined {
  const out: number[] = [];
  let line = 1;
  for (let start = 0; start <= text.length; line++) {
    let end = text.indexOf('\n', start);
    if (end < 0) end = text.length;
    if (/\S/.test(text.slice(start, end))) out.push(line);
    if (out.length > expected) return undefined;
    start = end + 1;
  }
  return out.length === expected ? out : undefined;
}

export function parseNodeCsv(
  file: string,
  text: string,
  zone = 'UTC',
  options: NodeCsvOptions = {},
): NodeFile {
  const rows = csvRows(file, text);
  const records = rows.map((r) => r.fields);
  /** The file line of data record k (0-based, after the header): blank lines count. */
  const lineOf = (k: number) => rows[k + 1]!.line;
  const header = records[0];
  if (!header) throw new InputError(file, 1, 'empty file: expected a header like timestamp,value');
  if (records.length < 2) throw new InputError(file, 2, 'no data rows after the header');
  const timeCol = header.findIndex((h) => TIME.test(h));
  const nodeCol = header.findIndex((h) => NODE.test(h));
  const metricCol = header.findIndex((h) => METRIC.test(h));
  if (timeCol < 0)
    throw new InputError(file, 1, `no time column in header "${header.join(',')}"; name one timestamp`);
  const read: Reading = { file, zone, lineOf, refuse: options.unsorted !== 'sort', disorder: noDisorder() };
  if (nodeCol >= 0 || metricCol >= 0) return parseLong(read, records, { timeCol, nodeCol, metricCol });
  return parseSeries(read, records, timeCol);
}

/** What every row of one file is read with. */
interface Reading {
  file: string;
  zone: string;
  lineOf: (k: number) => number;
  /** Refuse rows out of time order (the default) rather than sort them. */
  refuse: boolean;
  disorder: Disorder;
}

const noDisorder = (): Disorder => ({
  backwards: { rows: 0, firstLine: undefined },
  duplicates: { rows: 0, firstLine: undefined },
});

/**
 * One series' time order, row by row: a row earlier than the latest so far goes backwards, one
 * whose time occurred before repeats it. Counted when sorting, refused otherwise.
 */
class TimeOrder {
  private latest = -Infinity;

  constructor(
    private readonly read: Reading,
    /** The series as a refusal names it: `${node} ${metric}` in the long form, '' for a file. */
    private readonly series: string,
  ) {}

  check(t: number, line: number, repeat: boolean): void {
    const back = t < this.latest;
    if (this.read.refuse && (back || repeat)) throw new InputError(this.read.file, line, this.refusal(back));
    if (back) count(this.read.disorder.backwards, line);
    if (repeat) count(this.read.disorder.duplicates, line);
    this.latest = Math.max(this.latest, t);
  }

  private refusal(back: boolean): string {
    if (!this.series) return back ? 'timestamps go backwards: sort the file by time' : 'duplicate timestamp';
    return back
      ? `timestamps of ${this.series} go backwards: sort by time`
      : `duplicate timestamp for ${this.series}`;
  }
}

function count(tally: Tally, line: number): void {
  tally.rows++;
  tally.firstLine ??= line;
}

/** Indices of `values` in increasing order; equal values keep their order (Array#sort is stable). */
function sortedIndices(values: readonly number[]): number[] {
  return values.map((_, i) => i).sort((a, b) => values[a]! - values[b]!);
}

const pick = <T>(values: readonly T[], order: readonly number[]): T[] => order.map((i) => values[i]!);

/** Sample indices in input order (their first rows' lines): the way back from time order. */
export function inputOrder(node: Pick<NodeRows, 'lines'>): number[] {
  return sortedIndices(node.lines);
}

/** A single or wide file: one node, one sample per row. */
function parseSeries(read: Reading, records: string[][], timeCol: number): NodeFile {
  const { file, zone, lineOf } = read;
  const header = records[0]!;
  const metricCols = header.map((h, i) => ({ h, i })).filter(({ i }) => i !== timeCol);
  if (!metricCols.length) throw new InputError(file, 1, 'no value column beside the timestamp');
  const timestamps: number[] = [];
  const lines: number[] = [];
  const stamps: string[] = [];
  const columns = metricCols.map(() => [] as number[]);
  const order = new TimeOrder(read, '');
  const seen = new Set<number>();
  records.slice(1).forEach((r, k) => {
    const line = lineOf(k);
    const t = parseTime(file, line, r[timeCol]!, zone);
    order.check(t, line, seen.has(t));
    seen.add(t);
    timestamps.push(t);
    lines.push(line);
    stamps.push(r[timeCol]!);
    metricCols.forEach(({ h, i }, c) => columns[c]!.push(parseNumber(file, line, r[i]!, h)));
  });
  const byTime = sortedIndices(timestamps);
  const single = metricCols.length === 1;
  const metrics = Object.fromEntries(
    metricCols.map(({ h }, c) => [single ? 'value' : h, Float64Array.from(byTime, (i) => columns[c]![i]!)]),
  );
  const node = {
    node: 'node',
    timestamps: pick(timestamps, byTime),
    metrics,
    lines: pick(lines, byTime),
    stamps: pick(stamps, byTime),
  };
  return { form: single ? 'single' : 'wide', nodes: [node], disorder: read.disorder };
}

/** One sample of a long-form node: its k-th row of each metric at one time. */
interface Sample {
  t: number;
  line: number;
  stamp: string;
  values: Map<string, number>;
}

interface LongNode {
  /** In the input order of their first rows. */
  samples: Sample[];
  /** The samples at each time, the k-th holding each metric's k-th row at that time. */
  atTime: Map<number, Sample[]>;
  /** Each metric's time order, in the order the metrics first appear. */
  order: Map<string, TimeOrder>;
}

/** The index at `t` of the sample a row of `metric` joins: the first there without the metric. */
function slotFor(at: readonly Sample[], metric: string): number {
  // A metric's rows at one time fill the samples there in turn, so those holding it are a
  // prefix: a binary search, not a scan, keeps a file of one repeated time from going quadratic.
  let lo = 0;
  let hi = at.length;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (at[mid]!.values.has(metric)) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

function parseLong(
  read: Reading,
  records: string[][],
  cols: { timeCol: number; nodeCol: number; metricCol: number },
): NodeFile {
  const { file, zone, lineOf } = read;
  const header = records[0]!;
  const { timeCol, nodeCol, metricCol } = cols;
  if (nodeCol < 0 || metricCol < 0) {
    throw new InputError(
      file,
      1,
      `the long form needs node,metric,timestamp,value; header is "${header.join(',')}"`,
    );
  }
  const valueCol = header.findIndex((_, i) => i !== timeCol && i !== nodeCol && i !== metricCol);
  if (valueCol < 0 || header.length !== 4) {
    throw new InputError(
      file,
      1,
      `the long form needs exactly node,metric,timestamp,value; header is "${header.join(',')}"`,
    );
  }
  const byNode = new Map<string, LongNode>();
  records.slice(1).forEach((r, k) => {
    const line = lineOf(k);
    const node = r[nodeCol]!;
    const metric = r[metricCol]!;
    if (!node) throw new InputError(file, line, 'empty node name');
    if (!metric) throw new InputError(file, line, 'empty metric name');
    const t = parseTime(file, line, r[timeCol]!, zone);
    const v = parseNumber(file, line, r[valueCol]!, header[valueCol]!);
    let n = byNode.get(node);
    if (!n) byNode.set(node, (n = { samples: [], atTime: new Map(), order: new Map() }));
    let order = n.order.get(metric);
    if (!order) n.order.set(metric, (order = new TimeOrder(read, `${node} ${metric}`)));
    let at = n.atTime.get(t);
    if (!at) n.atTime.set(t, (at = []));
    const slot = slotFor(at, metric);
    order.check(t, line, slot > 0);
    if (slot === at.length) {
      const sample: Sample = { t, line, stamp: r[timeCol]!, values: new Map() };
      at.push(sample);
      n.samples.push(sample);
    }
    at[slot]!.values.set(metric, v);
  });
  const nodes = [...byNode].map(([node, n]) => longNodeRows(node, n));
  return { form: 'long', nodes, disorder: read.disorder };
}

function longNodeRows(node: string, n: LongNode): FileNodeRows {
  // Stable: samples at one time were made in turn (k-th before k+1-th), so they stay that way.
  const samples = [...n.samples].sort((a, b) => a.t - b.t);
  const metrics = Object.fromEntries(
    [...n.order.keys()].map((m) => [m, Float64Array.from(samples, (s) => s.values.get(m) ?? Number.NaN)]),
  );
  return {
    node,
    timestamps: samples.map((s) => s.t),
    metrics,
    lines: samples.map((s) => s.line),
    stamps: samples.map((s) => s.stamp),
  };
}
