// Reading the text of graph and risk files with a line for every complaint: CSV through
// csv-parse with a required header, JSON through the yaml package's JSON schema, whose node
// ranges and LineCounter map any value back to its line.

import { parse } from 'csv-parse/sync';
import { DateTime } from 'luxon';
import { type Document, isMap, isScalar, isSeq, LineCounter, parseDocument, visit } from 'yaml';
import { InputError } from '../core/errors.js';

export interface CsvRow {
  fields: string[];
  line: number;
}

type Path = readonly (string | number)[];

/** Epoch ms of an ISO time (no offset means UTC) or of epoch seconds / milliseconds; undefined otherwise. */
export function parseTime(text: string): number | undefined {
  const t = text.trim();
  // Below 1e11 a number is seconds (until the year 5138), above it milliseconds (since 1973).
  if (/^\d+(\.\d+)?$/.test(t)) return Number(t) < 1e11 ? Number(t) * 1000 : Number(t);
  if (!/^\d{4}-\d{2}-\d{2}/.test(t)) return undefined;
  const at = DateTime.fromISO(t.replace(/^(\d{4}-\d{2}-\d{2}) (\d)/, '$1T$2'), { zone: 'utc' });
  return at.isValid ? at.toMillis() : undefined;
}

/**
 * Data rows of a CSV whose header names the columns, in any order: every `required` one, any of
 * `optional`, nothing else. `col` maps each present name to its index.
 */
export function readCsv(
  file: string,
  text: string,
  required: readonly string[],
  optional: readonly string[],
): { rows: CsvRow[]; col: Record<string, number | undefined> } {
  const expected = [...required, ...optional.map((o) => `[${o}]`)].join(',');
  let records: { record: string[]; info: { lines: number } }[];
  try {
    records = parse(text, {
      bom: true,
      skip_empty_lines: true,
      relax_column_count: true,
      trim: true,
      info: true,
    }) as unknown as typeof records;
  } catch (err) {
    const e = err as { lines?: number; message?: string };
    throw new InputError(file, e.lines, `not a valid CSV file: ${String(e.message ?? err).split('\n')[0]}`);
  }
  const [header, ...data] = records;
  if (!header) throw new InputError(file, 1, `the file is empty (expected the header ${expected})`);
  const col: Record<string, number | undefined> = {};
  for (const [i, raw] of header.record.entries()) {
    const name = raw.toLowerCase();
    if (![...required, ...optional].includes(name))
      throw new InputError(
        file,
        header.info.lines,
        `unknown column ${JSON.stringify(raw)} (expected the header ${expected})`,
      );
    if (col[name] !== undefined)
      throw new InputError(file, header.info.lines, `column "${name}" appears twice`);
    col[name] = i;
  }
  const missing = required.filter((r) => col[r] === undefined);
  if (missing.length > 0)
    throw new InputError(
      file,
      header.info.lines,
      `missing column${missing.length > 1 ? 's' : ''} ${missing.map((m) => `"${m}"`).join(', ')} (expected the header ${expected})`,
    );
  const width = header.record.length;
  const rows = data.map((r) => ({ fields: r.record, line: r.info.lines }));
  for (const r of rows)
    if (r.fields.length !== width)
      throw new InputError(
        file,
        r.line,
        `expected ${width} fields (${header.record.join(',')}), found ${r.fields.length}`,
      );
  return { rows, col };
}

/** A JSON document with the line of every value; `readJson` refuses text that is not JSON. */
export class JsonText {
  constructor(
    readonly file: string,
    readonly data: unknown,
    private readonly doc: Document,
    private readonly lines: LineCounter,
  ) {}

  /** Line of the value at `path`, or of its nearest ancestor that exists. */
  line(path: Path): number {
    let node: unknown = this.doc.contents;
    let line = this.lineOf(node) ?? 1;
    for (const step of path) {
      if (isMap(node))
        node = node.items.find((p) => isScalar(p.key) && String(p.key.value) === String(step))?.value;
      else if (isSeq(node)) node = node.items[Number(step)];
      else break;
      const here = this.lineOf(node);
      if (here === undefined) break;
      line = here;
    }
    return line;
  }

