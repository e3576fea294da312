// `--source prometheus`: the flags that name a Prometheus server, a query and its time window,
// turned into a request for one series (the query and window flags serve `--source cloudwatch`
// too). Credentials are read from files (never from argv, which `ps` shows); the window is the
// wall clock's business, so it is computed here, at the edge.

import { Command } from 'commander';
import { parseDuration } from '../core/duration.js';
import { UsageError } from '../core/errors.js';
import type { PrometheusAuth } from '../metrics/prometheus.js';
import { parseTimestamp } from '../metrics/timeparse.js';
import { readInput } from '../metrics/read-input.js';
import type { SourceSeriesRequest } from '../metrics/series-request.js';

export interface PrometheusFlags {
  url?: string;
  query?: string;
  lookback?: string;
  start?: string;
  end?: string;
  step?: string;
  bearerTokenFile?: string;
  basicAuthUser?: string;
  basicAuthPasswordFile?: string;
  timeout: string;
}

type FlagNames = [keyof PrometheusFlags, string][];

/** The query and window flags every live source reads, with how each is spelled on the command line. */
const LIVE: FlagNames = [
  ['query', '--query'],
  ['lookback', '--lookback'],
  ['start', '--start'],
  ['end', '--end'],
  ['step', '--step'],
];

/** The flags only `--source prometheus` reads. */
const PROMETHEUS_ONLY: FlagNames = [
  ['url', '--url'],
  ['bearerTokenFile', '--bearer-token-file'],
  ['basicAuthUser', '--basic-auth-user'],
  ['basicAuthPasswordFile', '--basic-auth-password-file'],
];

const LIVE_SOURCES = '--source prometheus|cloudwatch';

export function prometheusOptions(cmd: Command): Command {
  return cmd
    .option('--url <url>', '--source prometheus: base URL of the server (http://host:9090)')
    .option(
      '--query <query>',
      `${LIVE_SOURCES}: PromQL, or a CloudWatch query (Namespace:Metric{Dimension=Value}:Stat, expr:...), returning exactly one series`,
    )
    .option('--lookback <dur>', `${LIVE_SOURCES}: history up to now, rounded down to the step (28d)`)
    .option('--start <time>', `${LIVE_SOURCES}: start of the history, ISO-8601 (instead of --lookback)`)
    .option('--end <time>', `${LIVE_SOURCES}: end of the history, ISO-8601 (with --start)`)
    .option('--step <dur>', `${LIVE_SOURCES}: resolution of the history (1h; the CloudWatch period)`)
    .option('--bearer-token-file <file>', '--source prometheus: send the token in this file')
    .option('--basic-auth-user <user>', '--source prometheus: basic-auth user')
    .option('--basic-auth-password-file <file>', '--source prometheus: basic-auth password, from this file')
    .option('--timeout <dur>', '--source prometheus: longest one HTTP request may take', '30s');
}

/**
 * Refuses the flags `source` does not read, where they would be silently ignored: the Prometheus
 * ones next to CloudWatch, and the query and window flags too next to a CSV input.
 */
export function refusePrometheusFlags(flags: PrometheusFlags, source: 'csv' | 'cloudwatch' = 'csv'): void {
  const given = (names: FlagNames) =>
    names.filter(([key]) => flags[key] !== undefined).map(([, flag]) => flag);
  const refused: string[] = [];
  const prometheus = given(PROMETHEUS_ONLY);
  if (prometheus.length > 0) refused.push(`${prometheus.join(', ')}: only with --source prometheus`);
  const live = source === 'csv' ? given(LIVE) : [];
  if (live.length > 0) refused.push(`${live.join(', ')}: only with --source prometheus or cloudwatch`);
  if (refused.length > 0) throw new UsageError(refused.join('; '));
}

/** A positive duration flag (`--step 1h`), or a UsageError naming the flag. */
export function duration(flag: string, text: string): number {
  const ms = parseDuration(text);
  if (ms === undefined || ms <= 0)
    throw new UsageError(`${flag} "${text}": expected a duration (30s, 1h, 28d)`);
  return ms;
}

function time(flag: string, text: string, zone: string): number {
  const t = parseTimestamp(text, zone);
  if (t === undefined)
    throw new UsageError(`${flag} "${text}": expected an ISO-8601 time (2026-11-01T00:00:00Z)`);
  return t;
}

/** [start, end] of the history: --start/--end as given, or --lookback up to `now` rounded down to the step. */
export function queryWindow(
  flags: Pick<PrometheusFlags, 'lookback' | 'start' | 'end'>,
  stepMs: number,
  now: number,
  zone: string,
  source: 'prometheus' | 'cloudwatch' = 'prometheus',
): { start: number; end: number } {
  if (flags.lookback !== undefined) {
    if (flags.start !== undefined || flags.end !== undefined) {
      throw new UsageError('--lookback and --start/--end: give one or the other');
    }
    const end = Math.floor(now / stepMs) * stepMs;
    return { start: end - duration('--lookback', flags.lookback), end };
  }
  if (flags.start === undefined || flags.end === undefined) {
    throw new UsageError(`--source ${source} needs --lookback DUR, or --start TIME and --end TIME`);
  }
  const start = time('--start', flags.start, zone);
  const end = time('--end', flags.end, zone);
  if (end <= start) throw new UsageError(`--end ${flags.end} is not after --start ${flags.start}`);
  return { start, end };
}

async function secret(file: string): Promise<string> {
  // A trailing newline is how editors and `echo` end files; it is never part of a token.
  return (await readInput(file)).replace(/\r?\n$/, '');
}

async function authFrom(flags: PrometheusFlags): Promise<PrometheusAuth | undefined> {
  const basic = flags.basicAuthUser !== undefined || flags.basicAuthPasswordFile !== undefined;
  if (flags.bearerTokenFile !== undefined && basic) {
    throw new UsageError('--bearer-token-file and --basic-auth-*: give one kind of credentials');
  }
  if (flags.bearerTokenFile !== undefined) return { bearerToken: await secret(flags.bearerTokenFile) };
  if (!basic) return undefined;
  if (flags.basicAuthUser === undefined || flags.basicAuthPasswordFile === undefined) {
    throw new UsageError('--basic-auth-user and --basic-auth-password-file go together');
  }
  return { username: flags.basicAuthUser, password: await secret(flags.basicAuthPasswordFile) };
}

/** The request for the one series `--query` returns, with a PrometheusSource built from the flags. */
export async function prometheusRequest(
  flags: PrometheusFlags & { tz: string; maxGap: number },
  now: number,
): Promise<SourceSeriesRequest> {
  if (flags.url === undefined) throw new UsageError('--source prometheus needs --url (http://host:9090)');
  if (flags.query === undefined) throw new UsageError('--source prometheus needs --query PROMQL');
  if (flags.step === undefined) throw new UsageError('--source prometheus needs --step (1h, 5m)');
  const stepMs = duration('--step', flags.step);
  const { start, end } = queryWindow(flags, stepMs, now, flags.tz);
  const { PrometheusSource } = await import('../metrics/prometheus.js');
  const source = new PrometheusSource({
    url: flags.url,
    auth: await authFrom(flags),
    timeoutMs: duration('--timeout', flags.timeout),
  });
  return {
    kind: 'source',
    source,
    query: flags.query,
    start,
    end,
    stepMs,
    label: `prometheus ${source.url} query "${flags.query}"`,
    zone: flags.tz,
    maxGap: flags.maxGap,
  };
}
