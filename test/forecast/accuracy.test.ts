// The forecast-accuracy monitor, computed by hand on small cases: which points are scored, the
// window, the error and the interval coverage.

import { describe, expect, it } from 'vitest';
import type { Forecast } from '../../src/core/forecast.js';
import { EMPTY_ACCURACY, summarize, updateAccuracy } from '../../src/forecast/accuracy.js';

const H = 3_600_000;
const f = (t0: number, mean: number[], width = 10): Forecast => ({
  timestamps: mean.map((_, i) => t0 + i * H),
  mean: Float64Array.from(mean),
  lower: Float64Array.from(mean, (m) => m - width),
  upper: Float64Array.from(mean, (m) => m + width),
  level: 0.8,
});
const seen = (t0: number, values: number[]) => ({
  timestamps: values.map((_, i) => t0 + i * H),
  values: Float64Array.from(values),
});

describe('updateAccuracy', () => {
  it('scores the previous forecast on the points now observed, by exact timestamp', () => {
    // Forecast for hours 10..13; observed hours 0..11: hours 10 and 11 are scored.
    const prev = f(10 * H, [100, 200, 300, 400]);
    const obs = seen(0, [...Array(10).fill(50), 110, 150]);
    const { state, summary } = updateAccuracy(EMPTY_ACCURACY, prev, obs, 24 * H);
    expect(state.points.map((p) => p.t)).toEqual([10 * H, 11 * H]);
    // |110-100|/110 = 9.09 %, |150-200|/150 = 33.3 % → mean 21.2 %; 110 inside [90,110], 150 outside [190,210].
    expect(summary.mape).toBeCloseTo(((10 / 110 + 50 / 150) / 2) * 100, 10);
    expect(summary).toMatchObject({ points: 2, coverage: 0.5, level: 0.8 });
  });

  it('keeps the first prediction of a point, and drops points that left the window', () => {
    const first = updateAccuracy(EMPTY_ACCURACY, f(1 * H, [10, 20]), seen(0, [5, 10, 20]), 24 * H);
    // A later forecast that also covers hour 2 does not replace its first prediction.
    const second = updateAccuracy(first.state, f(2 * H, [99, 30]), seen(0, [5, 10, 20, 30]), 24 * H);
    expect(second.state.points.map((p) => [p.t / H, p.mean])).toEqual([
      [1, 10],
      [2, 20],
      [3, 30],
    ]);
    expect(second.summary.mape).toBe(0);
    // Window of 2 h before the newest observation (hour 30): everything above is gone.
    const late = updateAccuracy(second.state, undefined, seen(0, Array(31).fill(1)), 2 * H);
    expect(late.state.points).toEqual([]);
    expect(late.summary.points).toBe(0);
    expect(Number.isNaN(late.summary.mape)).toBe(true);
  });

  it('leaves points whose actual is zero out of the percentage error, not out of the coverage', () => {
    const s = summarize([
      { t: 0, mean: 5, lower: 0, upper: 10, actual: 0 },
      { t: 1, mean: 90, lower: 80, upper: 100, actual: 100 },
    ]);
    expect(s).toMatchObject({ points: 2, coverage: 1 });
    expect(s.mape).toBeCloseTo(10, 12);
  });
});
