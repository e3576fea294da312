// CSV metric files: `timestamp,value`, wide `timestamp,a,b,...`, and long `series,timestamp,value`.
// Header names are matched loosely (ds/y, time/value, ...); every refusal names file:line. Rows
// become points as they are parsed, and a file past MAX_CSV_BYTES or MAX_CSV_VALUES is refused,
// so what a file costs in memory is bounded whatever it holds.

import { stat } from 'node:fs/promises';
import { parse } from 'csv-parse/sync';
import { InputError } from '../core/errors.js';
import type { MetricSource } from '../core/seams.js';
import type { Repair, Series, SeriesSet } from '../core/series.js';
import { MAX_ABS_VALUE, MAX_SERIES_POINTS, type RawPoint, regularize, shown } from './regularize.js';
import { type EpochUnit, epochUnitOf, parseTimestamp } from './timeparse.js';

/** Largest metric file read: 64 MiB, about two million `timestamp,value` rows. */
export const MAX_CSV_BYTES = 64 * 1024 * 1024;
/**
 * Most values (rows × series) in one file: two years of one-minute rows. A forecast fits on far
 * fewer (the most recent MAX_FIT_POINTS); this bounds what reading the file costs.
 */
export const MAX_CSV_VALUES = MAX_SERIES_POINTS;
/** Longest series name: names are printed in tables and messages. */
const MAX_NAME_LENGTH = 200;

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

export interface Row {
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

/** A column as a message names it: bare when it is a plain name (`column y`), else quoted. */
const column = (name: string) => (/^[\w.@-]{1,40}$/.test(name) ? name : shown(name, 40));

const thousands = (n: number) => n.toLocaleString('en-US');

function checkSize(file: string, bytes: number): void {
  if (bytes > MAX_CSV_BYTES) {
    throw new InputError(
      file,
      1,
      `the file is ${thousands(bytes)} bytes, more than the limit of ${thousands(MAX_CSV_BYTES)} (64 MiB) for a metric file; keep its most recent rows`,
    );
  }
}

/** Whether every line break is \r\n (true), every one \n (false), or they are mixed (undefined). */
function lineBreaks(text: string): boolean | undefined {
  let cr = 0;
  let crlf = 0;
  let lf = 0;
  for (let i = text.indexOf('\r'); i >= 0; i = text.indexOf('\r', i + 1)) {
    cr++;
    if (text.charCodeAt(i + 1) === 10) crlf++;
  }
  for (let i = text.indexOf('\n'); i >= 0; i = text.indexOf('\n', i + 1)) lf++;
  if (cr === 0) return false;
  return cr === crlf && crlf === lf ? true : undefined;
}

/**
 * csv-parse's reading of `text` (with the options forEachRow gives it) for text without quotes
 * and with one kind of line break, several times faster: false when the text needs the full
 * parser. A property test holds the two equal.
 */
export function forEachPlainRow(text: string, visit: (row: Row) => void): boolean {
  if (text.includes('"')) return false;
  const crlf = lineBreaks(text);
  if (crlf === undefined) return false;
  const eol = crlf ? '\r\n' : '\n';
  let start = text.charCodeAt(0) === 0xfeff ? 1 : 0;
  for (let line = 1; start <= text.length; line++) {
    let end = text.indexOf(eol, start);
    if (end < 0) end = text.length;
    const raw = text.slice(start, end);
    // csv-parse skips a line of only blanks, but not one with a delimiter: ", " is two fields.
    if (raw.includes(',') || raw.trim() !== '') visit({ fields: raw.split(',').map((f) => f.trim()), line });
    start = end + eol.length;
  }
  return true;
}

/** Calls `visit` for each row as it is parsed: the rows of a large file are never all held at once. */
export function forEachRow(file: string, text: string, visit: (row: Row) => void): void {
  if (!forEachPlainRow(text, visit)) forEachParsedRow(file, text, visit);
}

/** forEachRow by csv-parse, for any text (quotes, mixed line breaks). */
export function forEachParsedRow(file: string, text: string, visit: (row: Row) => void): void {
  try {
    parse(text, {
      bom: true,
      skip_empty_lines: true,
      relax_column_count: true,
      trim: true,
      on_record: (record: string[], context: { lines: number }) => {
        visit({ fields: record, line: context.lines });
        return null;
      },
    });
  } catch (err) {
    if (err instanceof InputError) throw err;
    const e = err as { lines?: number; message?: string };
    const message = String(e.message ?? err)
      .split('\n')[0]!
      .slice(0, 200)
      // eslint-disable-next-line no-control-regex
      .replace(/[\u0000-\u001f\u007f]/g, (c) => JSON.stringify(c).slice(1, -1));
    throw new InputError(file, e.lines ?? 1, `not a valid CSV file: ${message}`);
  }
}

/** A series name from a header or a cell: printable and not overlong, as tables and messages show it. */
function seriesName(file: string, line: number, name: string): string {
  if (name === '') throw new InputError(file, line, 'empty series name');
  // eslint-disable-next-line no-control-regex
  if (name.length > MAX_NAME_LENGTH || /[\u0000-\u001f\u007f]/.test(name)) {
    throw new InputError(
      file,
      line,
      `series name ${shown(name)} is not printable text of at most ${MAX_NAME_LENGTH} characters`,
    );
  }
  return name;
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
        `no time column in header ${shown(header.fields.join(','), 80)} (expected one of ${[...TIME_NAMES].join(', ')})`,
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
  const values = others.map((col) => ({ col, name: seriesName(file, header.line, header.fields[col]!) }));
  return { time, values, firstData: 1 };
}

function parseValue(file: string, text: string, line: number, name: string): number {
  if (MISSING.has(text.toLowerCase())) return Number.NaN;
  const v = Number(text);
  if (!Number.isFinite(v))
    throw new InputError(file, line, `value ${shown(text, 40)} in column ${column(name)} is not a number`);
  // Squares and sums of larger values overflow or lose every digit in the models' arithmetic.
  if (Math.abs(v) > MAX_ABS_VALUE) {
    throw new InputError(
      file,
      line,
      `value ${shown(text, 40)} in column ${column(name)} is beyond ±1e15, the limit of a metric value`,
    );
  }
  return v;
}

/**
 * Turns rows into points by series as the parser yields them: the layout is known from the
 * header and the first data row, and only points (not rows of text) are kept.
 */
class PointReader {
  readonly bySeries = new Map<string, RawPoint[]>();
  private readonly first: Row[] = [];
  private layout?: Layout;
  private header?: string[];
  private unit?: EpochUnit;
  private rows = 0;
  private values = 0;

