// An HTTP(S) JSON feed as a MetricSource: leading signals (a mention or sentiment index, ticket
// sales) that some service publishes as `{"series": [{"name", "points": [[time, value], ...]}]}`.
// One GET per range, with the policy a flaky network needs (a timeout per attempt, retries with
// backoff on network errors, timeouts, 5xx, 408 and 429, never on another 4xx), an answer read
// with a byte limit, and every refusal one line naming the feed and the place in the body.
// Messages never show the bearer token or the URL's credentials and secret query values.

import { DependencyError, UsageError } from '../core/errors.js';
import { isSecretKey, REDACTED, redactUrl } from '../core/redact.js';
import type { MetricSource } from '../core/seams.js';
import type { Series, SeriesSet } from '../core/series.js';
import { backoffDelay, networkCause, retryAfterMs } from './prometheus-http.js';
import { MAX_ABS_VALUE, MAX_SERIES_POINTS, shown } from './regularize.js';
import { MAX_TIME, MIN_TIME, parseTimestamp } from './timeparse.js';

/** Largest answer read: 32 MiB, about a million points as `["2026-01-05T00:00:00Z", 12.5]`. */
export const MAX_FEED_BYTES = 32 * 1024 * 1024;
/** Most series one answer may hold. */
export const MAX_FEED_SERIES = 100;
/** Longest series name: names are printed in tables and messages (as in metric CSV files). */
const MAX_NAME_LENGTH = 200;
/** Most of an error answer's body read, to quote it. */
const ERROR_BODY_BYTES = 4096;
/** The step of a series with fewer than two points, when the caller asked for none. */
const FALLBACK_STEP_MS = 60_000;

export interface JsonFeedOptions {
  /**
   * The feed, http(s); its own query is kept and start, end and step are appended to it.
   * `user:password@` in it is sent as basic auth (unless bearerToken is given) and never shown.
   */
  url: string;
  /** Sent as `Authorization: Bearer <token>`; never printed. */
  bearerToken?: string;
  /** Longest one attempt may take, answer body included; default 30 s. */
  timeoutMs?: number;
  /** Retries after a failed attempt (network error, timeout, 5xx, 408, 429); default 2. */
  retries?: number;
  /** First retry delay, doubling per retry up to maxBackoffMs, with jitter; default 500 ms / 10 s. */
  backoffMs?: number;
  maxBackoffMs?: number;
  /** Limits, which may only be lowered: body bytes (32 MiB), points per series (1,000,000), series (100). */
  maxBytes?: number;
  maxPoints?: number;
  maxSeries?: number;
  /** Waits between retries; tests pass a fake so they need not wait. */
  sleep?: (ms: number) => Promise<void>;
  /** Jitter source in [0, 1); default Math.random. */
  random?: () => number;
  /** The fetch to call; default the global one. */
  fetch?: typeof fetch;
}

/** One series of a feed, as sent: times in epoch ms, increasing; NaN for a null value. */
export interface FeedSeries {
  name: string;
  timestamps: number[];
  values: Float64Array;
}

export interface FeedLimits {
  maxPoints: number;
  maxSeries: number;
}

/** Why an attempt failed, worth retrying. */
interface Failure {
  cause: string;
  /** How long the server asked us to wait (Retry-After), if it did. */
  retryAfterMs?: number;
}

const RETRY_STATUS = new Set([408, 429]);
const OWN_PARAMS = ['start', 'end', 'step'];

export class JsonFeedSource implements MetricSource {
  private readonly endpoint: URL;
  private readonly shownUrl: string;
  private readonly headers: Record<string, string> = { Accept: 'application/json' };
  /** Texts no message may contain: the token, the URL's password, secret query values. */
  private readonly secrets: string[];
  private readonly timeoutMs: number;
  private readonly retries: number;
  private readonly backoffMs: number;
  private readonly maxBackoffMs: number;
  private readonly maxBytes: number;
  private readonly limits: FeedLimits;
  private readonly sleep: (ms: number) => Promise<void>;
  private readonly random: () => number;
  private readonly fetchFn: typeof fetch;

