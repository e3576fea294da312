import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { Series } from '../../src/core/series.js';
import { createForecaster, MODEL_NAMES } from '../../src/forecast/index.js';
import { HOUR, rng, START } from './synthetic.js';

// Random series: a daily cycle of random amplitude, random trend and noise, sometimes crossing
// zero; the invariants must hold whatever the data.
const seriesArb = fc
  .record({
    days: fc.integer({ min: 3, max: 10 }),
    level: fc.double({ min: 0, max: 1e4, noNaN: true }),
    amplitude: fc.double({ min: 0, max: 1, noNaN: true }),
    trend: fc.double({ min: -0.5, max: 0.5, noNaN: true }),
    noise: fc.double({ min: 0, max: 0.5, noNaN: true }),
    signed: fc.boolean(),
    seed: fc.integer(),
  })
  .map(({ days, level, amplitude, trend, noise, signed, seed }): Series => {
    const r = rng(seed);
    const n = days * 24;
    const values = new Float64Array(n);
    for (let i = 0; i < n; i++) {
      const v =
        level * (1 + amplitude * Math.sin((i / 24) * 2 * Math.PI) + (trend * i) / n + noise * (r() - 0.5)) -
        (signed ? level : 0);
      values[i] = signed ? v : Math.max(0, v);
    }
    return {
      name: 's',
      timestamps: Array.from({ length: n }, (_, i) => START + i * HOUR),
      values,
      stepMs: HOUR,
    };
  });

describe.each(MODEL_NAMES)('%s forecasts', (name) => {
  it('have the horizon length, lower <= mean <= upper, finite, and stay >= 0 for non-negative input', () => {
    fc.assert(
      fc.property(
        seriesArb,
        fc.integer({ min: 1, max: 36 }),
        fc.constantFrom(0.5, 0.8, 0.95),
        (series, h, level) => {
          const f = createForecaster(name).fit(series, [], { level, horizon: h }).predict(h, level);
          const nonNegative = series.values.every((v) => v >= 0);
          expect(f.timestamps).toHaveLength(h);
          expect(f.timestamps[0]).toBe(series.timestamps.at(-1)! + HOUR);
          expect(f.level).toBe(level);
          for (let i = 0; i < h; i++) {
            expect(
              Number.isFinite(f.mean[i]!) && Number.isFinite(f.lower[i]!) && Number.isFinite(f.upper[i]!),
            ).toBe(true);
            expect(f.lower[i]!).toBeLessThanOrEqual(f.mean[i]!);
            expect(f.mean[i]!).toBeLessThanOrEqual(f.upper[i]!);
            if (nonNegative) expect(f.lower[i]!).toBeGreaterThanOrEqual(0);
          }
        },
      ),
      { numRuns: name === 'naive' ? 100 : name === 'mstl' ? 40 : 12 },
    );
  });
});

describe.each(MODEL_NAMES)('%s', (name) => {
  it('is reproducible: the same input gives the same forecast, bit for bit', () => {
    const series = {
      name: 'r',
      timestamps: Array.from({ length: 240 }, (_, i) => START + i * HOUR),
      values: Float64Array.from(
        { length: 240 },
        (_, i) => 100 + 40 * Math.sin((i / 24) * 2 * Math.PI) + ((i * 7919) % 13),
      ),
      stepMs: HOUR,
    };
    const once = () => createForecaster(name).fit(series, [], { level: 0.8, horizon: 24 }).predict(24, 0.8);
    const a = once();
    const b = once();
    expect(Array.from(b.mean)).toEqual(Array.from(a.mean));
    expect(Array.from(b.lower)).toEqual(Array.from(a.lower));
    expect(Array.from(b.upper)).toEqual(Array.from(a.upper));
  });
});

describe.each(MODEL_NAMES)('%s on a series of denormal values (a fast-check counterexample)', (name) => {
  it('forecasts instead of failing to scale it', () => {
    // Prophet divides by the largest |y|: 1 / 5e-324 overflows, and Stan's optimiser failed.
    const values = Float64Array.from([
      -5e-324, -5e-324, 0, 0, 0, 0, 0, 0, 0, 0, 5e-324, 0, 0, 5e-324, 0, 5e-324, 0, 0, 0, -5e-324, 0, 0, 0,
      5e-324, 5e-324, 0, 0, 0, 0, 0, -5e-324, 0, -5e-324, 0, 0, 5e-324, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
      -5e-324, 0, 0, -5e-324, 0, 0, 0, 0, 0, 5e-324, 0, 0, 0, 0, -5e-324, 5e-324, 0, -5e-324, 0, 0, 0, 0, 0,
      -5e-324, 5e-324,
    ]);
    const series = {
      name: 'tiny',
      timestamps: Array.from({ length: 72 }, (_, i) => START + i * HOUR),
      values,
      stepMs: HOUR,
    };
    const f = createForecaster(name).fit(series, [], { level: 0.5, horizon: 1 }).predict(1, 0.5);
    expect(Number.isFinite(f.mean[0]!)).toBe(true);
    expect(f.lower[0]!).toBeLessThanOrEqual(f.mean[0]!);
    expect(f.mean[0]!).toBeLessThanOrEqual(f.upper[0]!);
  });
});
