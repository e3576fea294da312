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
