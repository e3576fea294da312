// The metric-source factory: a forecast spec's demand source as a series request (the CSV file,
// or a live MetricSource, Prometheus, CloudWatch or a JSON feed, read over the spec's lookback up to the run's
// time, on its step), and its health-gate source. The one place that maps a source kind to its
// implementation; adding a source adds a case here and a schema in source-spec.ts.

import { readFile } from 'node:fs/promises';
import { parseDuration } from '../core/duration.js';
import { InputError, UsageError } from '../core/errors.js';
import type { MetricSource } from '../core/seams.js';
import { CloudWatchSource } from './cloudwatch.js';
import { JsonFeedSource } from './json-feed.js';
import { type PrometheusAuth, PrometheusSource } from './prometheus.js';
import type { SeriesRequest, SourceSeriesRequest } from './series-request.js';
import type { SourceSpec } from './source-spec.js';

/** What a source is built from: a spec's `source:` (and its `health:` gate queries), and the spec file, which messages name. */
export interface SourceOwner {
  file: string;
  source: SourceSpec;
  health?: Readonly<Record<string, string>>;
}

/** What a live source is asked: the query, its window and step, and how to read the answer. */
export type LiveRead = Omit<SourceSeriesRequest, 'kind' | 'source' | 'label'>;

/**
 * A request for `read.query` on CloudWatch in `region`: a spec's `kind: cloudwatch` source and
 * `--source cloudwatch` both come through here, so they read and name the series alike. `from`
 * (the spec file) ends the label that messages name the series by.
 */
export function cloudWatchRequest(region: string, read: LiveRead, from?: string): SourceSeriesRequest {
  const source = new CloudWatchSource({ region });
  const label = `cloudwatch ${region} query "${read.query}"${from ? ` (${from})` : ''}`;
  return { kind: 'source', source, label, ...read };
}

/** Whether the spec's data is read live (so it can go stale or vanish), rather than from a file. */
export function isLive(spec: SourceOwner): boolean {
  return spec.source.kind !== 'csv';
}

/** The demand series request of `spec` for a run at `now` (epoch ms; unused for a CSV file). */
export async function seriesRequestFor(spec: SourceOwner, now: number): Promise<SeriesRequest> {
  const src = spec.source;
  if (src.kind === 'csv') {
    return { input: src.file, series: src.series, zone: src.timezone, maxGap: src.max_gap };
  }
  const stepMs = parseDuration(src.step)!;
  const end = Math.floor(now / stepMs) * stepMs;
  const window = { start: end - parseDuration(src.lookback)!, end, stepMs };
  if (src.kind === 'json') {
    const source = await jsonFeedOf(spec, src);
    const query = src.series ?? '';
    const label = `json feed ${source.url}${src.series ? ` series "${src.series}"` : ''} (${spec.file})`;
    return { kind: 'source', source, label, query, zone: src.timezone, maxGap: src.max_gap, ...window };
  }
  const read: LiveRead = { query: src.query, zone: src.timezone, maxGap: src.max_gap, ...window };
  if (src.kind === 'prometheus') {
    const source = await prometheusOf(spec, src);
    const label = `prometheus ${source.url} query "${src.query}" (${spec.file})`;
    return { kind: 'source', source, label, ...read };
  }
  return cloudWatchRequest(src.region, read, spec.file);
}

/** The spec's `health:` gate queries on its Prometheus, for a real target's health gate. */
export async function healthSourceFor(
  spec: SourceOwner,
): Promise<{ source: MetricSource; queries: Record<string, string> } | undefined> {
  const src = spec.source;
  if (!spec.health || src.kind !== 'prometheus') return undefined;
  return { source: await prometheusOf(spec, src), queries: spec.health };
}

type PrometheusSpecSource = Extract<SourceSpec, { kind: 'prometheus' }>;
type JsonSpecSource = Extract<SourceSpec, { kind: 'json' }>;

/** The spec's JSON feed; a URL or token that can never work is the spec's fault. */
async function jsonFeedOf(spec: SourceOwner, src: JsonSpecSource): Promise<JsonFeedSource> {
  const token = src.bearer_token_file ? await secret(spec.file, src.bearer_token_file) : undefined;
  try {
    return new JsonFeedSource({
      url: src.url,
      timeoutMs: parseDuration(src.timeout)!,
      ...(token !== undefined ? { bearerToken: token } : {}),
    });
  } catch (err) {
    if (err instanceof UsageError) throw new InputError(spec.file, undefined, `source.url: ${err.message}`);
    throw err;
  }
}

/** The spec's Prometheus; a URL that can never work (a port fetch refuses, say) is the spec's fault. */
async function prometheusOf(spec: SourceOwner, src: PrometheusSpecSource): Promise<PrometheusSource> {
  const auth = await authOf(spec);
  try {
    return new PrometheusSource({ url: src.url, auth, timeoutMs: parseDuration(src.timeout)! });
  } catch (err) {
    if (err instanceof UsageError) throw new InputError(spec.file, undefined, `source.url: ${err.message}`);
    throw err;
  }
}

async function authOf(spec: SourceOwner): Promise<PrometheusAuth | undefined> {
  const src = spec.source;
  if (src.kind !== 'prometheus') return undefined;
  if (src.bearer_token_file) return { bearerToken: await secret(spec.file, src.bearer_token_file) };
  if (src.basic_auth) {
    return {
      username: src.basic_auth.username,
      password: await secret(spec.file, src.basic_auth.password_file),
    };
  }
  return undefined;
}

async function secret(spec: string, file: string): Promise<string> {
  try {
    // A trailing newline is how editors and `echo` end files; it is never part of a secret.
    return (await readFile(file, 'utf8')).replace(/\r?\n$/, '');
  } catch (err) {
    throw new InputError(
      spec,
      undefined,
      `cannot read the credential file ${file}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`,
    );
  }
}
