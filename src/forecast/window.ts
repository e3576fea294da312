// The history a pool's forecast is fitted on: the newest `historyMs` of it (the policy's
// forecast.history), so a forecast's cost does not grow with the history kept; and the model
// selection `auto` reuses from the pool's previous forecast instead of backtesting again, for
// half a day to a day. Shared by `run`, `plan` and `simulate`, which therefore fit the same points
// with the same models at the same moment.

import { DAY_MS } from '../core/duration.js';
import type { ModelSelection } from '../core/seams.js';
import type { Series } from '../core/series.js';

/**
 * `auto` backtests its candidates afresh once its selection is this old (by the history's own
 * clock), and this long again at most: each series has its own limit in between (from its
 * name), so a fleet whose pools all selected in one run selects again spread over the
 * following runs, not all in one. Measured on real sub-daily series (docs/benchmark.md,
 * "Reusing auto's selection"), a selection kept for a day forecasts as well as one made at
 * every fit, and one kept for a week no longer does.
 */
export const RESELECT_AFTER_MS = DAY_MS / 2;

/** How long a selection made for `series` (the selection's series name) is reused. */
export function reuseLimit(series: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < series.length; i++) {
    h ^= series.charCodeAt(i);
    h = Math.imul(h, 0x01000193) >>> 0;
  }
  return RESELECT_AFTER_MS + Math.floor((h / 2 ** 32) * RESELECT_AFTER_MS);
}

/**
 * The previous forecast's selection, while it is younger than its series' reuse limit at the
 * end of `series` (the history about to be fitted); undefined when a fresh selection is due.
 * `auto` itself refuses one that does not suit the history (another level, horizon or step).
 */
export function selectionToReuse(
  previous: ModelSelection | undefined,
  series: Series,
): ModelSelection | undefined {
  if (previous === undefined || series.timestamps.length === 0) return undefined;
  const last = series.timestamps[series.timestamps.length - 1]!;
  // A selection read back from a file may lack its name; auto refuses such a one itself.
  return last - previous.madeAt < reuseLimit(String(previous.series ?? '')) ? previous : undefined;
}

/**
 * The points of `series` newer than `historyMs` before its end (the series itself when it is
 * shorter); with `n`, of its first `n` points only (a replay's history known so far).
 */
export function historyWindow(
  series: Series,
  historyMs: number | undefined,
  n = series.timestamps.length,
): Series {
  const ts = series.timestamps;
  const whole = n === ts.length;
  if (historyMs === undefined && whole) return series;
  if (historyMs === undefined || n === 0) {
    return { ...series, timestamps: ts.slice(0, n), values: series.values.slice(0, n) };
  }
  const end = ts[n - 1]! + series.stepMs;
  const from = end - historyMs;
  if (ts[0]! >= from && whole) return series;
  let lo = 0;
  let hi = n;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (ts[mid]! < from) lo = mid + 1;
    else hi = mid;
  }
  return { ...series, timestamps: ts.slice(lo, n), values: series.values.slice(lo, n) };
}
