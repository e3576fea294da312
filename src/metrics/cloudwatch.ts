// CloudWatch as a MetricSource: one GetMetricData call per time window (so no call passes the
// 100,800-datapoint limit), every page of each window followed, values merged per query and
// label, oldest first. Failures map to UsageError (the query) or DependencyError (AWS, exit 3);
// a result without data is no series, as Prometheus answers it.

import {
  CloudWatchClient,
  GetMetricDataCommand,
  type GetMetricDataCommandInput,
  type GetMetricDataCommandOutput,
  type MetricDataQuery,
  type MetricDataResult,
} from '@aws-sdk/client-cloudwatch';
import { DependencyError, UsageError } from '../core/errors.js';
import type { MetricSource } from '../core/seams.js';
import type { Repair, Series, SeriesSet } from '../core/series.js';
import { type CloudWatchQueryPart, parseCloudWatchQuery } from './cloudwatch-query.js';

/** GetMetricData returns at most this many datapoints per call, over all its queries. */
export const MAX_DATAPOINTS = 100_800;
const HIGH_RESOLUTION_PERIODS = [1, 5, 10, 20, 30];

export interface CloudWatchOptions {
  /** The AWS region, as in `us-east-1`; named in every DependencyError. */
  region: string;
  /** A configured client (tests pass one); default a client for `region` with the SDK's default credentials chain. */
  client?: CloudWatchClient;
  /** The period when `range` is called without a step; default 300 000 (5 minutes). */
  defaultStepMs?: number;
  /** Receives every message CloudWatch attaches to a response (partial data, limits reached). */
  onMessage?: (message: string) => void;
}

/**
 * The GetMetricData period in seconds for a step in ms: 1, 5, 10, 20 or 30 s (high-resolution
 * metrics) or a whole number of minutes. Anything else is a UsageError.
 */
export function periodSeconds(stepMs: number): number {
  const s = stepMs / 1000;
  if (!(Number.isInteger(s) && (HIGH_RESOLUTION_PERIODS.includes(s) || (s >= 60 && s % 60 === 0))))
    throw new UsageError(
      `CloudWatch period ${stepMs / 1000}s (step ${stepMs} ms) must be a multiple of 60 seconds (or 1, 5, 10, 20, 30 s for high-resolution metrics)`,
    );
  return s;
}

/**
 * [start, end) cut into windows of whole periods, each holding at most MAX_DATAPOINTS over
 * `queries` queries (an expression that returns several series may still page, which is followed).
 */
export function timeWindows(
  start: number,
  end: number,
  periodMs: number,
  queries: number,
): [number, number][] {
  const span = Math.max(1, Math.floor(MAX_DATAPOINTS / Math.max(1, queries))) * periodMs;
  const out: [number, number][] = [];
  for (let t = start; t < end; t += span) out.push([t, Math.min(end, t + span)]);
  return out;
}

/** The GetMetricData queries for parsed parts, at `period` seconds. */
export function metricDataQueries(parts: readonly CloudWatchQueryPart[], period: number): MetricDataQuery[] {
  return parts.map((p) =>
    p.kind === 'metric'
      ? {
          Id: p.id,
          MetricStat: {
            Metric: {
              Namespace: p.namespace,
              MetricName: p.metric,
              Dimensions: p.dimensions.map((d) => ({ Name: d.name, Value: d.value })),
            },
            Period: period,
            Stat: p.stat,
          },
          ReturnData: p.returnData,
        }
      : { Id: p.id, Expression: p.expression, Period: period, ReturnData: p.returnData },
  );
}

/** The SDK's switch for its notice that releases after January 2027 need Node 22 (see defaultClient). */
const NODE_VERSION_WARNING_SWITCH = 'AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED';

/**
 * A client for `region` with the SDK's default credentials chain. On Node 20, which shadowcast
 * supports, the SDK prints a Node-version notice on stderr when the first client is built: noise
 * in every run's output that no user can act on. The SDK reads its own documented switch at that
 * moment and then stays quiet for the process; it is set only around the construction (child
 * processes, Pulumi's among them, do not inherit it), only when the user has not set it either
 * way, and it silences that one notice: every other warning still prints.
 */
function defaultClient(region: string): CloudWatchClient {
  const given = process.env[NODE_VERSION_WARNING_SWITCH];
  if (given === undefined) process.env[NODE_VERSION_WARNING_SWITCH] = 'true';
  try {
    return new CloudWatchClient({ region });
  } finally {
    if (given === undefined) delete process.env[NODE_VERSION_WARNING_SWITCH];
  }
}

