// A forecast spec's demand source as a series request: the CSV file, or a live MetricSource
// (Prometheus, CloudWatch) read over the spec's lookback up to the run's time, on its step. The
// one place that maps a source kind to its implementation; adding a source adds a case here.

import { readFile } from 'node:fs/promises';
import { parseDuration } from '../core/duration.js';
import { InputError } from '../core/errors.js';
import type { MetricSource } from '../core/seams.js';
import { CloudWatchSource } from '../metrics/cloudwatch.js';
import { type PrometheusAuth, PrometheusSource } from '../metrics/prometheus.js';
import type { SeriesRequest } from './forecast-pool.js';
import type { ForecastSpec } from './spec.js';

/** Whether the spec's data is read live (so it can go stale or vanish), rather than from a file. */
export function isLive(spec: ForecastSpec): boolean {
  return spec.source.kind !== 'csv';
}

/** The demand series request of `spec` for a run at `now` (epoch ms; unused for a CSV file). */
export async function seriesRequestFor(spec: ForecastSpec, now: number): Promise<SeriesRequest> {
  const src = spec.source;
  if (src.kind === 'csv') {
    return { input: src.file, series: src.series, zone: src.timezone, maxGap: src.max_gap };
  }
  const stepMs = parseDuration(src.step)!;
  const end = Math.floor(now / stepMs) * stepMs;
  const window = { start: end - parseDuration(src.lookback)!, end, stepMs };
  const common = {
    kind: 'source' as const,
    query: src.query,
    zone: src.timezone,
    maxGap: src.max_gap,
    ...window,
  };
  if (src.kind === 'prometheus') {
    const source = new PrometheusSource({
      url: src.url,
      auth: await authOf(spec),
      timeoutMs: parseDuration(src.timeout)!,
    });
    return { ...common, source, label: `prometheus ${source.url} query "${src.query}" (${spec.file})` };
  }
  const source = new CloudWatchSource({ region: src.region });
  return { ...common, source, label: `cloudwatch ${src.region} query "${src.query}" (${spec.file})` };
}

/** The spec's `health:` gate queries on its Prometheus, for a real target's health gate. */
export async function healthSourceFor(
  spec: ForecastSpec,
): Promise<{ source: MetricSource; queries: Record<string, string> } | undefined> {
  const src = spec.source;
  if (!spec.health || src.kind !== 'prometheus') return undefined;
  const source = new PrometheusSource({
    url: src.url,
    auth: await authOf(spec),
    timeoutMs: parseDuration(src.timeout)!,
  });
  return { source, queries: spec.health };
}

async function authOf(spec: ForecastSpec): Promise<PrometheusAuth | undefined> {
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
