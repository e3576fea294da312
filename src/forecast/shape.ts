// Turns raw model output into a Forecast that keeps the invariants every caller relies on:
// lower <= mean <= upper, finite numbers, and no negative values for a non-negative series.

import type { Forecast } from '../core/forecast.js';

export interface RawForecast {
  mean: ArrayLike<number>;
  lower: ArrayLike<number>;
  upper: ArrayLike<number>;
}

export function shapeForecast(
  raw: RawForecast,
  timestamps: number[],
  level: number,
  nonNegative: boolean,
): Forecast {
  const n = timestamps.length;
  const mean = new Float64Array(n);
  const lower = new Float64Array(n);
  const upper = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    let m = raw.mean[i]!;
    let lo = raw.lower[i]!;
    let hi = raw.upper[i]!;
    if (!Number.isFinite(m)) throw new Error(`model produced a non-finite forecast at step ${i + 1}`);
    if (!Number.isFinite(lo)) lo = m;
    if (!Number.isFinite(hi)) hi = m;
    if (nonNegative) {
      m = Math.max(0, m);
      lo = Math.max(0, lo);
      hi = Math.max(0, hi);
    }
    mean[i] = m;
    lower[i] = Math.min(lo, m);
    upper[i] = Math.max(hi, m);
  }
  return { timestamps, mean, lower, upper, level };
}
