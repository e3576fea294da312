// CSV metric files: `timestamp,value`, wide `timestamp,a,b,...`, and long `series,timestamp,value`.
// Header names are matched loosely (ds/y, time/value, ...); every refusal names file:line.

import { parse } from 'csv-parse/sync';
import { InputError } from '../core/errors.js';
import type { MetricSource } from '../core/seams.js';
import type { Repair, Series, SeriesSet } from '../core/series.js';
import { type RawPoint, regularize } from './regularize.js';
import { type EpochUnit, epochUnitOf, parseTimestamp } from './timeparse.js';

export interface CsvOptions {
  /** IANA zone for timestamps without an offset; default UTC. */
  zone?: string;
  /** Longest run of missing points filled by interpolation; default 6. */
  maxGap?: number;
  /** Sort rows by time before checking order (for files written newest-first). */
  sort?: boolean;
}

const TIME_NAMES = new Set([
  'timestamp',
  'time',
  'ts',
  'ds',
  'date',
  'datetime',
  't',
  '_time',
  '@timestamp',
  'period',
]);
const VALUE_NAMES = new Set([
  'value',
  'y',
  'val',
  'v',
  'count',
  'demand',
  'requests',
  'load',
  'metric_value',
]);
const SERIES_NAMES = new Set(['series', 'name', 'pool', 'node', 'id', 'metric', 'key']);
const MISSING = new Set(['', 'na', 'nan', 'null', 'none', '-']);

interface Row {
  fields: string[];
  line: number;
}

interface Layout {
  time: number;
  /** Column holding the series name in long form. */
  seriesCol?: number;
  /** Value columns, with the series name each one feeds (wide form) or undefined (long form). */
  values: { col: number; name?: string }[];
  firstData: number;
}

function readRows(file: string, text: string): Row[] {
  try {
    const records = parse(text, {
      bom: true,
      skip_empty_lines: true,
      relax_column_count: true,
      trim: true,
      info: true,
    }) as unknown as { record: string[]; info: { lines: number } }[];
    return records.map((r) => ({ fields: r.record, line: r.info.lines }));
  } catch (err) {
    const e = err as { lines?: number; message?: string };
    throw new InputError(file, e.lines, `not a valid CSV file: ${String(e.message ?? err).split('\n')[0]}`);
  }
}

function detectLayout(file: string, rows: Row[], zone: string, defaultName: string): Layout {
  const header = rows[0];
  if (!header) throw new InputError(file, 1, 'the file is empty');
  const names = header.fields.map((f) => f.toLowerCase());
  const looksLikeData = parseTimestamp(header.fields[0] ?? '', zone) !== undefined;
  if (looksLikeData) {
    if (header.fields.length !== 2) {
      throw new InputError(file, header.line, 'no header row: expected a header such as "timestamp,value"');
    }
    return { time: 0, values: [{ col: 1, name: defaultName }], firstData: 0 };
  }
  let time = names.findIndex((n) => TIME_NAMES.has(n));
  const seriesCol = names.findIndex((n, i) => i !== time && SERIES_NAMES.has(n));
  const valueCol = names.findIndex((n, i) => i !== time && i !== seriesCol && VALUE_NAMES.has(n));
  if (time < 0) {
    // Unknown names: accept when the first column of the first data row is a timestamp.
    const first = rows[1]?.fields[0];
    if (first !== undefined && parseTimestamp(first, zone) !== undefined) time = 0;
    else {
      throw new InputError(
        file,
        header.line,
        `no time column in header "${header.fields.join(',')}" (expected one of ${[...TIME_NAMES].join(', ')})`,
      );
    }
  }
  if (seriesCol >= 0 && names.length === 3) {
    const col = valueCol >= 0 ? valueCol : [0, 1, 2].find((i) => i !== time && i !== seriesCol)!;
    return { time, seriesCol, values: [{ col }], firstData: 1 };
  }
  const others = header.fields.map((_, i) => i).filter((i) => i !== time);
  if (others.length === 0) throw new InputError(file, header.line, 'no value column');
  if (others.length === 1) return { time, values: [{ col: others[0]!, name: defaultName }], firstData: 1 };
  return { time, values: others.map((col) => ({ col, name: header.fields[col]! })), firstData: 1 };
}

function parseValue(file: string, text: string, line: number, column: string): number {
  if (MISSING.has(text.toLowerCase())) return Number.NaN;
  const v = Number(text);
  if (!Number.isFinite(v))
    throw new InputError(file, line, `value "${text}" in column ${column} is not a number`);
  return v;
}

