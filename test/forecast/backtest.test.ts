import { describe, expect, it } from 'vitest';
import type { Forecast } from '../../src/core/forecast.js';
import type { Series } from '../../src/core/series.js';
import { combine, inverseSquareWeights } from '../../src/forecast/auto.js';
import { naiveScale, rollingOrigins, scoreFolds } from '../../src/forecast/backtest.js';
import { applyCalibration, calibrationFromFolds } from '../../src/forecast/calibrate.js';
import { rng } from './synthetic.js';

const fc = (mean: number[], lower: number[], upper: number[]): Forecast => ({
  timestamps: mean.map((_, i) => i),
  mean: Float64Array.from(mean),
  lower: Float64Array.from(lower),
  upper: Float64Array.from(upper),
  level: 0.8,
});

describe('rollingOrigins', () => {
  it.each([
    { n: 100, h: 10, k: 3, min: 20, want: [70, 80, 90] },
    { n: 100, h: 10, k: 3, min: 75, want: [80, 90] },
    { n: 30, h: 10, k: 5, min: 5, want: [10, 20] },
    { n: 10, h: 10, k: 1, min: 1, want: [] },
  ])('n=$n h=$h k=$k min=$min -> $want', ({ n, h, k, min, want }) => {
    expect(rollingOrigins(n, h, k, min)).toEqual(want);
  });
});

describe('scoreFolds', () => {
  it('computes MASE, sMAPE, coverage and width by their definitions', () => {
    // History 1..6 with season 2: seasonal differences are all 2, so the scale is 2.
    const series: Series = {
      name: 's',
      timestamps: [0, 1, 2, 3, 4, 5, 6, 7],
      values: Float64Array.from([1, 2, 3, 4, 5, 6, 8, 8]),
      stepMs: 1,
    };
    expect(naiveScale(series.values.subarray(0, 6), 2)).toBe(2);
    const s = scoreFolds(
      series,
      [{ origin: 6, actual: Float64Array.from([8, 8]), forecast: fc([7, 10], [6, 9], [9, 11]) }],
      2,
    );
    expect(s.mase).toBeCloseTo((1 + 2) / 2 / 2, 12);
    expect(s.smape).toBeCloseTo((200 / 15 + 400 / 18) / 2, 12);
    expect(s.coverage).toBe(0.5);
    expect(s.width).toBeCloseTo((3 + 2) / 16, 12);
  });
});

describe('calibration', () => {
  it('rescales a too-narrow interval to the nominal coverage', () => {
    const r = rng(3);
    const normal = () => Math.sqrt(-2 * Math.log(r() + 1e-12)) * Math.cos(2 * Math.PI * r());
    const fold = (n: number) => {
      const actual = Float64Array.from({ length: n }, () => 10 * normal());
      // Claimed interval +-1 while the truth has sd 10: far too narrow.
      return {
        origin: 0,
        actual,
        forecast: fc(new Array(n).fill(0), new Array(n).fill(-1), new Array(n).fill(1)),
      };
    };
    const c = calibrationFromFolds([fold(20_000)], 0.8);
    expect(c.upper).toBeGreaterThan(11.5);
    expect(c.upper).toBeLessThan(14); // 1.2816 * 10 = 12.8, shrunk by 100/20100 in log space
    const test = fold(4000);
    const f = applyCalibration(test.forecast, c, false);
    let inside = 0;
    test.actual.forEach((y, i) => {
      if (y >= f.lower[i]! && y <= f.upper[i]!) inside++;
    });
    expect(inside / 4000).toBeGreaterThan(0.76);
    expect(inside / 4000).toBeLessThan(0.84);
    // From 30 points the folds are trusted 30/130 of the way (log space), no more.
    const few = calibrationFromFolds([fold(30)], 0.8);
    expect(few.upper).toBeGreaterThan(1);
    expect(few.upper).toBeLessThan(Math.exp((30 / 130) * Math.log(20)));
  });
});

describe('consensus', () => {
  it('weights by inverse squared MASE and sums to one', () => {
    const w = inverseSquareWeights(['a', 'b'], {
      a: { mase: 1, smape: 0, coverage: 0, width: 0 },
      b: { mase: 2, smape: 0, coverage: 0, width: 0 },
    });
    expect(w.a).toBeCloseTo(0.8, 12);
    expect(w.b).toBeCloseTo(0.2, 12);
  });

  it('combines means and bounds with the weights', () => {
    const f = combine([
      { weight: 0.75, forecast: fc([4], [2], [6]) },
      { weight: 0.25, forecast: fc([8], [6], [14]) },
    ]);
    expect([f.mean[0], f.lower[0], f.upper[0]]).toEqual([5, 3, 8]);
  });
});
