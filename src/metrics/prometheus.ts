// Prometheus (and compatible stores: Thanos, Mimir, VictoriaMetrics) as a MetricSource, over
// the HTTP API's /api/v1/query_range. Long ranges are split into requests of at most
// `maxPointsPerRequest` steps and stitched; results past the size limits are refused.

import { UsageError } from '../core/errors.js';
import { redactUrl } from '../core/redact.js';
import type { MetricSource } from '../core/seams.js';
import type { Series, SeriesSet } from '../core/series.js';
import { callApi, type RetryPolicy } from './prometheus-http.js';
import { matrixOf, sampleTime, sampleValue, seriesName } from './prometheus-response.js';

export type PrometheusAuth = { bearerToken: string } | { username: string; password: string };

export interface PrometheusOptions {
  /** Base URL, e.g. http://prometheus:9090 or https://host/prometheus (a path prefix is kept). */
  url: string;
  auth?: PrometheusAuth;
  /** Longest one request may take; default 30 s. */
  timeoutMs?: number;
  /** Retries after a failed attempt (network error, timeout, 5xx, 408, 429); default 3. */
  retries?: number;
  /** First retry delay, doubling per retry up to maxBackoffMs, with jitter; default 500 ms / 10 s. */
  backoffMs?: number;
  maxBackoffMs?: number;
  /** Evaluation points per request; default 11,000, the most Prometheus answers per series. */
  maxPointsPerRequest?: number;
  /** Result-size limits over the whole range: distinct series (default 1,000) and samples (5,000,000). */
  maxSeries?: number;
  maxSamples?: number;
  /** Called with each warning the API returns alongside a result (partial data, say). */
  onWarning?: (warning: string, query: string) => void;
  /** Waits between retries; tests pass a fake so they need not wait. */
  sleep?: (ms: number) => Promise<void>;
  /** Jitter source in [0, 1); default Math.random. */
  random?: () => number;
}

/** Step used when the caller gives none: one minute, Prometheus' usual scrape interval. */
export const DEFAULT_STEP_MS = 60_000;
/** Prometheus refuses a query_range of more than 11,000 points per series. */
export const PROMETHEUS_MAX_POINTS = 11_000;

/** One request's share of a range: evaluation times start, start+step, ..., end. */
export interface RangeChunk {
  start: number;
  end: number;
}

/**
 * Splits the evaluation grid start + k·step (k = 0, 1, ... while <= end) into consecutive runs of
 * at most `maxPoints` points. The runs do not overlap, so no sample is fetched twice, and every
 * chunk starts on the same grid, so the stitched series is the one a single request would give.
 */
export function chunkRange(start: number, end: number, stepMs: number, maxPoints: number): RangeChunk[] {
  const points = Math.floor((end - start) / stepMs) + 1;
  const chunks: RangeChunk[] = [];
  for (let k = 0; k < points; k += maxPoints) {
    const last = Math.min(points, k + maxPoints) - 1;
    chunks.push({ start: start + k * stepMs, end: start + last * stepMs });
  }
  return chunks;
}

interface Accumulated {
  labels: Record<string, string>;
  timestamps: number[];
  values: number[];
}

export class PrometheusSource implements MetricSource {
  private readonly base: URL;
  private readonly endpoint: URL;
  private readonly headers: Record<string, string> = {};
  private readonly policy: RetryPolicy;
  private readonly maxPoints: number;
  private readonly maxSeries: number;
  private readonly maxSamples: number;