  constructor(
    private readonly file: string,
    private readonly zone: string,
    private readonly defaultName: string,
  ) {}

  add(row: Row): void {
    if (this.layout) return this.addData(row);
    this.first.push(row);
    if (this.first.length === 2) this.start();
  }

  /** The line of the header (or of the first row, without one). */
  get headerLine(): number {
    return this.first[0]?.line ?? 1;
  }

  finish(): Map<string, RawPoint[]> {
    if (!this.layout) this.start();
    if (this.rows === 0)
      throw new InputError(this.file, this.headerLine, 'the file has a header but no data rows');
    return this.bySeries;
  }

  private start(): void {
    const layout = detectLayout(this.file, this.first, this.zone, this.defaultName);
    this.layout = layout;
    this.header = layout.firstData === 1 ? this.first[0]!.fields : undefined;
    for (const row of this.first.slice(layout.firstData)) this.addData(row);
  }

  private addData(row: Row): void {
    const { file, zone } = this;
    const layout = this.layout!;
    const tText = row.fields[layout.time] ?? '';
    this.unit ??= epochUnitOf(tText);
    const t = parseTimestamp(tText, zone, this.unit);
    if (t === undefined)
      throw new InputError(
        file,
        row.line,
        `${shown(tText, 40)} is not a timestamp (ISO-8601, "YYYY-MM-DD HH:MM:SS" or epoch seconds/ms, years 1000 to 9999)`,
      );
    this.rows++;
    this.values += layout.values.length;
    if (this.values > MAX_CSV_VALUES) {
      throw new InputError(
        file,
        row.line,
        `the file holds more than ${thousands(MAX_CSV_VALUES)} values (rows × series), the limit for a metric file; keep its most recent rows`,
      );
    }
    for (const { col, name } of layout.values) {
      const series = name ?? seriesName(file, row.line, row.fields[layout.seriesCol!] ?? '');
      const cell = row.fields[col];
      if (cell === undefined)
        throw new InputError(
          file,
          row.line,
          `row has ${row.fields.length} fields; expected ${(this.header ?? row.fields).length}`,
        );
      const v = parseValue(file, cell, row.line, this.header?.[col] ?? String(col + 1));
      const list = this.bySeries.get(series) ?? [];
      if (list.length === 0) this.bySeries.set(series, list);
      list.push({ t, v, line: row.line });
    }
  }
}

/** Parses CSV text into regular series; pure apart from nothing: the caller reads the file. */
export function parseCsv(file: string, text: string, opts: CsvOptions = {}): SeriesSet {
  return readCsv(file, text, opts).set;
}

function readCsv(file: string, text: string, opts: CsvOptions): { set: SeriesSet; headerLine: number } {
  checkSize(file, Buffer.byteLength(text));
  const zone = opts.zone ?? 'UTC';
  const maxGap = opts.maxGap ?? 6;
  const defaultName = file.replace(/^.*[\\/]/, '').replace(/\.[^.]*$/, '');
  const reader = new PointReader(file, zone, defaultName);
  forEachRow(file, text, (row) => reader.add(row));
  const bySeries = reader.finish();

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
    for (const r of out.repairs) repairs.push(r);
  }
  return { set: { series, repairs }, headerLine: reader.headerLine };
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
        `rows are not sorted by time in ${shown(name)}: ${new Date(p.t).toISOString()} is earlier than ${new Date(prev.t).toISOString()} on line ${prev.line}; sort the file or pass --sort`,
      );
    }
    if (prev && p.t === prev.t) {
      const same = p.v === prev.v || (Number.isNaN(p.v) && Number.isNaN(prev.v));
      if (!same) {
        throw new InputError(
          file,
          p.line,
          `duplicate timestamp ${new Date(p.t).toISOString()} in ${shown(name)} with a different value than line ${prev.line} (${p.v} vs ${prev.v})`,
        );
      }
      repairs.push({ series: name, kind: 'duplicate-dropped', at: p.t, count: 1 });
      continue;
    }
    out.push(p);
  }
  return out;
}

