// Node metric files for risk scoring, kept row for row (the scorer answers every input row, so
// nothing is resampled or filled): `timestamp,value` (one node, one metric), a wide
// `timestamp,cpu,memory,...` (one node, several metrics) or the long
// `node,metric,timestamp,value`. Bad rows are refused with their file and line.

import { parse } from 'csv-parse/sync';
import { InputError } from '../core/errors.js';
import { parseTimestamp } from './timeparse.js';

export interface NodeRows {
  node: string;
  /** One entry per distinct timestamp, increasing. */
  timestamps: number[];
  /** Metric name -> value per timestamp (NaN where a metric had no row at that time). */
  metrics: Record<string, Float64Array>;
  /** Input line of each timestamp's first row. */
  lines: number[];
}

export interface NodeFile {
  /** 'single' and 'wide' files hold one node; 'long' files name theirs. */
  form: 'single' | 'wide' | 'long';
  nodes: NodeRows[];
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

export function parseNodeCsv(file: string, text: string, zone = 'UTC'): NodeFile {
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
  if (nodeCol >= 0 || metricCol >= 0)
    return parseLong(file, records, zone, { timeCol, nodeCol, metricCol }, lineOf);
  const metricCols = header.map((h, i) => ({ h, i })).filter(({ i }) => i !== timeCol);
  if (!metricCols.length) throw new InputError(file, 1, 'no value column beside the timestamp');
  const timestamps: number[] = [];
  const lines: number[] = [];
  const columns = metricCols.map(() => [] as number[]);
  records.slice(1).forEach((r, k) => {
    const line = lineOf(k);
    const t = parseTime(file, line, r[timeCol]!, zone);
    const prev = timestamps.at(-1);
    if (prev !== undefined && t <= prev) {
      throw new InputError(
        file,
        line,
        t === prev ? 'duplicate timestamp' : 'timestamps go backwards: sort the file by time',
      );
    }
    timestamps.push(t);
    lines.push(line);
    metricCols.forEach(({ h, i }, c) => columns[c]!.push(parseNumber(file, line, r[i]!, h)));
  });
  const single = metricCols.length === 1;
  const metrics = Object.fromEntries(
    metricCols.map(({ h }, c) => [single ? 'value' : h, Float64Array.from(columns[c]!)]),
  );
  return { form: single ? 'single' : 'wide', nodes: [{ node: 'node', timestamps, metrics, lines }] };
}

function parseLong(
  file: string,
  records: string[][],
  zone: string,
  cols: { timeCol: number; nodeCol: number; metricCol: number },
  lineOf: (k: number) => number,
): NodeFile {
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
  const byNode = new Map<
    string,
    { rows: Map<number, Map<string, number>>; lines: Map<number, number>; last: Map<string, number> }
  >();
  records.slice(1).forEach((r, k) => {
    const line = lineOf(k);
    const node = r[nodeCol]!;
    const metric = r[metricCol]!;
    if (!node) throw new InputError(file, line, 'empty node name');
    if (!metric) throw new InputError(file, line, 'empty metric name');
    const t = parseTime(file, line, r[timeCol]!, zone);
    const v = parseNumber(file, line, r[valueCol]!, header[valueCol]!);
    let n = byNode.get(node);
    if (!n) byNode.set(node, (n = { rows: new Map(), lines: new Map(), last: new Map() }));
    const prev = n.last.get(metric);
    if (prev !== undefined && t <= prev) {
      throw new InputError(
        file,
        line,
        t === prev
          ? `duplicate timestamp for ${node} ${metric}`
          : `timestamps of ${node} ${metric} go backwards: sort by time`,
      );
    }
    n.last.set(metric, t);
    let row = n.rows.get(t);
    if (!row) {
      n.rows.set(t, (row = new Map()));
      n.lines.set(t, line);
    }
    row.set(metric, v);
  });
  const nodes = [...byNode].map(([node, n]): NodeRows => {
    const timestamps = [...n.rows.keys()].sort((a, b) => a - b);
    const names = [...n.last.keys()];
    const metrics = Object.fromEntries(
      names.map((m) => [m, Float64Array.from(timestamps, (t) => n.rows.get(t)!.get(m) ?? Number.NaN)]),
    );
    return { node, timestamps, metrics, lines: timestamps.map((t) => n.lines.get(t)!) };
  });
  return { form: 'long', nodes };
}