  constructor(private readonly opts: PrometheusOptions) {
    const base = parseBaseUrl(opts.url);
    let auth = opts.auth;
    // fetch() refuses URLs with credentials in them; user:password@host means basic auth.
    if (base.username !== '' && !auth) {
      auth = { username: decodeURIComponent(base.username), password: decodeURIComponent(base.password) };
    }
    base.username = '';
    base.password = '';
    this.base = base;
    this.endpoint = new URL('api/v1/query_range', base.href.endsWith('/') ? base : `${base.href}/`);
    if (auth && 'bearerToken' in auth) this.headers.Authorization = `Bearer ${auth.bearerToken}`;
    else if (auth) {
      const basic = Buffer.from(`${auth.username}:${auth.password}`, 'utf8').toString('base64');
      this.headers.Authorization = `Basic ${basic}`;
    }
    this.policy = {
      timeoutMs: positive('timeoutMs', opts.timeoutMs ?? 30_000),
      retries: whole('retries', opts.retries ?? 3),
      backoffMs: whole('backoffMs', opts.backoffMs ?? 500),
      maxBackoffMs: whole('maxBackoffMs', opts.maxBackoffMs ?? 10_000),
      sleep: opts.sleep ?? ((ms) => new Promise((resolve) => setTimeout(resolve, ms))),
      random: opts.random ?? Math.random,
    };
    this.maxPoints = atLeastOne('maxPointsPerRequest', opts.maxPointsPerRequest ?? PROMETHEUS_MAX_POINTS);
    this.maxSeries = atLeastOne('maxSeries', opts.maxSeries ?? 1_000);
    this.maxSamples = atLeastOne('maxSamples', opts.maxSamples ?? 5_000_000);
  }

  /** The base URL, without any credentials it was given with: safe to print. */
  get url(): string {
    return this.base.href;
  }

  /**
   * The series `query` gives at start, start+step, ... up to end (epoch ms, both inclusive).
   * A step where Prometheus has no sample (nothing within its lookback) is absent from the
   * series, not filled: gaps are the caller's to judge (see regularizeFetched). NaN samples stay
   * NaN and "+Inf"/"-Inf" become ±Infinity. Series are sorted by name; `repairs` is empty.
   */
  async range(query: string, start: number, end: number, stepMs = DEFAULT_STEP_MS): Promise<SeriesSet> {
    if (!Number.isFinite(start) || !Number.isFinite(end) || end < start) {
      throw new UsageError(`Prometheus query "${query}": the range ${start}..${end} is not a time range`);
    }
    if (!(stepMs > 0)) throw new UsageError(`Prometheus query "${query}": the step must be positive`);
    const acc = new Map<string, Accumulated>();
    let samples = 0;
    for (const chunk of chunkRange(start, end, stepMs, this.maxPoints)) {
      for (const s of await this.fetchChunk(query, chunk, stepMs)) {
        const name = seriesName(s.metric);
        let into = acc.get(name);
        if (!into) {
          into = { labels: { ...s.metric }, timestamps: [], values: [] };
          acc.set(name, into);
          if (acc.size > this.maxSeries) throw this.tooBig(query, `${this.maxSeries} series`, 'maxSeries');
        }
        for (const [t, v] of s.values) {
          const ms = sampleTime(t);
          // Chunks never overlap, but a store that rounds chunk edges could repeat one: keep the first.
          if (into.timestamps.length > 0 && ms <= into.timestamps[into.timestamps.length - 1]!) continue;
          into.timestamps.push(ms);
          into.values.push(sampleValue(v));
        }
        samples += s.values.length;
        if (samples > this.maxSamples) throw this.tooBig(query, `${this.maxSamples} samples`, 'maxSamples');
      }
    }
    const series: Series[] = [...acc.entries()]
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
      .map(([name, s]) => ({
        name,
        labels: s.labels,
        timestamps: s.timestamps,
        values: Float64Array.from(s.values),
        stepMs,
      }));
    return { series, repairs: [] };
  }

  private async fetchChunk(query: string, chunk: RangeChunk, stepMs: number) {
    const form = new URLSearchParams({
      query,
      start: String(chunk.start / 1000),
      end: String(chunk.end / 1000),
      step: String(stepMs / 1000),
    });
    const answer = await callApi({ url: this.endpoint, form, headers: this.headers, query }, this.policy);
    for (const w of answer.warnings) this.opts.onWarning?.(w, query);
    const matrix = matrixOf(answer.data);
    if (typeof matrix === 'string') {
      throw new UsageError(`Prometheus query "${query}" at ${this.endpoint.href}: ${matrix}`);
    }
    return matrix;
  }