  constructor(opts: JsonFeedOptions) {
    const url = parseFeedUrl(opts.url);
    const secrets = [opts.bearerToken ?? ''];
    if (url.password !== '') secrets.push(url.password, decoded(url.password));
    for (const [key, value] of url.searchParams) if (isSecretKey(key)) secrets.push(value);
    // Longest first, so a secret that holds another is hidden whole.
    this.secrets = [...new Set(secrets.filter((s) => s !== ''))].sort((a, b) => b.length - a.length);
    if (opts.bearerToken !== undefined) {
      checkToken(opts.bearerToken);
      this.headers.Authorization = `Bearer ${opts.bearerToken}`;
    } else if (url.username !== '' || url.password !== '') {
      const basic = `${decoded(url.username)}:${decoded(url.password)}`;
      this.headers.Authorization = `Basic ${Buffer.from(basic, 'utf8').toString('base64')}`;
    }
    // fetch() refuses URLs with credentials in them.
    url.username = '';
    url.password = '';
    this.endpoint = url;
    this.shownUrl = redactUrl(url.href);
    for (const name of OWN_PARAMS) {
      if (url.searchParams.has(name)) {
        throw new UsageError(
          `json feed ${this.shownUrl}: the URL already has a "${name}" parameter; start, end and step are added to each request`,
        );
      }
    }
    this.timeoutMs = positive('timeoutMs', opts.timeoutMs ?? 30_000);
    this.retries = whole('retries', opts.retries ?? 2);
    this.backoffMs = whole('backoffMs', opts.backoffMs ?? 500);
    this.maxBackoffMs = whole('maxBackoffMs', opts.maxBackoffMs ?? 10_000);
    this.maxBytes = limit('maxBytes', opts.maxBytes, MAX_FEED_BYTES);
    this.limits = {
      maxPoints: limit('maxPoints', opts.maxPoints, MAX_SERIES_POINTS),
      maxSeries: limit('maxSeries', opts.maxSeries, MAX_FEED_SERIES),
    };
    this.sleep = opts.sleep ?? ((ms) => new Promise((resolve) => setTimeout(resolve, ms)));
    this.random = opts.random ?? Math.random;
    this.fetchFn = opts.fetch ?? ((input, init) => fetch(input, init));
  }

  /** The feed URL without credentials, secret query values redacted: safe to print. */
  get url(): string {
    return this.shownUrl;
  }

  /**
   * The series named `query` (or the feed's only series when `query` is empty) between start and
   * end (epoch ms, both inclusive; points outside are dropped), asked at `stepMs` when given (a
   * whole number of seconds). Times are as the feed sent them, not resampled; null values are NaN.
   * A feed with no series, or a series with no point in the range, gives no series. `stepMs` of
   * the series is the most common difference between its consecutive points; `repairs` is empty.
   */
  async range(query: string, start: number, end: number, stepMs?: number): Promise<SeriesSet> {
    if (!(start >= MIN_TIME && end <= MAX_TIME && end >= start)) {
      throw this.usage(`the range ${start}..${end} is not a time range`);
    }
    if (stepMs !== undefined && !(stepMs >= 1000 && Number.isInteger(stepMs / 1000))) {
      throw this.usage(`the step ${stepMs} ms is not a whole number of seconds`);
    }
    const params = new URLSearchParams({ start: isoTime(start), end: isoTime(end) });
    if (stepMs !== undefined) params.set('step', String(stepMs / 1000));
    const request = new URL(this.endpoint);
    // Appended as text: the feed's own query stays exactly as it was written.
    request.search = `${request.search === '' ? '?' : `${request.search}&`}${params}`;

    const json = this.parseJson(await this.fetchBody(request));
    const all = feedSeriesOf(json, this.limits);
    if (typeof all === 'string') throw this.usage(all);
    const picked = this.pick(all, query);
    if (!picked) return { series: [], repairs: [] };
    let from = 0;
    while (from < picked.timestamps.length && picked.timestamps[from]! < start) from++;
    let to = from;
    while (to < picked.timestamps.length && picked.timestamps[to]! <= end) to++;
    if (to === from) return { series: [], repairs: [] };
    const timestamps = picked.timestamps.slice(from, to);
    const series: Series = {
      name: picked.name,
      timestamps,
      values: picked.values.slice(from, to),
      stepMs: mostCommonStep(timestamps) ?? stepMs ?? FALLBACK_STEP_MS,
    };
    return { series: [series], repairs: [] };
  }

  private pick(all: FeedSeries[], query: string): FeedSeries | undefined {
    if (all.length === 0) return undefined;
    if (query === '') {
      if (all.length === 1) return all[0];
      throw this.usage(`the feed holds ${all.length} series (${names(all)}); name the one to read`);
    }
    const found = all.find((s) => s.name === query);
    if (!found) throw this.usage(`the feed has no series ${shown(query)}; it has ${names(all)}`);
    return found;
  }

