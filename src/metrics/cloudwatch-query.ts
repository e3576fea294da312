// The text form of CloudWatch queries, parsed strictly so a typo fails before any request:
// `Namespace:Metric{Dim=Value,...}:Stat` for one metric, `expr:...` or `SELECT ...` for a metric
// math expression or a Metrics Insights query; `;` joins parts, `id=` names one. No SDK here.

import { UsageError } from '../core/errors.js';

/** One metric and statistic (a GetMetricData MetricStat). */
export interface MetricPart {
  kind: 'metric';
  /** The series name: the explicit id, else the part in canonical form. */
  name: string;
  /** The GetMetricData query Id: the explicit one, else `q<n>` (n the part's position from 1). */
  id: string;
  namespace: string;
  metric: string;
  /** In the order written; names are unique. */
  dimensions: { name: string; value: string }[];
  /** Canonical spelling: `Average`, `p99`, `TM(10%:90%)`... */
  stat: string;
  /** False when an expression of the same query uses this part's id (fetched, not returned). */
  returnData: boolean;
}

/** A metric math expression, or a Metrics Insights query (`SELECT ...`). */
export interface ExpressionPart {
  kind: 'expression';
  /** The series name: the explicit id, else the expression as written. */
  name: string;
  id: string;
  expression: string;
  insights: boolean;
  returnData: boolean;
}

export type CloudWatchQueryPart = MetricPart | ExpressionPart;

/** GetMetricData takes at most this many queries in one call. */
export const MAX_QUERIES = 500;
const MAX_DIMENSIONS = 30;
const ID = /^[a-z][A-Za-z0-9_]*$/;
/** Characters that end an unquoted name; inside braces a value ends only at `,` or `}`. */
const NAME_STOPS = ':{}=,;"';
const VALUE_STOPS = ',{}"';

const BASIC_STATS = ['SampleCount', 'Average', 'Sum', 'Minimum', 'Maximum', 'IQM'];
const STAT_HINTS: Record<string, string> = {
  avg: 'Average',
  mean: 'Average',
  min: 'Minimum',
  max: 'Maximum',
  count: 'SampleCount',
  total: 'Sum',
};
const STAT_FORMS = `${BASIC_STATS.join(', ')}, pNN, tmNN, wmNN, tcNN, tsNN (NN a percentile such as 99 or 99.9) or TM(a:b), WM(a:b), TC(a:b), TS(a:b), PR(a:b)`;

/** A refusal naming the query; `at` is a 0-based offset into the whole query, shown 1-based. */
function refuse(query: string, detail: string, at?: number): UsageError {
  const where = at === undefined ? '' : ` at column ${at + 1}`;
  return new UsageError(`CloudWatch query ${JSON.stringify(query)}${where}: ${detail}`);
}

/**
 * Parses a query string into GetMetricData parts, refusing (UsageError naming the query and the
 * column) anything malformed: bad ids, unknown statistics, missing dimension values, more than
 * one Metrics Insights query, more than 500 parts. See the README's "CloudWatch" section.
 */
export function parseCloudWatchQuery(query: string): CloudWatchQueryPart[] {
  if (query.trim() === '') throw refuse(query, 'the query is empty');
  const parts = splitParts(query).map((p, i) => parsePart(query, p.text, p.offset, i));
  if (parts.length > MAX_QUERIES)
    throw refuse(query, `${parts.length} parts; GetMetricData takes at most ${MAX_QUERIES}`);
  const explicit = new Map<string, number>();
  for (const [i, p] of parts.entries()) {
    if (p.id === undefined) continue;
    if (explicit.has(p.id)) throw refuse(query, `id "${p.id}" names two parts`, p.start);
    explicit.set(p.id, i);
  }
  const insights = parts.filter((p) => p.body.kind === 'expression' && p.body.insights);
  if (insights.length > 1)
    throw refuse(
      query,
      'GetMetricData takes one Metrics Insights (SELECT) query per call',
      insights[1]!.offset,
    );
  const used = usedIds(parts, explicit);
  const out = parts.map((p, i): CloudWatchQueryPart => {
    const id = p.id ?? generatedId(i, explicit);
    const returnData = p.id === undefined || !used.has(p.id);
    if (p.body.kind === 'metric') return { ...p.body, id, name: p.id ?? formatMetric(p.body), returnData };
    return { ...p.body, id, name: p.id ?? p.body.expression, returnData };
  });
  if (!out.some((p) => p.returnData))
    throw refuse(query, 'every part is used by an expression, so nothing would be returned');
  return out;
}