/** Points gathered for one (query id, label) over every window and page. */
interface Gathered {
  part: CloudWatchQueryPart;
  label: string | undefined;
  times: number[];
  values: number[];
}

export class CloudWatchSource implements MetricSource {
  private readonly client: CloudWatchClient;
  private readonly region: string;
  private readonly defaultStepMs: number;
  private readonly onMessage: (message: string) => void;

  constructor(opts: CloudWatchOptions) {
    this.region = opts.region;
    this.client = opts.client ?? defaultClient(opts.region);
    this.defaultStepMs = opts.defaultStepMs ?? 300_000;
    this.onMessage = opts.onMessage ?? (() => {});
  }

  async range(query: string, start: number, end: number, stepMs?: number): Promise<SeriesSet> {
    const parts = parseCloudWatchQuery(query);
    const period = periodSeconds(stepMs ?? this.defaultStepMs);
    if (!(Number.isFinite(start) && Number.isFinite(end) && start < end))
      throw new UsageError(
        `CloudWatch query ${JSON.stringify(query)}: the range must have start < end (got ${start} and ${end})`,
      );
    const queries = metricDataQueries(parts, period);
    const gathered = new Map<string, Gathered>();
    for (const [from, to] of timeWindows(start, end, period * 1000, parts.length)) {
      const input: GetMetricDataCommandInput = {
        MetricDataQueries: queries,
        StartTime: new Date(from),
        EndTime: new Date(to),
        ScanBy: 'TimestampAscending',
      };
      await this.readWindow(query, input, parts, gathered);
    }
    return toSeriesSet(parts, gathered, period * 1000);
  }

  /** Every page of one window, merged into `gathered`. */
  private async readWindow(
    query: string,
    input: GetMetricDataCommandInput,
    parts: readonly CloudWatchQueryPart[],
    gathered: Map<string, Gathered>,
  ): Promise<void> {
    const byId = new Map(parts.map((p) => [p.id, p]));
    const partial = new Set<CloudWatchQueryPart>();
    const tokens = new Set<string>();
    let token: string | undefined;
    do {
      const page = await this.send(query, { ...input, NextToken: token });
      for (const m of page.Messages ?? [])
        this.onMessage(`CloudWatch: ${m.Code ?? 'message'}: ${m.Value ?? ''}`);
      for (const r of page.MetricDataResults ?? []) {
        const part = byId.get(r.Id ?? '');
        if (!part)
          throw this.broken(`a result for query id ${JSON.stringify(r.Id)}, which was not asked for`);
        this.checkStatus(part, r);
        if (r.StatusCode === 'PartialData') partial.add(part);
        else partial.delete(part);
        gather(gathered, part, r, (why) => this.broken(why));
      }
      token = page.NextToken || undefined;
      if (token !== undefined) {
        if (tokens.has(token)) throw this.broken('the same NextToken twice (the pages would never end)');
        tokens.add(token);
      }
    } while (token !== undefined);
    // A math expression reports PartialData without a NextToken to follow: say so, keep what came.
    for (const p of partial)
      this.onMessage(`CloudWatch: "${p.name}": partial data (no further page to read)`);
  }

  private checkStatus(part: CloudWatchQueryPart, r: MetricDataResult): void {
    const said = (r.Messages ?? []).map(
      (m) => `${m.Code ?? ''}${m.Code && m.Value ? ': ' : ''}${m.Value ?? ''}`,
    );
    if (r.StatusCode === 'Forbidden' || r.StatusCode === 'InternalError') {
      const why = r.StatusCode === 'Forbidden' ? 'refused access to' : 'had an internal error reading';
      throw new DependencyError(
        `CloudWatch in ${this.region} ${why} "${part.name}"${said.length ? ` (${said.join('; ')})` : ''}`,
      );
    }
    for (const m of said) this.onMessage(`CloudWatch: "${part.name}": ${m}`);
  }

  private async send(query: string, input: GetMetricDataCommandInput): Promise<GetMetricDataCommandOutput> {
    try {
      return await this.client.send(new GetMetricDataCommand(input));
    } catch (err) {
      throw sendError(err, this.region, query);
    }
  }

  private broken(what: string): DependencyError {
    return new DependencyError(`CloudWatch in ${this.region} returned ${what}`);
  }
}

function gather(
  gathered: Map<string, Gathered>,
  part: CloudWatchQueryPart,
  r: MetricDataResult,
  broken: (why: string) => Error,
): void {
  const times = r.Timestamps ?? [];
  const values = r.Values ?? [];
  if (times.length !== values.length)
    throw broken(`${times.length} timestamps but ${values.length} values for "${part.name}"`);
  const key = `${part.id}\n${r.Label ?? ''}`;
  let g = gathered.get(key);
  if (!g) {
    g = { part, label: r.Label, times: [], values: [] };
    gathered.set(key, g);
  }
  for (const [i, t] of times.entries()) {
    g.times.push(t.getTime());
    g.values.push(values[i]!);
  }
}