  /** The answer's text, after retries; a UsageError when the feed refused or sent too much. */
  private async fetchBody(request: URL): Promise<string> {
    let last: Failure | undefined;
    for (let attempt = 0; attempt <= this.retries; attempt++) {
      if (last) {
        const wait = backoffDelay(attempt - 1, {
          backoffMs: this.backoffMs,
          maxBackoffMs: this.maxBackoffMs,
          random: this.random,
        });
        await this.sleep(Math.min(this.maxBackoffMs, Math.max(wait, last.retryAfterMs ?? 0)));
      }
      const outcome = await this.attempt(request);
      if (typeof outcome === 'string') return outcome;
      last = outcome;
    }
    const tries = this.retries === 0 ? '1 attempt' : `${this.retries + 1} attempts`;
    throw this.dependency(`unavailable after ${tries}: ${last?.cause}`);
  }

  private async attempt(request: URL): Promise<string | Failure> {
    let res: Response;
    try {
      res = await this.fetchFn(request, {
        headers: this.headers,
        signal: AbortSignal.timeout(this.timeoutMs),
      });
    } catch (err) {
      return { cause: networkCause(err, this.timeoutMs) };
    }
    if (res.status >= 200 && res.status < 300) {
      let body: Uint8Array | undefined;
      try {
        body = await readLimited(res, this.maxBytes);
      } catch (err) {
        return { cause: networkCause(err, this.timeoutMs) };
      }
      if (!body) {
        throw this.usage(
          `the answer is larger than ${bytesText(this.maxBytes)}, the limit of a feed; narrow the range or coarsen the step`,
        );
      }
      try {
        return new TextDecoder('utf-8', { fatal: true }).decode(body);
      } catch {
        throw this.usage('the body is not UTF-8 text');
      }
    }
    // What the server said, for the message; an answer cut short says only less.
    const said = await readLimited(res, ERROR_BODY_BYTES, true).then(
      (b) => snippet(new TextDecoder().decode(b)),
      () => '',
    );
    const what = `HTTP ${res.status}${said === '' ? '' : ` (${said})`}`;
    if (res.status >= 500 || RETRY_STATUS.has(res.status)) {
      return { cause: what, retryAfterMs: retryAfterMs(res.headers.get('retry-after')) };
    }
    const hint =
      res.status === 401 || res.status === 403
        ? ': check the bearer token or the credentials'
        : res.status === 404
          ? ': check the URL'
          : '';
    throw this.usage(`the feed refused the request with ${what}${hint}`);
  }

  private parseJson(text: string): unknown {
    if (text.trim() === '') throw this.usage('the body is empty, not JSON');
    try {
      return JSON.parse(text) as unknown;
    } catch (err) {
      throw this.usage(`the body is not JSON: ${snippet((err as Error).message)}`);
    }
  }

  private usage(what: string): UsageError {
    return new UsageError(this.scrub(`json feed ${this.shownUrl}: ${what}`));
  }

  private dependency(what: string): DependencyError {
    return new DependencyError(this.scrub(`json feed ${this.shownUrl}: ${what}`));
  }

  /** A message with every secret replaced: a server may echo the token or the URL back. */
  private scrub(text: string): string {
    let out = text;
    for (const secret of this.secrets) out = out.split(secret).join(REDACTED);
    return out;
  }
}

/**
 * The series of a parsed feed body, or one line saying what is wrong and where
 * (`series[0].points[17][0]: "yesterday" is not ...`). Accepts `{"series": [...]}` and the
 * single-series shorthand `{"name": ..., "points": [...]}`; other keys are ignored. Pure.
 */
export function feedSeriesOf(json: unknown, limits: FeedLimits): FeedSeries[] | string {
  const shape = 'an object with "series" (or one series\' "name" and "points")';
  if (!isObject(json)) return `the body is ${preview(json)}, not ${shape}`;
  const hasSeries = 'series' in json;
  const hasPoints = 'points' in json;
  if (hasSeries && hasPoints) return 'the body has both "series" and "points"; send one or the other';
  if (!hasSeries && !hasPoints) return `the body has neither "series" nor "points"; expected ${shape}`;
  let items: unknown[];
  let pathOf: (i: number) => string;
  if (hasSeries) {
    if (!Array.isArray(json.series))
      return `series: expected an array of series, got ${preview(json.series)}`;
    items = json.series;
    pathOf = (i) => `series[${i}]`;
    if (items.length > limits.maxSeries) {
      return `series: ${thousands(items.length)} series, more than the limit of ${thousands(limits.maxSeries)}`;
    }
  } else {
    items = [json];
    pathOf = () => '';
  }
  const out: FeedSeries[] = [];
  const seen = new Map<string, number>();
  for (let i = 0; i < items.length; i++) {
    const s = oneSeries(items[i], pathOf(i), limits);
    if (typeof s === 'string') return s;
    const before = seen.get(s.name);
    if (before !== undefined) {
      return `${join(pathOf(i), 'name')}: ${shown(s.name)} is also the name of ${pathOf(before)}`;
    }
    seen.set(s.name, i);
    out.push(s);
  }
  return out;
}

