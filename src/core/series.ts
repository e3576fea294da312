// Plain data that crosses every seam: a time series and what was repaired while reading it.
// Timestamps are epoch milliseconds (UTC); values are a Float64Array of the same length.

export interface Series {
  name: string;
  /** The series' labels when the source has them (a Prometheus label set, CloudWatch dimensions). */
  labels?: Record<string, string>;
  timestamps: number[];
  values: Float64Array;
  /** Sampling step in milliseconds, detected from the data (a month counts as 30.44 days). */
  stepMs: number;
  /** Set when the series sits on a calendar-month grid (same day of month): the step in months. */
  stepMonths?: number;
  /** Where the series was read from, so later checks can name a file and line. */
  source?: { file: string; firstLine: number; lastLine: number };
}

/** What a reader changed so the series could be trusted; reported to the user, never silent. */
export interface Repair {
  series: string;
  kind: 'gap-interpolated' | 'duplicate-dropped';
  /** First timestamp affected (ms) and how many points were filled or dropped. */
  at: number;
  count: number;
}

export interface SeriesSet {
  series: Series[];
  repairs: Repair[];
}

const DAY_MS = 86_400_000;

/** The `horizon` timestamps that follow the series, on its grid (calendar months stay on their day). */
export function futureTimestamps(
  series: Pick<Series, 'timestamps' | 'stepMs' | 'stepMonths'>,
  horizon: number,
): number[] {
  const last = series.timestamps[series.timestamps.length - 1];
  if (last === undefined) throw new Error('futureTimestamps: empty series');
  const out: number[] = [];
  for (let k = 1; k <= horizon; k++) {
    if (series.stepMonths) {
      const d = new Date(last);
      d.setUTCMonth(d.getUTCMonth() + k * series.stepMonths);
      out.push(d.getTime());
    } else {
      out.push(last + k * series.stepMs);
    }
  }
  return out;
}

/** Seasonal periods (in steps) worth modelling for a sampling step, shortest first. */
export function naturalPeriods(stepMs: number, stepMonths?: number): number[] {
  if (stepMonths) return stepMonths <= 3 ? [12 / stepMonths] : [];
  const perDay = DAY_MS / stepMs;
  if (stepMs <= DAY_MS / 2 && Number.isInteger(perDay)) return [perDay, perDay * 7];
  if (stepMs === DAY_MS) return [7, 365];
  if (stepMs === 7 * DAY_MS) return [52];
  return [];
}

/** The season a model repeats or scales by: the shortest natural period the history holds twice, else 1. */
export function seasonLength(series: Pick<Series, 'stepMs' | 'stepMonths' | 'values'>): number {
  const periods = naturalPeriods(series.stepMs, series.stepMonths);
  return periods.find((p) => series.values.length >= 2 * p) ?? 1;
}