/** `q<n>`, lengthened with `_` until no explicit id takes it. */
function generatedId(index: number, explicit: ReadonlyMap<string, number>): string {
  let id = `q${index + 1}`;
  while (explicit.has(id)) id += '_';
  return id;
}

/** Explicit ids that a math expression of another part refers to (words outside quotes). */
function usedIds(parts: readonly RawPart[], explicit: ReadonlyMap<string, number>): Set<string> {
  const used = new Set<string>();
  for (const p of parts) {
    if (p.body.kind !== 'expression' || p.body.insights) continue;
    const bare = p.body.expression.replace(/"(?:[^"\\]|\\.)*"|'(?:[^'\\]|\\.)*'/g, ' ');
    for (const word of bare.match(/[A-Za-z_][A-Za-z0-9_]*/g) ?? [])
      if (word !== p.id && explicit.has(word)) used.add(word);
  }
  return used;
}

interface RawPart {
  id?: string;
  /** Where the part starts (its id, when it has one) and where its body starts. */
  start: number;
  offset: number;
  body: Omit<MetricPart, 'id' | 'name' | 'returnData'> | Omit<ExpressionPart, 'id' | 'name' | 'returnData'>;
}

const EXPRESSION_START = /^\s*(?:[a-z][A-Za-z0-9_]*\s*=\s*)?(?:expr:|select\s)/i;

/** Splits at `;` outside quotes and braces; only expressions quote with `'` as well as `"`. */
function splitParts(query: string): { text: string; offset: number }[] {
  const parts: { text: string; offset: number }[] = [];
  let start = 0;
  while (start <= query.length) {
    const quotes = EXPRESSION_START.test(query.slice(start)) ? `"'` : '"';
    let quote = '';
    let quoteAt = 0;
    let depth = 0;
    let i = start;
    for (; i < query.length; i++) {
      const c = query[i]!;
      if (quote) {
        if (c === '\\') i++;
        else if (c === quote) quote = '';
      } else if (quotes.includes(c)) {
        quote = c;
        quoteAt = i;
      } else if (c === '{') depth++;
      else if (c === '}') depth = Math.max(0, depth - 1);
      else if (c === ';' && depth === 0) break;
    }
    if (quote) throw refuse(query, `the quote ${quote} is never closed`, quoteAt);
    parts.push({ text: query.slice(start, i), offset: start });
    start = i + 1;
  }
  return parts;
}