function oneSeries(item: unknown, path: string, limits: FeedLimits): FeedSeries | string {
  if (!isObject(item)) return `${path}: expected an object with "name" and "points", got ${preview(item)}`;
  const name = item.name;
  if (typeof name !== 'string' || name === '') {
    return `${join(path, 'name')}: expected a non-empty string, got ${preview(name)}`;
  }
  if (name.length > MAX_NAME_LENGTH) {
    return `${join(path, 'name')}: ${shown(name, 40)} is longer than ${MAX_NAME_LENGTH} characters`;
  }
  const at = join(path, 'points');
  const points = item.points;
  if (!Array.isArray(points))
    return `${at}: expected an array of [time, value] points, got ${preview(points)}`;
  if (points.length > limits.maxPoints) {
    return `${at}: ${thousands(points.length)} points, more than the limit of ${thousands(limits.maxPoints)} for a series`;
  }
  const timestamps: number[] = [];
  const values = new Float64Array(points.length);
  for (let k = 0; k < points.length; k++) {
    const p: unknown = points[k];
    if (!Array.isArray(p) || p.length !== 2) return `${at}[${k}]: expected [time, value], got ${preview(p)}`;
    const t = timeOf(p[0]);
    if (typeof t === 'string') return `${at}[${k}][0]: ${t}`;
    const prev = timestamps[k - 1];
    if (prev !== undefined && t <= prev) {
      return `${at}[${k}][0]: ${isoTime(t)} is not after the previous point's ${isoTime(prev)}; points must be in increasing time order`;
    }
    const v = valueOf(p[1]);
    if (typeof v === 'string') return `${at}[${k}][1]: ${v}`;
    timestamps.push(t);
    values[k] = v;
  }
  return { name, timestamps, values };
}

/** ISO 8601 date and time with a zone (Z or an offset); parseTimestamp decides if it is a real time. */
const ZONED_ISO = /^\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}(?::\d{2}(?:[.,]\d+)?)?(?:Z|[+-]\d{2}(?::?\d{2})?)$/i;
const UNZONED_ISO = /^\d{4}-\d{2}-\d{2}(?:[T ]\d{2}:\d{2}(?::\d{2}(?:[.,]\d+)?)?)?$/i;
const NOT_A_TIME = 'is not an ISO 8601 time or epoch seconds';

/** A point's time in epoch ms, or why it is not one. */
function timeOf(v: unknown): number | string {
  if (typeof v === 'number') {
    const ms = Math.round(v * 1000);
    if (ms >= MIN_TIME && ms <= MAX_TIME) return ms;
    const millis = Math.abs(v) >= 1e11 && v >= MIN_TIME && v <= MAX_TIME;
    return `${v} is not epoch seconds in years 1000 to 9999${millis ? ' (milliseconds? send seconds)' : ''}`;
  }
  if (typeof v !== 'string') return `${preview(v)} ${NOT_A_TIME}`;
  if (UNZONED_ISO.test(v))
    return `${shown(v, 60)} has no time zone; end it with Z or an offset such as +01:00`;
  if (/^-?\d+(\.\d+)?$/.test(v))
    return `${shown(v, 60)} ${NOT_A_TIME} (epoch seconds are a number, not text)`;
  const t = ZONED_ISO.test(v) ? parseTimestamp(v, 'UTC') : undefined;
  return t ?? `${shown(v, 60)} ${NOT_A_TIME}`;
}

/** A point's value (NaN for null), or why it is not one. */
function valueOf(v: unknown): number | string {
  if (v === null) return Number.NaN;
  if (typeof v !== 'number') return `${preview(v)} is not a number or null`;
  // JSON has no infinities, but 1e999 parses as one.
  if (!Number.isFinite(v)) return `${v} is not a finite number`;
  if (Math.abs(v) > MAX_ABS_VALUE) return `${v} is beyond ±1e15, the limit of a metric value`;
  return v;
}