  private tooBig(query: string, limit: string, option: string): UsageError {
    return new UsageError(
      `Prometheus query "${query}" returned more than ${limit} (the ${option} limit): narrow the query (label matchers, sum by (...)) or the range, or raise the limit`,
    );
  }
}

/**
 * Ports fetch() never connects to, whatever the server (the Fetch standard's "bad port" list, as
 * Node's fetch applies it): a URL naming one fails every attempt with "bad port".
 */
const FETCH_BAD_PORTS = new Set([
  1, 7, 9, 11, 13, 15, 17, 19, 20, 21, 22, 23, 25, 37, 42, 43, 53, 69, 77, 79, 87, 95, 101, 102, 103, 104,
  109, 110, 111, 113, 115, 117, 119, 123, 135, 137, 139, 143, 161, 179, 389, 427, 465, 512, 513, 514, 515,
  526, 530, 531, 532, 540, 548, 554, 556, 563, 587, 601, 636, 989, 990, 993, 995, 1719, 1720, 1723, 2049,
  3659, 4045, 4190, 5060, 5061, 6000, 6566, 6665, 6666, 6667, 6668, 6669, 6679, 6697, 10080,
]);

/**
 * The base URL, or a UsageError (exit 2, one line) when no request to it could ever succeed: not
 * a URL, not http(s), or a port outside 1..65535 or one fetch refuses. Retrying those would only
 * turn bad input into four "unreachable" attempts and exit 3. Messages never show credentials.
 */
function parseBaseUrl(text: string): URL {
  const shown = `Prometheus URL "${redactUrl(text)}"`;
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    const port = portText(text);
    if (port !== undefined) throw new UsageError(`${shown}: the port "${port}" ${PORT_RANGE}`);
    throw new UsageError(`${shown} is not a URL (expected http://host:9090)`);
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') {
    throw new UsageError(`${shown} is not http(s)`);
  }
  if (url.port === '0') throw new UsageError(`${shown}: the port "0" ${PORT_RANGE}`);
  if (FETCH_BAD_PORTS.has(Number(url.port))) {
    throw new UsageError(
      `${shown}: fetch never connects to port ${url.port} (a "bad port" of the Fetch standard); serve Prometheus on another port`,
    );
  }
  url.search = '';
  url.hash = '';
  return url;
}

const PORT_RANGE = 'is not a number from 1 to 65535';

/**
 * The port as written in a URL that did not parse, when it is the port that is wrong (a number
 * over 65535, a name): the authority's text after its last `:` (after `]` for an IPv6 address).
 */
function portText(text: string): string | undefined {
  const authority = /^[a-z][a-z0-9+.-]*:\/\/([^/?#]*)/i.exec(text)?.[1];
  if (authority === undefined) return undefined;
  const host = authority.slice(authority.lastIndexOf('@') + 1);
  const port = /^(?:\[[^\]]*\]|[^:[\]]+):(.+)$/.exec(host)?.[1];
  if (port === undefined) return undefined;
  const n = Number(port);
  return /^\d+$/.test(port) && n >= 1 && n <= 65_535 ? undefined : port;
}

function positive(name: string, v: number): number {
  if (!(v > 0) || !Number.isFinite(v))
    throw new UsageError(`Prometheus option ${name}: expected a positive number, got ${v}`);
  return v;
}

function atLeastOne(name: string, v: number): number {
  if (!Number.isInteger(v) || v < 1)
    throw new UsageError(`Prometheus option ${name}: expected a whole number >= 1, got ${v}`);
  return v;
}

function whole(name: string, v: number): number {
  if (!Number.isInteger(v) || v < 0)
    throw new UsageError(`Prometheus option ${name}: expected a whole number, got ${v}`);
  return v;
}
