// Seasonal naive baseline: each future step repeats the value one season earlier.
// Intervals come from the empirical quantiles of the history's seasonal differences,
// widened by sqrt(number of seasons ahead), as in Hyndman & Athanasopoulos (FPP3, 5.5).

import type { CalendarEvent } from '../core/events.js';
import type { FittedModel, Forecaster } from '../core/seams.js';
import { futureTimestamps, naturalPeriods, type Series } from '../core/series.js';
import { applyEventEffects, separateEvents } from './events.js';
import { isNonNegative, quantile } from './quantile.js';
import { shapeForecast } from './shape.js';

export function seasonLength(series: Pick<Series, 'stepMs' | 'stepMonths' | 'values'>): number {
  const periods = naturalPeriods(series.stepMs, series.stepMonths);
  return periods.find((p) => series.values.length >= 2 * p) ?? 1;
}

export class SeasonalNaive implements Forecaster {
  readonly name = 'naive';

  minPoints(series: Series): number {
    return Math.max(3, 2 * seasonLength(series));
  }

  fit(series: Series, events: readonly CalendarEvent[]): FittedModel {
    const m = seasonLength(series);
    const { clean: y, effects: learned } = separateEvents(series.timestamps, series.values, events, m);
    const n = y.length;
    const diffs: number[] = [];
    for (let i = m; i < n; i++) diffs.push(y[i]! - y[i - m]!);
    const nonNegative = isNonNegative(series.values);
    return {
      predict(horizon: number, level: number) {
        const timestamps = futureTimestamps(series, horizon);
        const qLo = quantile(diffs, (1 - level) / 2);
        const qHi = quantile(diffs, (1 + level) / 2);
        const mean = new Float64Array(horizon);
        const lower = new Float64Array(horizon);
        const upper = new Float64Array(horizon);
        for (let h = 0; h < horizon; h++) {
          const point = y[n - m + (h % m)]!;
          const k = Math.sqrt(Math.floor(h / m) + 1);
          mean[h] = point;
          lower[h] = point + qLo * k;
          upper[h] = point + qHi * k;
        }
        const adjusted = applyEventEffects(timestamps, { mean, lower, upper }, events, learned);
        return shapeForecast(adjusted, timestamps, level, nonNegative);
      },
    };
  }
}
