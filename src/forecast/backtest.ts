// Rolling-origin backtest: fit on a prefix, forecast the next `horizon` points, compare with
// what happened; origins step back one horizon at a time so test windows never overlap.
// Scores: MASE (scaled by the in-sample seasonal naive error), sMAPE, interval coverage, width.

import type { CalendarEvent } from '../core/events.js';
import type { Forecast } from '../core/forecast.js';
import type { Forecaster } from '../core/seams.js';
import type { Series } from '../core/series.js';
import { mean } from './quantile.js';

export interface Fold {
  /** Number of points the model was fitted on. */
  origin: number;
  actual: Float64Array;
  forecast: Forecast;
}

export interface Scores {
  mase: number;
  smape: number;
  coverage: number;
  /** Mean interval width relative to the mean absolute actual value. */
  width: number;
}

/** Training lengths for `folds` non-overlapping test windows at the end of the series. */
export function rollingOrigins(n: number, horizon: number, folds: number, minTrain: number): number[] {
  const origins: number[] = [];
  // Never more folds than fit in the series: `--folds 1e15` must not loop for ever.
  const most = Math.max(0, Math.floor((n - minTrain) / Math.max(1, horizon)));
  for (let k = Math.min(folds, most); k >= 1; k--) {
    const origin = n - k * horizon;
    if (origin >= minTrain) origins.push(origin);
  }
  return origins;
}

export function prefix(series: Series, length: number): Series {
  return {
    ...series,
    timestamps: series.timestamps.slice(0, length),
    values: series.values.slice(0, length),
  };
}

export function backtest(
  forecaster: Forecaster,
  series: Series,
  events: readonly CalendarEvent[],
  origins: readonly number[],
  horizon: number,
  level: number,
): Fold[] {
  return origins.map((origin) => {
    const train = prefix(series, origin);
    const model = forecaster.fit(train, events, { level, horizon });
    const forecast = model.predict(horizon, level);
    model.dispose?.();
    return { origin, actual: series.values.slice(origin, origin + horizon), forecast };
  });
}

/** Mean absolute seasonal difference of the training data: MASE's denominator. */
export function naiveScale(values: ArrayLike<number>, m: number): number {
  const lag = values.length > m ? m : 1;
  let s = 0;
  for (let i = lag; i < values.length; i++) s += Math.abs(values[i]! - values[i - lag]!);
  const scale = s / Math.max(1, values.length - lag);
  return scale > 0 ? scale : 1;
}

export function scoreFolds(series: Series, folds: readonly Fold[], seasonLength: number): Scores {
  const mase: number[] = [];
  const smape: number[] = [];
  let covered = 0;
  let points = 0;
  let width = 0;
  let magnitude = 0;
  for (const f of folds) {
    const scale = naiveScale(series.values.subarray(0, f.origin), seasonLength);
    let abs = 0;
    for (let i = 0; i < f.actual.length; i++) {
      const y = f.actual[i]!;
      const p = f.forecast.mean[i]!;
      abs += Math.abs(y - p);
      const denom = Math.abs(y) + Math.abs(p);
      smape.push(denom === 0 ? 0 : (200 * Math.abs(y - p)) / denom);
      if (y >= f.forecast.lower[i]! && y <= f.forecast.upper[i]!) covered++;
      width += f.forecast.upper[i]! - f.forecast.lower[i]!;
      magnitude += Math.abs(y);
      points++;
    }
    mase.push(abs / f.actual.length / scale);
  }
  return {
    mase: mean(mase),
    smape: mean(smape),
    coverage: points ? covered / points : Number.NaN,
    width: magnitude > 0 ? width / magnitude : Number.NaN,
  };
}