  fail(path: Path, detail: string): InputError {
    return new InputError(this.file, this.line(path), detail);
  }

  at(path: Path): unknown {
    return path.reduce<unknown>(
      (v, step) => (v as Record<string | number, unknown> | undefined)?.[step],
      this.data,
    );
  }

  /** The object at `path`, refusing any field but `fields`. */
  object(path: Path, label: string, fields: readonly string[]): Record<string, unknown> {
    const v = this.at(path);
    if (typeof v !== 'object' || v === null || Array.isArray(v))
      throw this.fail(path, `${label} must be an object like {"${fields[0]}": ...}`);
    const unknown = Object.keys(v).find((k) => !fields.includes(k));
    if (unknown !== undefined)
      throw this.fail(
        [...path, unknown],
        `${label}: unknown field "${unknown}" (fields are ${fields.join(', ')})`,
      );
    return v as Record<string, unknown>;
  }

  list(path: Path, label: string): unknown[] {
    const v = this.at(path);
    if (!Array.isArray(v)) throw this.fail(path, `${label} must be a list [...]`);
    return v;
  }

  text(path: Path, label: string, required = false): string | undefined {
    const v = this.at(path);
    const key = String(path[path.length - 1]);
    if (v === undefined) {
      if (required) throw this.fail(path.slice(0, -1), `${label}: missing "${key}"`);
      return undefined;
    }
    if (typeof v !== 'string') throw this.fail(path, `${label}: "${key}" must be text in quotes`);
    return v;
  }

  number(path: Path, label: string): number | undefined {
    const v = this.at(path);
    if (v === undefined) return undefined;
    if (typeof v !== 'number') throw this.fail(path, `${label}: "${path[path.length - 1]}" must be a number`);
    return v;
  }

  private lineOf(node: unknown): number | undefined {
    const range = (node as { range?: [number, number, number] } | null | undefined)?.range;
    return range ? this.lines.linePos(range[0]).line : undefined;
  }
}

/** Parses JSON (read as YAML's JSON schema, so a syntax error has a line); `expected` describes an empty file's fix. */
export function readJson(file: string, text: string, expected: string): JsonText {
  const lines = new LineCounter();
  const doc = parseDocument(text, {
    lineCounter: lines,
    prettyErrors: false,
    uniqueKeys: true,
    schema: 'json',
  });
  const broken = doc.errors[0];
  if (broken) {
    const why =
      broken.code === 'DUPLICATE_KEY' ? 'a key appears twice in one object' : broken.message.split('\n')[0];
    throw new InputError(file, lines.linePos(broken.pos[0]).line, `not valid JSON: ${why}`);
  }
  const stray = notJson(doc, text);
  if (stray) throw new InputError(file, lines.linePos(stray.at).line, `not valid JSON: ${stray.why}`);
  const data: unknown = doc.toJS();
  if (data === null || data === undefined)
    throw new InputError(file, 1, `the file is empty (expected ${expected})`);
  return new JsonText(file, data, doc, lines);
}

/** YAML the JSON schema still lets through: single quotes, line breaks inside strings, indented blocks. */
function notJson(doc: Document, text: string): { at: number; why: string } | undefined {
  let found: { at: number; why: string } | undefined;
  const collection = (_: unknown, node: { flow?: boolean; range?: [number, number, number] | null }) => {
    if (node.flow) return undefined;
    found = { at: node.range?.[0] ?? 0, why: 'objects and lists need braces and brackets' };
    return visit.BREAK;
  };
  visit(doc, {
    Map: collection,
    Seq: collection,
    Scalar(_, node) {
      const [start, end] = node.range ?? [0, 0];
      if (node.type === 'QUOTE_DOUBLE' && text.slice(start, end).includes('\n'))
        found = { at: start, why: 'a string runs past the end of its line (missing closing quote?)' };
      else if (node.type !== 'QUOTE_DOUBLE' && node.type !== 'PLAIN')
        found = { at: start, why: 'strings take double quotes' };
      return found ? visit.BREAK : undefined;
    },
  });
  return found;
}
