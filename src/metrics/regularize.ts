// Puts a sorted series on a regular grid: detects the step, fills small gaps by linear
// interpolation (reported), and refuses what cannot be trusted (irregular sampling, long gaps).
//
// Rule: a gap of up to `maxGap` missing points is filled by a straight line between its two
// neighbours; a longer gap is an error. Missing values (empty, NaN, NA) count as gap points.
// Bounds: at most MAX_SERIES_POINTS points on the grid, values within ±MAX_ABS_VALUE, a step of
// at most a year.

import { DateTime } from 'luxon';
import { InputError } from '../core/errors.js';
import type { Repair, Series } from '../core/series.js';

export interface RawPoint {
  t: number;
  /** NaN marks a missing value. */
  v: number;
  line: number;
}

export interface RegularizeOptions {
  name: string;
  maxGap: number;
  /** Reports a problem at a source line; must throw. */
  fail: (line: number, message: string) => never;
  /** What a point is called in messages; default "row" (a CSV row). */
  pointNoun?: string;
}

const DAY = 86_400_000;

/** Most points a series may have on its grid: two years of one-minute samples. */
export const MAX_SERIES_POINTS = 1_000_000;
/**
 * Largest magnitude of a metric value. Models square and sum values; past this, a million of
 * them overflow or drown every other digit (and no real demand metric comes near it).
 */
export const MAX_ABS_VALUE = 1e15;

/** Longest step between points: a demand series sampled less often than yearly cannot be forecast. */
const MAX_STEP_MS = 366 * DAY;

/** Longest run of missing points a reader may be asked to fill: a week of one-minute points. */
export const MAX_GAP_LIMIT = 10_000;

/**
 * Text as a message quotes it: in quotes as it is when printable and at most `max` long (a
 * Prometheus label set keeps its own quotes); else cut short and JSON-escaped, on one line.
 */
export function shown(text: string, max = 200): string {
  // eslint-disable-next-line no-control-regex
  if (text.length <= max && !/[\u0000-\u001f\u007f]/.test(text)) return `"${text}"`;
  return JSON.stringify(text.length > max ? `${text.slice(0, max)}…` : text);
}

/** Months between two instants on the same day-of-month grid, or undefined when not on one. */
function monthGrid(points: readonly RawPoint[]): number[] | undefined {
  if (points.length < 3) return undefined;
  const first = DateTime.fromMillis(points[0]!.t, { zone: 'utc' });
  const months: number[] = [];
  for (const p of points) {
    const d = DateTime.fromMillis(p.t, { zone: 'utc' });
    if (d.day !== first.day || d.toFormat('HH:mm:ss.SSS') !== first.toFormat('HH:mm:ss.SSS'))
      return undefined;
    months.push(d.year * 12 + d.month);
  }
  return months;
}

function mostCommonDiff(diffs: readonly number[]): number {
  const counts = new Map<number, number>();
  for (const d of diffs) counts.set(d, (counts.get(d) ?? 0) + 1);
  let best = diffs[0]!;
  let bestCount = 0;
  for (const [d, c] of counts) {
    if (c > bestCount || (c === bestCount && d < best)) {
      best = d;
      bestCount = c;
    }
  }
  return best;
}

export function regularize(
  points: readonly RawPoint[],
  opts: RegularizeOptions,
): { series: Series; repairs: Repair[] } {
  const { name, fail } = opts;
  if (points.length < 2)
    fail(points[0]?.line ?? 1, `series ${shown(name)} has ${points.length} point(s); need at least 2`);
  const months = monthGrid(points);
  const diffs = months
    ? months.slice(1).map((m, i) => m - months[i]!)
    : points.slice(1).map((p, i) => p.t - points[i]!.t);
  const step = mostCommonDiff(diffs);
  if (months ? step > 12 : step > MAX_STEP_MS) {
    const first = points[diffs.indexOf(step) + 1]!;
    const human = months ? `${step} months` : `${Math.round(step / DAY)} days`;
    fail(first.line, `points of ${shown(name)} are ${human} apart, more than the limit of a year`);
  }
  const repairs: Repair[] = [];
  const timestamps: number[] = [];
  const values: number[] = [];
  const base = DateTime.fromMillis(points[0]!.t, { zone: 'utc' });
  const at = (k: number): number =>
    months ? base.plus({ months: k * step }).toMillis() : points[0]!.t + k * step;

  let k = 0;
  for (let i = 0; i < points.length; i++) {
    const p = points[i]!;
    if (i > 0) {
      const d = diffs[i - 1]!;
      const n = d / step;
      if (!Number.isInteger(n)) {
        const human = months ? `${d} months` : `${d / 1000}s`;
        const stepHuman = months ? `${step} month(s)` : `${step / 1000}s`;
        fail(
          p.line,
          `irregular sampling in ${shown(name)}: ${human} after the previous point, not a multiple of the step ${stepHuman}`,
        );
      }
      if (n - 1 > opts.maxGap) {
        fail(
          p.line,
          `gap of ${n - 1} missing points in ${shown(name)} before this ${opts.pointNoun ?? 'row'} (more than --max-gap ${opts.maxGap}); fill it at the source or raise --max-gap`,
        );
      }
      if (k + n >= MAX_SERIES_POINTS) {
        fail(
          p.line,
          `${shown(name)} would have more than ${MAX_SERIES_POINTS.toLocaleString('en-US')} points on its grid, the limit of a series`,
        );
      }
      if (n > 1) {
        for (let j = 1; j < n; j++) {
          timestamps.push(at(k + j));
          values.push(Number.NaN);
        }
        repairs.push({ series: name, kind: 'gap-interpolated', at: at(k + 1), count: n - 1 });
      }
      k += n;
    }
    timestamps.push(at(k));
    values.push(p.v);
  }
  fillMissing(values, name, points, timestamps, repairs, opts);
  const stepMs = months ? step * 30.436875 * DAY : step;
  const series: Series = { name, timestamps, values: Float64Array.from(values), stepMs };
  if (months) series.stepMonths = step;
  return { series, repairs };
}