/** The most common difference between consecutive times (the smallest on a tie); undefined under two. */
function mostCommonStep(timestamps: readonly number[]): number | undefined {
  const counts = new Map<number, number>();
  for (let i = 1; i < timestamps.length; i++) {
    const d = timestamps[i]! - timestamps[i - 1]!;
    counts.set(d, (counts.get(d) ?? 0) + 1);
  }
  let best: number | undefined;
  let bestCount = 0;
  for (const [d, c] of counts) {
    if (c > bestCount || (c === bestCount && d < best!)) {
      best = d;
      bestCount = c;
    }
  }
  return best;
}

/**
 * The answer's body, or undefined when it is longer than `max` bytes: a declared Content-Length
 * over it is refused unread, and a body without one is read only up to the limit, then dropped.
 * `cut` returns the first `max` bytes instead (an error answer, quoted in a message).
 */
async function readLimited(res: Response, max: number, cut = false): Promise<Uint8Array | undefined> {
  const declared = Number(res.headers.get('content-length') ?? Number.NaN);
  if (!cut && declared > max) {
    await res.body?.cancel().catch(() => undefined);
    return undefined;
  }
  if (!res.body) return new Uint8Array(0);
  const reader = res.body.getReader();
  const chunks: Uint8Array[] = [];
  let total = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    chunks.push(value);
    total += value.byteLength;
    if (total > max) {
      await reader.cancel().catch(() => undefined);
      if (!cut) return undefined;
      return Buffer.concat(chunks).subarray(0, max);
    }
  }
  return Buffer.concat(chunks, total);
}

/** The URL, or a UsageError when no request to it could work: not a URL, or not http(s). */
function parseFeedUrl(text: string): URL {
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    throw new UsageError(`json feed URL "${redactUrl(text)}" is not a URL (expected https://host/path)`);
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') {
    throw new UsageError(`json feed URL "${redactUrl(text)}" is not http(s)`);
  }
  url.hash = '';
  return url;
}

/** A token a header can carry: visible ASCII, no spaces. The token itself is never printed. */
function checkToken(token: string): void {
  if (token === '') throw new UsageError('json feed option bearerToken: the token is empty');
  if (!/^[\x21-\x7e]+$/.test(token)) {
    throw new UsageError(
      'json feed option bearerToken: the token holds characters a header cannot carry (spaces, line breaks or non-ASCII)',
    );
  }
}

/** A value as a message quotes it: text quoted and cut short, arrays and objects by their kind. */
function preview(v: unknown): string {
  if (v === undefined) return 'nothing';
  if (typeof v === 'string') return shown(v, 60);
  if (Array.isArray(v)) return `an array of ${v.length} item${v.length === 1 ? '' : 's'}`;
  if (typeof v === 'object' && v !== null) return 'an object';
  return String(v);
}

function names(all: readonly FeedSeries[]): string {
  const first = all.slice(0, 10).map((s) => shown(s.name, 60));
  return all.length > 10 ? `${first.join(', ')} and ${all.length - 10} more` : first.join(', ');
}

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function join(path: string, key: string): string {
  return path === '' ? key : `${path}.${key}`;
}

function isoTime(ms: number): string {
  return new Date(ms).toISOString();
}

function snippet(text: string): string {
  const one = text.replace(/\s+/g, ' ').trim();
  return one.length > 200 ? `${one.slice(0, 200)}…` : one;
}

const thousands = (n: number): string => n.toLocaleString('en-US');

function bytesText(n: number): string {
  const mib = n / (1024 * 1024);
  return `${thousands(n)} bytes${Number.isInteger(mib) ? ` (${mib} MiB)` : ''}`;
}

function decoded(part: string): string {
  try {
    return decodeURIComponent(part);
  } catch {
    return part;
  }
}

function positive(name: string, v: number): number {
  if (!(v > 0) || !Number.isFinite(v)) {
    throw new UsageError(`json feed option ${name}: expected a positive number, got ${v}`);
  }
  return v;
}

function whole(name: string, v: number): number {
  if (!Number.isInteger(v) || v < 0) {
    throw new UsageError(`json feed option ${name}: expected a whole number, got ${v}`);
  }
  return v;
}

/** A limit the caller may lower but not raise past the documented bound. */
function limit(name: string, v: number | undefined, max: number): number {
  if (v === undefined) return max;
  if (!Number.isInteger(v) || v < 1 || v > max) {
    throw new UsageError(
      `json feed option ${name}: expected a whole number from 1 to ${thousands(max)}, got ${v}`,
    );
  }
  return v;
}