function parsePart(query: string, text: string, offset: number, index: number): RawPart {
  const lead = text.length - text.trimStart().length;
  if (text.trim() === '') {
    // Point at the stray ';': the one before this part, or after it when it is the first.
    const semicolon = index > 0 ? offset - 1 : offset + text.length;
    throw refuse(query, `part ${index + 1} is empty (a stray ';'?)`, semicolon);
  }
  const start = offset + lead;
  let at = start;
  let id: string | undefined;
  const named = /^([^\s=:{}";']+)\s*=(?!=)\s*/.exec(text.trimStart());
  if (named) {
    if (!ID.test(named[1]!))
      throw refuse(
        query,
        `"${named[1]}" is not a valid id (a lowercase letter, then letters, digits or _)`,
        at,
      );
    id = named[1]!;
    at += named[0].length;
  }
  const body = query.slice(at, offset + text.length);
  const expr = /^expr:/i.exec(body);
  if (expr || /^select\s/i.test(body)) {
    const expression = (expr ? body.slice(expr[0].length) : body).trim();
    if (expression === '') throw refuse(query, 'expr: needs an expression after it', at);
    return {
      id,
      start,
      offset: at,
      body: { kind: 'expression', expression, insights: /^select\s/i.test(expression) },
    };
  }
  return { id, start, offset: at, body: parseMetric(query, new Cursor(query, at, offset + text.length)) };
}

function parseMetric(query: string, c: Cursor): RawPart['body'] {
  const namespace = c.word(NAME_STOPS, 'a namespace (such as AWS/EC2)');
  if (!c.eat(':'))
    throw refuse(
      query,
      c.done()
        ? `expected Namespace:Metric{Dimension=Value,...}:Statistic, or expr: or SELECT for an expression`
        : `expected ':' after the namespace, found ${c.show()}`,
      c.pos,
    );
  const metric = c.word(NAME_STOPS, 'a metric name');
  const dimensions = c.peek() === '{' ? parseDimensions(query, c) : [];
  if (!c.eat(':'))
    throw refuse(
      query,
      c.done()
        ? `missing ':' and a statistic after the metric (such as :Average or :p99)`
        : `expected ':' and a statistic after the metric, found ${c.show()}`,
      c.pos,
    );
  const statAt = c.pos;
  const written = c.rest().trim();
  if (written === '') throw refuse(query, 'missing the statistic after ":" (such as Average or p99)', statAt);
  const stat = normalizeStat(written);
  if (typeof stat !== 'string') throw refuse(query, stat.problem, statAt);
  return { kind: 'metric', namespace, metric, dimensions, stat };
}

function parseDimensions(query: string, c: Cursor): { name: string; value: string }[] {
  const open = c.pos;
  c.eat('{');
  const dims: { name: string; value: string }[] = [];
  if (c.eat('}')) throw refuse(query, 'empty {}: leave the braces out for a metric without dimensions', open);
  for (;;) {
    const nameAt = c.pos;
    const name = c.word('=,{}:;"', 'a dimension name');
    if (!c.eat('=')) throw refuse(query, `dimension "${name}" needs a value (write ${name}=value)`, c.pos);
    const value = c.word(VALUE_STOPS, `a value for dimension "${name}"`);
    if (dims.some((d) => d.name === name)) throw refuse(query, `dimension "${name}" is given twice`, nameAt);
    dims.push({ name, value });
    if (c.eat('}')) break;
    if (!c.eat(','))
      throw refuse(
        query,
        c.done()
          ? `the dimensions opened at column ${open + 1} are never closed with '}'`
          : `expected ',' or '}' after dimension "${name}", found ${c.show()}`,
        c.pos,
      );
  }
  if (dims.length > MAX_DIMENSIONS)
    throw refuse(query, `${dims.length} dimensions; a metric has at most ${MAX_DIMENSIONS}`, open);
  return dims;
}

/** Reads names and values from one part of the query; positions are offsets into the whole query. */
class Cursor {
  constructor(
    private readonly query: string,
    public pos: number,
    private readonly end: number,
  ) {}

  done(): boolean {
    this.skipSpace();
    return this.pos >= this.end;
  }

  peek(): string | undefined {
    this.skipSpace();
    return this.pos < this.end ? this.query[this.pos] : undefined;
  }

  eat(ch: string): boolean {
    if (this.peek() !== ch) return false;
    this.pos++;
    return true;
  }

  rest(): string {
    const text = this.query.slice(this.pos, this.end);
    this.pos = this.end;
    return text;
  }

  /** What comes next, for a message. */
  show(): string {
    return this.done() ? 'the end' : JSON.stringify(this.query[this.pos]);
  }

  /** A quoted string (`\"` and `\\` escapes), or text up to one of `stops` (trimmed, not empty). */
  word(stops: string, what: string): string {
    this.skipSpace();
    const start = this.pos;
    if (this.query[this.pos] === '"' && this.pos < this.end) return this.quoted(what);
    while (this.pos < this.end && !stops.includes(this.query[this.pos]!)) this.pos++;
    const text = this.query.slice(start, this.pos).trim();
    if (text === '')
      throw refuse(
        this.query,
        `expected ${what}, found ${this.pos < this.end ? JSON.stringify(this.query[this.pos]) : 'the end'}`,
        start,
      );
    return text;
  }

  private quoted(what: string): string {
    const open = this.pos++;
    let text = '';
    while (this.pos < this.end) {
      const c = this.query[this.pos++]!;
      if (c === '"') {
        if (text === '') throw refuse(this.query, `${what} is an empty string`, open);
        return text;
      }
      if (c === '\\') {
        const next = this.query[this.pos++];
        if (next !== '"' && next !== '\\')
          throw refuse(this.query, `unknown escape \\${next ?? ''} (only \\" and \\\\)`, this.pos - 2);
        text += next;
      } else text += c;
    }
    throw refuse(this.query, 'the quote " is never closed', open);
  }

  private skipSpace(): void {
    while (this.pos < this.end && /\s/.test(this.query[this.pos]!)) this.pos++;
  }
}

/** The canonical spelling of a statistic, or why it is not one. */
export function normalizeStat(text: string): string | { problem: string } {
  const basic = BASIC_STATS.find((s) => s.toLowerCase() === text.toLowerCase());
  if (basic) return basic;
  const short = /^(p|tm|wm|tc|ts)(\d+(?:\.\d+)?)$/i.exec(text);
  if (short) {
    const n = Number(short[2]);
    if (!(n > 0 && n <= 100))
      return { problem: `statistic "${text}": the percentile ${short[2]} must be above 0 and at most 100` };
    return `${short[1]!.toLowerCase()}${short[2]}`;
  }
  const range = /^(tm|wm|tc|ts|pr)\(([^():]*):([^():]*)\)$/i.exec(text);
  if (range) {
    const kind = range[1]!.toUpperCase();
    const bounds = [range[2]!.trim(), range[3]!.trim()];
    if (bounds.every((b) => b === ''))
      return { problem: `statistic "${text}" needs at least one bound, as in ${kind}(10%:90%)` };
    for (const b of bounds) {
      if (b === '' || /^-?\d+(?:\.\d+)?$/.test(b)) continue; // a value in the metric's unit
      const pct = /^(\d+(?:\.\d+)?)%$/.exec(b);
      if (pct && kind !== 'PR' && Number(pct[1]) <= 100) continue;
      return {
        problem: `statistic "${text}": bound "${b}" must be a number${kind === 'PR' ? '' : ' or a percentage up to 100%'}`,
      };
    }
    return `${kind}(${bounds[0]}:${bounds[1]})`;
  }
  const hint = STAT_HINTS[text.toLowerCase()];
  return {
    problem: `unknown statistic "${text}"${hint ? ` (did you mean ${hint}?)` : ''}; use ${STAT_FORMS}`,
  };
}

/** A metric part written back in the query syntax, quoting what needs it. */
export function formatMetric(p: Pick<MetricPart, 'namespace' | 'metric' | 'dimensions' | 'stat'>): string {
  const name = (s: string) => quoteIf(s, NAME_STOPS);
  const dims = p.dimensions.map((d) => `${quoteIf(d.name, '=,{}:;"')}=${quoteIf(d.value, VALUE_STOPS)}`);
  return `${name(p.namespace)}:${name(p.metric)}${dims.length ? `{${dims.join(',')}}` : ''}:${p.stat}`;
}

function quoteIf(text: string, stops: string): string {
  const plain = text === text.trim() && ![...text].some((c) => stops.includes(c) || c === '\\');
  return plain ? text : `"${text.replace(/[\\"]/g, (c) => `\\${c}`)}"`;
}