/** The source line of the first point at or after `t` (points are sorted), else the last. */
function lineAt(points: readonly RawPoint[], t: number): number {
  let lo = 0;
  let hi = points.length;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (points[mid]!.t < t) lo = mid + 1;
    else hi = mid;
  }
  return (points[lo] ?? points[points.length - 1]!).line;
}

/** Linear interpolation over runs of NaN; runs longer than maxGap or at either end are refused. */
function fillMissing(
  values: number[],
  name: string,
  points: readonly RawPoint[],
  timestamps: readonly number[],
  repairs: Repair[],
  opts: RegularizeOptions,
): void {
  // Searches, not scans: a file with a gap every other row must not cost n² (it took minutes).
  const lineOf = (t: number): number => lineAt(points, t);
  const reported = new Set(repairs.map((r) => r.at));
  for (let i = 0; i < values.length;) {
    if (!Number.isNaN(values[i]!)) {
      i++;
      continue;
    }
    let j = i;
    while (j < values.length && Number.isNaN(values[j]!)) j++;
    const run = j - i;
    if (i === 0 || j === values.length) {
      opts.fail(
        lineOf(timestamps[i]!),
        `${shown(name)} ${i === 0 ? 'starts' : 'ends'} with a missing value; trim it or fill it at the source`,
      );
    }
    if (run > opts.maxGap) {
      opts.fail(
        lineOf(timestamps[i]!),
        `${run} consecutive missing values in ${shown(name)} (more than --max-gap ${opts.maxGap})`,
      );
    }
    const a = values[i - 1]!;
    const b = values[j]!;
    for (let m = i; m < j; m++) values[m] = a + ((b - a) * (m - i + 1)) / (run + 1);
    // Gaps in time were already reported; report only values that were present but empty.
    if (!reported.has(timestamps[i]!))
      repairs.push({ series: name, kind: 'gap-interpolated', at: timestamps[i]!, count: run });
    i = j;
  }
}

/**
 * A series fetched from a metric source (Prometheus, CloudWatch), put on its grid with the same
 * rules as a CSV series: missing steps and NaN samples up to `maxGap` interpolated and reported,
 * anything worse refused as bad input naming `where` (the query) and the sample's time. ±Infinity
 * (a division by zero in the query, say) is refused: no model can fit it.
 */
export function regularizeFetched(
  s: Series,
  maxGap: number,
  where: string,
): { series: Series; repairs: Repair[] } {
  const at = (i: number): string => {
    const t = s.timestamps[Math.min(i, s.timestamps.length - 1)];
    return t === undefined ? '' : `${new Date(t).toISOString()}: `;
  };
  const points: RawPoint[] = s.timestamps.map((t, i) => ({ t, v: s.values[i]!, line: i }));
  const inf = points.find((p) => p.v === Infinity || p.v === -Infinity);
  if (inf) {
    throw new InputError(
      where,
      undefined,
      `${at(inf.line)}${shown(s.name)} is ${inf.v > 0 ? '+Inf' : '-Inf'}; guard the query against division by zero`,
    );
  }
  const huge = points.find((p) => Math.abs(p.v) > MAX_ABS_VALUE);
  if (huge) {
    throw new InputError(
      where,
      undefined,
      `${at(huge.line)}${shown(s.name)} is ${huge.v}, beyond ±1e15, the limit of a metric value`,
    );
  }
  const fail = (i: number, message: string): never => {
    throw new InputError(where, undefined, `${at(i)}${message}`);
  };
  const out = regularize(points, { name: s.name, maxGap, fail, pointNoun: 'sample' });
  if (s.labels) out.series.labels = s.labels;
  return out;
}
