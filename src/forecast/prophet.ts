// Prophet (Stan model compiled to WebAssembly, via augurs): piecewise-linear trend with
// changepoints, daily/weekly/yearly seasonality where the data can support it, and calendar
// events as holidays. Events never seen in the history cannot be learned by Prophet; their
// `expectedEffect`, when given, is applied to the forecast instead.
//
// The fit is seeded and so reproducible, but augurs draws Prophet's uncertainty samples from an
// unseeded generator; to keep forecasts exact, sampling is off and the interval comes from the
// in-sample residuals' empirical quantiles, widened season by season (see quantile.ts).
// Fits on the most recent MAX_FIT_POINTS points; calls into augurs are guarded (wasm.ts).

import type { CalendarEvent } from '../core/events.js';
import type { FittedModel, Forecaster } from '../core/seams.js';
import { futureTimestamps, type Series, seasonLength } from '../core/series.js';
import { applyEventEffects, seenInHistory } from './events.js';
import { fitHistory } from './history.js';
import { empiricalInterval, isNonNegative } from './quantile.js';
import { shapeForecast } from './shape.js';
import { fitProphet } from './prophet-host.js';
import { guardWasm } from './wasm.js';

const HOUR = 3_600_000;
const DAY = 24 * HOUR;

export interface ProphetSettings {
  /**
   * L-BFGS iteration budget. Prophet's default (10,000) is rarely reached, and past a few dozen
   * iterations the forecast barely moves, if anything for the worse: on the benchmark, mean MASE
   * 1.182 at 40, 1.207 at 100, 1.228 at 250 and 1.234 at 1,000 iterations. About 45 ms of a fit on
   * 3,000 daily points is fixed cost (the design matrix crosses into Stan as JSON); each
   * iteration adds about 0.8 ms there.
   */
  maxIterations: number;
  changepointPriorScale: number;
  seed: number;
}

export const PROPHET_DEFAULTS: ProphetSettings = {
  maxIterations: 40,
  changepointPriorScale: 0.05,
  seed: 42,
};

type Seasonality = { type: 'manual'; enabled: boolean };
const on = (enabled: boolean): Seasonality => ({ type: 'manual', enabled });

/** Which seasonalities the sampling step and the span of history can support. */
export function prophetSeasonalities(series: Series) {
  const span = (series.timestamps.at(-1) ?? 0) - (series.timestamps[0] ?? 0);
  return {
    daily: series.stepMs < DAY && span >= 2 * DAY,
    weekly: series.stepMs <= DAY && span >= 14 * DAY,
    yearly: series.stepMs <= 31 * DAY && span >= 730 * DAY,
  };
}

export class ProphetForecaster implements Forecaster {
  readonly name = 'prophet';

  constructor(private readonly settings: ProphetSettings = PROPHET_DEFAULTS) {}

  minPoints(series: Series): number {
    const perDay = DAY / series.stepMs;
    if (series.stepMs < DAY) return Math.ceil(2 * perDay);
    if (series.stepMs === DAY) return 14;
    return 10;
  }

  fit(history: Series, events: readonly CalendarEvent[]): FittedModel {
    const series = fitHistory(history);
    const seen = seenInHistory(series.timestamps, events);
    const holidays = new Map<string, { occurrences: { start: number; end: number }[] }>();
    for (const e of events) {
      if (!seen.has(e.name)) continue;
      const h = holidays.get(e.name) ?? { occurrences: [] };
      h.occurrences.push({
        start: Math.floor((e.start - e.lowerWindowMs) / 1000),
        end: Math.ceil((e.end + e.upperWindowMs) / 1000),
      });
      holidays.set(e.name, h);
    }
    const unseen = events.filter((e) => !seen.has(e.name));
    const s = prophetSeasonalities(series);
    const ds = series.timestamps.map((t) => Math.round(t / 1000));
    const nonNegative = isNonNegative(series.values);
    const constant = series.values.every((v) => v === series.values[0]);
    // Prophet divides by the largest |y|; below ~1e-300 that overflows, so such a series is zero.
    const negligible = series.values.every((v) => Math.abs(v) < 1e-300);
    if (constant || negligible) return flatModel(series, unseen, nonNegative);
    const settings = this.settings;
    // Fitted in a worker thread that is replaced now and then (prophet-host.ts): the optimizer
    // keeps memory per fit that only dropping its WebAssembly instance gives back.
    const model = guardWasm(`Prophet could not fit "${series.name}"`, () =>
      fitProphet(
        {
          uncertaintySamples: 0,
          changepointPriorScale: settings.changepointPriorScale,
          dailySeasonality: on(s.daily),
          weeklySeasonality: on(s.weekly),
          yearlySeasonality: on(s.yearly),
          holidays,
        },
        { ds, y: Array.from(series.values) },
        { iter: settings.maxIterations, seed: settings.seed },
      ),
    );
    const forecastWhat = `Prophet could not forecast "${series.name}"`;
    const inSample = guardWasm(forecastWhat, () => model.predict());
    const residuals = series.values.map((y, i) => y - inSample[i]!);
    const m = seasonLength(series);
    return {
      predict(horizon: number, level: number) {
        const timestamps = futureTimestamps(series, horizon);
        const ds = timestamps.map((t) => Math.round(t / 1000));
        const point = guardWasm(forecastWhat, () => model.predict(ds));
        const raw = empiricalInterval(point, residuals, level, m);
        return shapeForecast(
          applyEventEffects(timestamps, raw, unseen, new Map()),
          timestamps,
          level,
          nonNegative,
        );
      },
      dispose: () => model.free(),
    };
  }
}

/** A constant history (Prophet's scaling divides by its range) forecasts itself, events aside. */
function flatModel(series: Series, events: readonly CalendarEvent[], nonNegative: boolean): FittedModel {
  const value = series.values[0] ?? 0;
  return {
    predict(horizon: number, level: number) {
      const timestamps = futureTimestamps(series, horizon);
      const flat = new Float64Array(horizon).fill(value);
      const raw = { mean: flat, lower: flat, upper: flat };
      return shapeForecast(
        applyEventEffects(timestamps, raw, events, new Map()),
        timestamps,
        level,
        nonNegative,
      );
    },
  };
}