/**
 * One series per returned (query, label) with data, in query order: named by the query's name when
 * the query returned one series, else by CloudWatch's label (a SEARCH or GROUP BY returns several).
 * Points sorted by time; a timestamp seen twice (windows meeting) is kept once and reported.
 * CloudWatch answers a metric without data in the range (or one that does not exist: a misspelt
 * dimension) with an empty result where Prometheus answers no series at all; dropping it makes
 * both mean the same downstream: bad input for `forecast`, vanished metrics for `run`.
 */
function toSeriesSet(
  parts: readonly CloudWatchQueryPart[],
  gathered: ReadonlyMap<string, Gathered>,
  periodMs: number,
): SeriesSet {
  const series: Series[] = [];
  const repairs: Repair[] = [];
  for (const part of parts) {
    if (!part.returnData) continue;
    const groups = [...gathered.values()].filter((g) => g.part === part && g.times.length > 0);
    for (const g of groups) {
      const name = groups.length === 1 ? part.name : (g.label ?? part.name);
      const order = g.times.map((_, i) => i).sort((a, b) => g.times[a]! - g.times[b]! || a - b);
      const timestamps: number[] = [];
      const values: number[] = [];
      for (const i of order) {
        const t = g.times[i]!;
        if (timestamps[timestamps.length - 1] === t) {
          repairs.push({ series: name, kind: 'duplicate-dropped', at: t, count: 1 });
          continue;
        }
        timestamps.push(t);
        values.push(g.values[i]!);
      }
      const s: Series = { name, timestamps, values: Float64Array.from(values), stepMs: periodMs };
      if (part.kind === 'metric')
        s.labels = Object.fromEntries(part.dimensions.map((d) => [d.name, d.value]));
      series.push(s);
    }
  }
  return { series, repairs };
}

const VALIDATION = new Set([
  'ValidationError',
  'ValidationException',
  'InvalidParameterValueException',
  'InvalidParameterCombinationException',
  'MissingRequiredParameterException',
  'InvalidParameterValue',
  'InvalidParameterCombination',
  'MissingParameter',
]);
const NO_CREDENTIALS = new Set(['CredentialsProviderError']);
const CREDENTIALS_REFUSED = new Set([
  'UnrecognizedClientException',
  'InvalidClientTokenId',
  'ExpiredToken',
  'ExpiredTokenException',
  'SignatureDoesNotMatch',
  'IncompleteSignature',
  'MissingAuthenticationToken',
  'AccessDenied',
  'AccessDeniedException',
]);
const THROTTLED = new Set([
  'Throttling',
  'ThrottlingException',
  'TooManyRequestsException',
  'RequestLimitExceeded',
  'LimitExceededException',
]);
const NETWORK_CODES = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'ENOTFOUND',
  'EAI_AGAIN',
  'ETIMEDOUT',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'EPIPE',
]);

interface AwsErrorLike {
  name?: string;
  message?: string;
  code?: string;
  $metadata?: { attempts?: number };
  $retryable?: { throttling?: boolean };
}

/** What the client threw, after the SDK's own retries: the query's fault (2) or AWS's (3). */
export function sendError(err: unknown, region: string, query: string): Error {
  const e = (typeof err === 'object' && err !== null ? err : {}) as AwsErrorLike;
  const name = e.name ?? 'Error';
  const message = e.message || String(err);
  if (VALIDATION.has(name))
    return new UsageError(`CloudWatch refused the query ${JSON.stringify(query)}: ${message}`);
  const attempts = e.$metadata?.attempts;
  const after = attempts && attempts > 1 ? ` after ${attempts} attempts` : '';
  let what: string;
  if (NO_CREDENTIALS.has(name))
    what = 'has no credentials (tried the default chain: environment, shared config and SSO, IMDS/IRSA)';
  else if (CREDENTIALS_REFUSED.has(name)) what = `refused the credentials (${name})`;
  else if (THROTTLED.has(name) || e.$retryable?.throttling) what = `throttled the requests${after}`;
  else if (NETWORK_CODES.has(e.code ?? '') || name === 'TimeoutError') what = `is unreachable${after}`;
  else what = `failed${after} (${name})`;
  return new DependencyError(`CloudWatch in ${region} ${what}: ${message}`, { cause: err });
}
