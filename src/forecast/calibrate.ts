// Interval calibration from backtest folds (split-conformal in spirit): each side of the
// interval is stretched or shrunk by the factor that would have made the folds' actual values
// fall inside it at the nominal rate. Models' own intervals keep their shape over the horizon;
// only their scale is corrected, since with a few folds a per-step correction would be noise.

import type { Forecast } from '../core/forecast.js';
import type { Fold } from './backtest.js';
import { quantile } from './quantile.js';

export interface Calibration {
  lower: number;
  upper: number;
  /** Fold points the factors were estimated from. */
  points: number;
}

const MIN_FACTOR = 0.25;
/** Calibration points that count as much as the model's own interval (see shrinkage below). */
const PRIOR_POINTS = 100;
const MAX_FACTOR = 20;

export function calibrationFromFolds(folds: readonly Fold[], level: number): Calibration {
  const up: number[] = [];
  const down: number[] = [];
  for (const { actual, forecast } of folds) {
    const scale = meanAbs(actual) * 1e-6 + 1e-12;
    for (let i = 0; i < actual.length; i++) {
      const m = forecast.mean[i]!;
      up.push((actual[i]! - m) / Math.max(forecast.upper[i]! - m, scale));
      down.push((m - actual[i]!) / Math.max(m - forecast.lower[i]!, scale));
    }
  }
  const q = (1 + level) / 2;
  const clamp = (x: number) => Math.min(MAX_FACTOR, Math.max(MIN_FACTOR, Number.isFinite(x) ? x : 1));
  if (up.length === 0) return { lower: 1, upper: 1, points: 0 };
  // A few folds are recent and few: shrink the factor toward 1 (the model's own interval) in
  // log space, trusting the folds in proportion to how many points they hold.
  const w = up.length / (up.length + PRIOR_POINTS);
  const shrink = (x: number) => Math.exp(w * Math.log(clamp(x)));
  return { lower: shrink(quantile(down, q)), upper: shrink(quantile(up, q)), points: up.length };
}

export function applyCalibration(f: Forecast, c: Calibration, nonNegative: boolean): Forecast {
  const lower = new Float64Array(f.mean.length);
  const upper = new Float64Array(f.mean.length);
  for (let i = 0; i < f.mean.length; i++) {
    const m = f.mean[i]!;
    const lo = m - c.lower * (m - f.lower[i]!);
    lower[i] = nonNegative ? Math.max(0, lo) : lo;
    upper[i] = m + c.upper * (f.upper[i]! - m);
  }
  return { ...f, lower, upper };
}

function meanAbs(a: ArrayLike<number>): number {
  let s = 0;
  for (let i = 0; i < a.length; i++) s += Math.abs(a[i]!);
  return a.length ? s / a.length : 0;
}