/** Parses CSV text into regular series; pure apart from nothing: the caller reads the file. */
export function parseCsv(file: string, text: string, opts: CsvOptions = {}): SeriesSet {
  const zone = opts.zone ?? 'UTC';
  const maxGap = opts.maxGap ?? 6;
  const rows = readRows(file, text);
  const defaultName = file.replace(/^.*[\\/]/, '').replace(/\.[^.]*$/, '');
  const layout = detectLayout(file, rows, zone, defaultName);
  const data = rows.slice(layout.firstData);
  if (data.length === 0) throw new InputError(file, rows[0]?.line, 'the file has a header but no data rows');

  let unit: EpochUnit | undefined;
  const bySeries = new Map<string, RawPoint[]>();
  const header = layout.firstData === 1 ? rows[0]!.fields : undefined;
  for (const row of data) {
    const tText = row.fields[layout.time] ?? '';
    unit ??= epochUnitOf(tText);
    const t = parseTimestamp(tText, zone, unit);
    if (t === undefined)
      throw new InputError(
        file,
        row.line,
        `"${tText}" is not a timestamp (ISO-8601, "YYYY-MM-DD HH:MM:SS" or epoch seconds/ms)`,
      );
    for (const { col, name } of layout.values) {
      const seriesName = name ?? row.fields[layout.seriesCol!] ?? '';
      if (seriesName === '') throw new InputError(file, row.line, 'empty series name');
      const cell = row.fields[col];
      if (cell === undefined)
        throw new InputError(
          file,
          row.line,
          `row has ${row.fields.length} fields; expected ${(header ?? row.fields).length}`,
        );
      const v = parseValue(file, cell, row.line, header?.[col] ?? String(col + 1));
      const list = bySeries.get(seriesName) ?? [];
      if (list.length === 0) bySeries.set(seriesName, list);
      list.push({ t, v, line: row.line });
    }
  }

  const series: Series[] = [];
  const repairs: Repair[] = [];
  for (const [name, points] of bySeries) {
    if (opts.sort) points.sort((a, b) => a.t - b.t || a.line - b.line);
    const deduped = checkOrder(file, name, points, repairs);
    const fail = (line: number, message: string): never => {
      throw new InputError(file, line, message);
    };
    const out = regularize(deduped, { name, maxGap, fail });
    out.series.source = { file, firstLine: deduped[0]!.line, lastLine: deduped[deduped.length - 1]!.line };
    series.push(out.series);
    repairs.push(...out.repairs);
  }
  return { series, repairs };
}

/** Refuses time going backwards and conflicting duplicates; drops exact duplicates (reported). */
function checkOrder(file: string, name: string, points: RawPoint[], repairs: Repair[]): RawPoint[] {
  const out: RawPoint[] = [];
  for (const p of points) {
    const prev = out[out.length - 1];
    if (prev && p.t < prev.t) {
      throw new InputError(
        file,
        p.line,
        `rows are not sorted by time in "${name}": ${new Date(p.t).toISOString()} is earlier than ${new Date(prev.t).toISOString()} on line ${prev.line}; sort the file or pass --sort`,
      );
    }
    if (prev && p.t === prev.t) {
      const same = p.v === prev.v || (Number.isNaN(p.v) && Number.isNaN(prev.v));
      if (!same) {
        throw new InputError(
          file,
          p.line,
          `duplicate timestamp ${new Date(p.t).toISOString()} in "${name}" with a different value than line ${prev.line} (${p.v} vs ${prev.v})`,
        );
      }
      repairs.push({ series: name, kind: 'duplicate-dropped', at: p.t, count: 1 });
      continue;
    }
    out.push(p);
  }
  return out;
}

/** A CSV file as a MetricSource: the query names a series (empty = all), the range filters. */
export class CsvSource implements MetricSource {
  constructor(
    private readonly file: string,
    private readonly read: (file: string) => Promise<string>,
    private readonly opts: CsvOptions = {},
  ) {}

  async range(query: string, start: number, end: number): Promise<SeriesSet> {
    const set = parseCsv(this.file, await this.read(this.file), this.opts);
    const wanted = query === '' ? set.series : set.series.filter((s) => s.name === query);
    if (wanted.length === 0) {
      throw new InputError(
        this.file,
        undefined,
        `no series named "${query}" (has: ${set.series.map((s) => s.name).join(', ')})`,
      );
    }
    return { series: wanted.map((s) => sliceSeries(s, start, end)), repairs: set.repairs };
  }
}

export function sliceSeries(s: Series, start: number, end: number): Series {
  let a = 0;
  while (a < s.timestamps.length && s.timestamps[a]! < start) a++;
  let b = s.timestamps.length;
  while (b > a && s.timestamps[b - 1]! >= end) b--;
  return { ...s, timestamps: s.timestamps.slice(a, b), values: s.values.slice(a, b) };
}