/** The first few names, enough to choose from on one line. */
function names(series: readonly Series[], most = 10): string {
  const list = series.slice(0, most).map((s) => s.name);
  return series.length > most ? `${list.join(', ')}, … ${series.length - most} more` : list.join(', ');
}

/**
 * A CSV file as a MetricSource: the query names a series, or is empty for the file's only
 * series (a file of several is refused at its header: which one is meant must be said); the
 * range filters. The file's size is checked before it is read.
 */
export class CsvSource implements MetricSource {
  constructor(
    private readonly file: string,
    private readonly read: (file: string) => Promise<string>,
    private readonly opts: CsvOptions = {},
  ) {}

  async range(query: string, start: number, end: number): Promise<SeriesSet> {
    await this.checkFileSize();
    const { set, headerLine } = readCsv(this.file, await this.read(this.file), this.opts);
    if (query === '' && set.series.length > 1) {
      throw new InputError(
        this.file,
        headerLine,
        `holds ${set.series.length} series (${names(set.series)}); choose one with --series`,
      );
    }
    const wanted = query === '' ? set.series : set.series.filter((s) => s.name === query);
    if (wanted.length === 0) {
      throw new InputError(
        this.file,
        headerLine,
        `no series named ${shown(query, 80)} (has: ${names(set.series)})`,
      );
    }
    return { series: wanted.map((s) => sliceSeries(s, start, end)), repairs: set.repairs };
  }

  /** Refuses a file too large before reading it; one that cannot be stat'ed is left to `read`. */
  private async checkFileSize(): Promise<void> {
    const size = await stat(this.file).then(
      (s) => (s.isFile() ? s.size : 0),
      () => 0,
    );
    checkSize(this.file, size);
  }
}

export function sliceSeries(s: Series, start: number, end: number): Series {
  let a = 0;
  while (a < s.timestamps.length && s.timestamps[a]! < start) a++;
  let b = s.timestamps.length;
  while (b > a && s.timestamps[b - 1]! >= end) b--;
  return { ...s, timestamps: s.timestamps.slice(a, b), values: s.values.slice(a, b) };
}
