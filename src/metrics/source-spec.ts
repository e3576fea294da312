// A forecast spec's `source:` block (where a pool's demand is read: a metric CSV, a Prometheus
// query, a CloudWatch metric, an HTTP JSON feed), its schema and the bounds every live read keeps: the spec loader
// (pipeline/spec.ts) parses the whole spec with it, and sources.ts builds the source from it.

import { resolve } from 'node:path';
import { z } from 'zod';
import { DAY_MS, durationProblem, parseDuration, quoted } from '../core/duration.js';
import { MAX_GAP_LIMIT, MAX_SERIES_POINTS } from './regularize.js';

export const HOUR_MS = 3_600_000;

export const durationText = (what: string, maxMs: number) =>
  z.string().superRefine((text, ctx) => {
    const problem = durationProblem(text, maxMs, { positive: true });
    if (!problem) return;
    const message = problem.startsWith('must')
      ? `${what}: expected a duration like 5m, 1h, 28d`
      : `${quoted(text)} ${problem}`;
    ctx.addIssue({ code: 'custom', message });
  });

const maxGap = z
  .number()
  .int()
  .nonnegative()
  .max(MAX_GAP_LIMIT, `must be at most ${MAX_GAP_LIMIT} (points interpolated in one gap)`)
  .default(6);

/** A window read at a step must stay within the points one series may hold. */
export function pointsProblem(lookback: string, step: string): string | undefined {
  const points = (parseDuration(lookback) ?? 0) / (parseDuration(step) ?? Infinity);
  if (!(points > MAX_SERIES_POINTS)) return undefined;
  return `lookback ${lookback} at step ${step} is ${Math.ceil(points)} points, more than the limit of ${MAX_SERIES_POINTS} for a series`;
}

const CsvSourceSchema = z
  .object({
    kind: z.literal('csv'),
    file: z.string().min(1),
    series: z.string().optional(),
    timezone: z.string().default('UTC'),
    max_gap: maxGap,
  })
  .strict();

/** A live source reads `lookback` before the run's time, at `step`. */
const liveFields = {
  query: z.string().min(1),
  step: durationText('step', 7 * DAY_MS).default('5m'),
  lookback: durationText('lookback', 1098 * DAY_MS).default('28d'),
  timezone: z.string().default('UTC'),
  max_gap: maxGap,
};

const livePoints = (s: { lookback: string; step: string }, ctx: z.RefinementCtx) => {
  const problem = pointsProblem(s.lookback, s.step);
  if (problem) ctx.addIssue({ code: 'custom', path: ['lookback'], message: problem });
};

const PrometheusSourceSchema = z
  .object({
    kind: z.literal('prometheus'),
    url: z.url(),
    ...liveFields,
    timeout: durationText('timeout', HOUR_MS).default('30s'),
    /** A file holding the bearer token (a mounted Secret), never the token itself. */
    bearer_token_file: z.string().min(1).optional(),
    basic_auth: z
      .object({ username: z.string().min(1), password_file: z.string().min(1) })
      .strict()
      .optional(),
  })
  .strict()
  .superRefine(livePoints);

const CloudWatchSourceSchema = z
  .object({ kind: z.literal('cloudwatch'), region: z.string().min(1), ...liveFields })
  .strict()
  .superRefine(livePoints);

/**
 * An HTTP JSON feed (docs/inputs.md, "JSON feeds"): `series` picks one by name when the feed
 * returns several; the rest reads like any live source.
 */
const JsonFeedSourceSchema = z
  .object({
    kind: z.literal('json'),
    url: z.url(),
    series: z.string().min(1).optional(),
    step: liveFields.step,
    lookback: liveFields.lookback,
    timezone: liveFields.timezone,
    max_gap: maxGap,
    timeout: durationText('timeout', HOUR_MS).default('30s'),
    /** A file holding the bearer token (a mounted Secret), never the token itself. */
    bearer_token_file: z.string().min(1).optional(),
  })
  .strict()
  .superRefine(livePoints);

/** A spec's `source:`: a metric CSV, a Prometheus query, a CloudWatch metric or a JSON feed. */
export const SourceSpecSchema = z.discriminatedUnion('kind', [
  CsvSourceSchema,
  PrometheusSourceSchema,
  CloudWatchSourceSchema,
  JsonFeedSourceSchema,
]);

/** A spec's `source:`, as parsed. */
export type SourceSpec = z.infer<typeof SourceSpecSchema>;

/** Paths in a source (a CSV file, credential files) are relative to the spec file. */
export function resolveSource(dir: string, source: SourceSpec): SourceSpec {
  switch (source.kind) {
    case 'csv':
      return { ...source, file: resolve(dir, source.file) };
    case 'prometheus':
      return {
        ...source,
        ...(source.bearer_token_file ? { bearer_token_file: resolve(dir, source.bearer_token_file) } : {}),
        ...(source.basic_auth
          ? {
              basic_auth: {
                ...source.basic_auth,
                password_file: resolve(dir, source.basic_auth.password_file),
              },
            }
          : {}),
      };
    case 'json':
      return source.bearer_token_file
        ? { ...source, bearer_token_file: resolve(dir, source.bearer_token_file) }
        : source;
    default:
      return source;
  }
}
