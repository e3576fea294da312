// Seasonal naive baseline: each future step repeats the value one season earlier.
// Intervals come from the empirical quantiles of the history's seasonal differences, over the
// most recent MAX_FIT_POINTS points.

import type { CalendarEvent } from '../core/events.js';
import type { FittedModel, Forecaster } from '../core/seams.js';
import { futureTimestamps, type Series, seasonLength } from '../core/series.js';
import { applyEventEffects, separateEvents } from './events.js';
import { fitHistory } from './history.js';
import { empiricalInterval, isNonNegative } from './quantile.js';
import { shapeForecast } from './shape.js';

export class SeasonalNaive implements Forecaster {
  readonly name = 'naive';

  minPoints(series: Series): number {
    return Math.max(3, 2 * seasonLength(series));
  }

  fit(history: Series, events: readonly CalendarEvent[]): FittedModel {
    const series = fitHistory(history);
    const m = seasonLength(series);
    const { clean: y, effects: learned } = separateEvents(series.timestamps, series.values, events, m);
    const n = y.length;
    const diffs: number[] = [];
    for (let i = m; i < n; i++) diffs.push(y[i]! - y[i - m]!);
    const nonNegative = isNonNegative(series.values);
    return {
      predict(horizon: number, level: number) {
        const timestamps = futureTimestamps(series, horizon);
        const point = Float64Array.from({ length: horizon }, (_, h) => y[n - m + (h % m)]!);
        const raw = empiricalInterval(point, diffs, level, m);
        const adjusted = applyEventEffects(timestamps, raw, events, learned);
        return shapeForecast(adjusted, timestamps, level, nonNegative);
      },
    };
  }
}
