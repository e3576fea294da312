// The history a pool's forecast is fitted on: the newest `historyMs` of it (the policy's
// forecast.history), so a forecast's cost does not grow with the history kept. Shared by `run`,
// `plan` and `simulate`, which therefore fit the same points at the same moment.

import type { Series } from '../core/series.js';

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
