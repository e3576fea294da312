// The history a model is fit on: at most the most recent MAX_FIT_POINTS points. A forecaster needs
// a few of its longest seasons, not years of minutes; fitting on more only costs time and memory
// (MSTL on 2.7 million points never finished, and Prophet's memory grows with the history).

import type { Series } from '../core/series.js';

/**
 * Four weeks of one-minute points: enough for two or more weekly seasons at any step of a minute
 * or longer (5 minutes: 140 days; hourly: 4.6 years; daily: 110 years), and a fit of auto in
 * about 10 s.
 */
export const MAX_FIT_POINTS = 40_320;

/** The most recent MAX_FIT_POINTS points of `series` (the series itself when it is shorter). */
export function fitHistory(series: Series): Series {
  const n = series.values.length;
  if (n <= MAX_FIT_POINTS) return series;
  return {
    ...series,
    timestamps: series.timestamps.slice(n - MAX_FIT_POINTS),
    values: series.values.slice(n - MAX_FIT_POINTS),
  };
}
