// Small numeric helpers shared by the forecasters, the backtest and the calibration.

/** Empirical quantile (linear interpolation, like R's type 7) of unsorted values. */
export function quantile(values: ArrayLike<number>, q: number): number {
  const sorted = Float64Array.from(values).sort();
  if (sorted.length === 0) return Number.NaN;
  const pos = (sorted.length - 1) * Math.min(1, Math.max(0, q));
  const lo = Math.floor(pos);
  const hi = Math.ceil(pos);
  return sorted[lo]! + (sorted[hi]! - sorted[lo]!) * (pos - lo);
}

export function mean(values: ArrayLike<number>): number {
  let s = 0;
  for (let i = 0; i < values.length; i++) s += values[i]!;
  return values.length ? s / values.length : Number.NaN;
}

export function isNonNegative(values: ArrayLike<number>): boolean {
  for (let i = 0; i < values.length; i++) if (values[i]! < 0) return false;
  return true;
}

/**
 * An interval around point forecasts from empirical error quantiles, widened by
 * sqrt(number of seasons ahead) as errors accumulate season over season (FPP3, 5.5).
 */
export function empiricalInterval(
  point: ArrayLike<number>,
  errors: ArrayLike<number>,
  level: number,
  seasonLength: number,
): { mean: Float64Array; lower: Float64Array; upper: Float64Array } {
  const qLo = quantile(errors, (1 - level) / 2);
  const qHi = quantile(errors, (1 + level) / 2);
  const n = point.length;
  const mean = Float64Array.from(point);
  const lower = new Float64Array(n);
  const upper = new Float64Array(n);
  const m = Math.max(1, seasonLength);
  for (let h = 0; h < n; h++) {
    const k = Math.sqrt(Math.floor(h / m) + 1);
    lower[h] = mean[h]! + qLo * k;
    upper[h] = mean[h]! + qHi * k;
  }
  return { mean, lower, upper };
}
