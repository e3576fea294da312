// What a Prometheus `query_range` answer means: the JSON envelope, the matrix inside it, sample
// values (which Prometheus sends as strings, "NaN" and "±Inf" included) and a stable name for a
// label set. Pure: no I/O, so the shapes a server may send are tested without one.

/** One series of a matrix result: its label set and `[seconds, "value"]` pairs, as sent. */
export interface MatrixSeries {
  metric: Record<string, string>;
  values: [number, string][];
}

/** The envelope every API answer shares (https://prometheus.io/docs/prometheus/latest/querying/api/). */
export interface ApiEnvelope {
  status?: string;
  data?: unknown;
  errorType?: string;
  error?: string;
  warnings?: unknown;
}

/** The JSON envelope of a body, or undefined when the body is not one (a proxy's HTML page, say). */
export function envelopeOf(body: string): ApiEnvelope | undefined {
  try {
    const json = JSON.parse(body) as unknown;
    return json !== null && typeof json === 'object' && !Array.isArray(json)
      ? (json as ApiEnvelope)
      : undefined;
  } catch {
    return undefined;
  }
}

export function warningsOf(env: ApiEnvelope): string[] {
  return Array.isArray(env.warnings) ? env.warnings.map(String) : [];
}

/**
 * The series of a `query_range` result, or a sentence saying why the data is not a matrix.
 * Prometheus always answers query_range with a matrix (a scalar query becomes one series with
 * an empty label set); anything else is a server that is not Prometheus-compatible.
 */
export function matrixOf(data: unknown): MatrixSeries[] | string {
  const d = data as { resultType?: unknown; result?: unknown } | null;
  if (d === null || typeof d !== 'object') return 'the answer has no data';
  if (d.resultType !== 'matrix') return `the result is a ${String(d.resultType)}, not a matrix`;
  if (!Array.isArray(d.result)) return 'the matrix has no result list';
  for (const s of d.result as unknown[]) {
    const m = s as Partial<MatrixSeries> | null;
    if (!m || typeof m.metric !== 'object' || m.metric === null) return 'a series has no label set';
    // Native-histogram-only series carry `histograms` and no `values`: they have no float samples.
    if (m.values !== undefined && !Array.isArray(m.values)) return 'a series has malformed values';
  }
  return (d.result as Partial<MatrixSeries>[]).map((s) => ({ metric: s.metric!, values: s.values ?? [] }));
}

/**
 * A sample value as a number. Prometheus writes floats in Go's shortest form ("0.1", "1e+06"),
 * so they read back exactly; "NaN" stays NaN and "+Inf"/"-Inf" become ±Infinity (JavaScript's
 * Number() would read "+Inf" as NaN and lose the sign).
 */
export function sampleValue(text: string): number {
  if (text === '+Inf' || text === 'Inf') return Number.POSITIVE_INFINITY;
  if (text === '-Inf') return Number.NEGATIVE_INFINITY;
  return Number(text);
}

/** Sample time in epoch ms; Prometheus sends seconds with up to millisecond decimals. */
export function sampleTime(seconds: number): number {
  return Math.round(seconds * 1000);
}

function quote(value: string): string {
  return `"${value.replace(/\\/g, '\\\\').replace(/"/g, '\\"').replace(/\n/g, '\\n')}"`;
}

/**
 * A label set as PromQL would select it: `name{a="1",b="2"}` (labels sorted, values escaped),
 * `{a="1"}` without a metric name (after rate(), sum by ...), `name` alone, or `{}` for none.
 * Stable, so the same series gets the same name on every run and in every chunk.
 */
export function seriesName(metric: Record<string, string>): string {
  const name = metric.__name__ ?? '';
  const rest = Object.keys(metric)
    .filter((k) => k !== '__name__')
    .sort()
    .map((k) => `${k}=${quote(metric[k]!)}`);
  if (rest.length === 0) return name === '' ? '{}' : name;
  return `${name}{${rest.join(',')}}`;
}
